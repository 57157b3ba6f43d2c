//! Reminders before the holiday periods, run by the background task: some weeks
//! before a confirmed period ([`super::periods::reminder_weeks`]), every active unit
//! that has booked nothing for it is told once, in-app and by mail, with a link to
//! the season's collections.
//!
//! "Booked something for it" means, on the day the reminder would go out (`today`),
//! the unit has
//! - a loan that was not refused or given up (requested, waitlisted, approved,
//!   active, overdue or returned) whose period overlaps `today..=` the period's end,
//!   or
//! - a visit to a base that was not cancelled or refused on a day of `today..=` the
//!   period's end (its session's day, or for a request one it asks for).
//!
//! Material used in the weeks before a holiday is what the reminder asks for, hence
//! from today rather than from the period's start. Each reminder is recorded in
//! `season_reminders`, so a unit is told once per season however often the task
//! runs, and a unit that books later is simply not told.

use rusqlite::{Connection, params};
use serde::Serialize;

use super::periods::reminder_weeks;
use super::{Season, SeasonError};
use crate::accounts::units;
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;
use crate::loans::days::add_days;

/// Where a season's collections are listed (the collections pages own it).
pub fn collections_path(season: Season) -> String {
    format!("/collections?season={}", season.code())
}

/// A period whose reminders are due.
struct Due {
    year: i16,
    season: Season,
    start: String,
    end: String,
}

/// Sends the reminders due on the day of `at`, one transaction per period; answers
/// how many units were reminded. Running it again the same day sends nothing more.
pub fn remind(conn: &mut Connection, at: Moment) -> Result<usize, SeasonError> {
    let today = at.today();
    let weeks = reminder_weeks(conn)?;
    let horizon = add_days(today, i64::from(weeks) * 7);
    let due: Vec<Due> = conn
        .prepare_cached(
            "SELECT year, season, start_date, end_date FROM seasons
             WHERE start_date > ?1 AND start_date <= ?2 ORDER BY start_date, year, season",
        )?
        .query_map(params![today.to_string(), horizon.to_string()], |row| {
            Ok((
                row.get::<_, i16>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
            ))
        })?
        .filter_map(|row| match row {
            Ok((year, code, start, end)) => Season::parse(&code).map(|season| {
                Ok(Due {
                    year,
                    season,
                    start,
                    end,
                })
            }),
            Err(err) => Some(Err(err)),
        })
        .collect::<Result<_, _>>()?;
    let mut reminded = 0;
    for period in &due {
        reminded += remind_period(conn, period, at)?;
    }
    Ok(reminded)
}

/// Reminds the units that need it of one period, in one transaction.
fn remind_period(conn: &mut Connection, period: &Due, at: Moment) -> Result<usize, SeasonError> {
    let today = at.today();
    let end = crate::loans::days::parse_date("end", &period.end)?;
    let tx = crate::db::begin_write(conn)?;
    let told: std::collections::HashSet<String> = tx
        .prepare_cached("SELECT unit_code FROM season_reminders WHERE year = ?1 AND season = ?2")?
        .query_map(params![period.year, period.season.code()], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut booked = crate::loans::units_with_loans_between(&tx, today, end)?;
    booked.extend(crate::visits::read::units_visiting_between(
        &tx, today, end,
    )?);
    let liaisons = units::liaisons(&tx)?;
    let label = period.season.label();
    let key = format!("{}:{}", period.year, period.season.code());
    let message = format!(
        "{label}（{} 至 {}）将至，本单位尚未预约这一期间的警示教育资料。可参考{label}专题，提前申请借阅或预约参观。",
        period.start, period.end
    );
    let subject = format!("【警示教育资源库】{label}将至，请及早安排警示教育");
    let body = format!(
        "{message}\n\n{label}专题：请登录警示教育资源库后打开 {}\n\n（本邮件由系统自动发送，请勿直接回复。）\n",
        collections_path(period.season)
    );
    let mut reminded = 0;
    for unit in units::list_units(&tx)? {
        if !unit.active || told.contains(&unit.code) || booked.contains(&unit.code) {
            continue;
        }
        let id = crate::loans::notify::notify_season(
            &tx,
            &unit.code,
            &key,
            &message,
            (&subject, &body),
            at,
        )?;
        let liaison = liaisons
            .get(&unit.code)
            .map(|l| l.email.trim())
            .filter(|email| !email.is_empty());
        if let Some(email) = liaison {
            crate::mail::outbox::enqueue_copy_to(&tx, id, email, &subject, &body)?;
        }
        tx.execute(
            "INSERT INTO season_reminders (year, season, unit_code, sent_at) VALUES (?1, ?2, ?3, ?4)",
            params![period.year, period.season.code(), unit.code, at.stamp()],
        )?;
        let mut event =
            AuditEvent::by(&Actor::system(), AuditAction::SeasonReminderSent).detail(format!(
                "{} {label}（{} 至 {}）：提醒{}（{}）",
                period.year, period.start, period.end, unit.name, unit.code
            ));
        event.unit = Some(unit.code.clone());
        event.record(&tx, at)?;
        reminded += 1;
    }
    tx.commit()?;
    Ok(reminded)
}

/// A reminder sent, as the committee's page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentReminder {
    pub season: Season,
    pub unit_code: String,
    pub unit_name: String,
    /// When it was sent (RFC 3339, UTC).
    pub sent_at: String,
}

/// The reminders sent for `year`'s periods, newest first.
pub fn sent(conn: &Connection, year: i16) -> Result<Vec<SentReminder>, SeasonError> {
    let rows: Vec<(String, String, String, String)> = conn
        .prepare_cached(
            "SELECT r.season, r.unit_code, coalesce(u.name, r.unit_code), r.sent_at
             FROM season_reminders r LEFT JOIN units u ON u.code = r.unit_code
             WHERE r.year = ?1 ORDER BY r.sent_at DESC, r.season, r.unit_code",
        )?
        .query_map([year], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(season, unit_code, unit_name, sent_at)| {
            Some(SentReminder {
                season: Season::parse(&season)?,
                unit_code,
                unit_name,
                sent_at,
            })
        })
        .collect())
}
