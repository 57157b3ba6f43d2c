//! What the calendar alone decides for visits, run by the background task with the
//! loans' sweep: template sessions kept made half a year ahead, a reminder two
//! working days before a visit, the report request after it, and visitors' ID numbers
//! deleted some days after the visit.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::VisitError;
use super::sessions::{earliest_visit_day, extend_sessions};
use super::store::{self, VisitNotice, notify};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;
use crate::loans::days::{OpeningDays, add_days};

/// Days visitors' ID numbers are kept after the visit unless the operator says
/// otherwise (`--visitor-retention-days`).
pub const DEFAULT_RETENTION_DAYS: u32 = 30;
/// The `settings` key holding the operator's choice.
pub const RETENTION_KEY: &str = "visitor_retention_days";
/// Working days before a visit its unit is reminded.
pub const REMINDER_WORKING_DAYS: u32 = 2;

/// What one run changed.
#[derive(Debug, Default, Clone, Serialize)]
pub struct VisitSweep {
    pub sessions_made: u32,
    pub reminded: usize,
    pub reports_asked: usize,
    pub lists_deleted: usize,
}

impl VisitSweep {
    pub fn changed(&self) -> bool {
        self.sessions_made as usize + self.reminded + self.reports_asked + self.lists_deleted > 0
    }
}

/// Days ID numbers are kept after a visit.
pub fn retention_days(conn: &Connection) -> Result<u32, VisitError> {
    let stored: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [RETENTION_KEY],
            |row| row.get(0),
        )
        .optional()?;
    Ok(stored
        .and_then(|value| value.parse().ok())
        .filter(|days| (1..=365).contains(days))
        .unwrap_or(DEFAULT_RETENTION_DAYS))
}

/// Records the operator's retention (1 to 365 days).
pub fn set_retention_days(conn: &Connection, days: u32) -> Result<(), VisitError> {
    if !(1..=365).contains(&days) {
        return Err(VisitError::invalid(
            "visitor_retention_days",
            "参观人员身份证号保留天数应在 1 到 365 之间",
        ));
    }
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![RETENTION_KEY, days.to_string()],
    )?;
    Ok(())
}

/// Brings visits up to date with the day of `at`.
pub fn run(conn: &mut Connection, at: Moment) -> Result<VisitSweep, VisitError> {
    let mut summary = VisitSweep {
        sessions_made: extend_sessions(conn, at)?,
        ..VisitSweep::default()
    };
    store::write(conn, |tx| {
        summary.reminded = remind(tx, at)?;
        summary.reports_asked = ask_reports(tx, at)?;
        summary.lists_deleted = delete_old_id_numbers(tx, at)?;
        Ok(())
    })?;
    Ok(summary)
}

/// Scheduled and confirmed visits within two working days are reminded once.
fn remind(tx: &Connection, at: Moment) -> Result<usize, VisitError> {
    let today = at.today();
    let horizon = earliest_visit_day(&OpeningDays::load(tx)?, today, REMINDER_WORKING_DAYS);
    let due: Vec<(i64, String, String, String, String, String)> = tx
        .prepare_cached(
            "SELECT v.id, v.unit_code, r.title, s.date, s.start_time, v.status
             FROM visits v JOIN base_sessions s ON s.id = v.session_id
                  JOIN resources r ON r.id = v.base_id
             WHERE v.status IN ('scheduled', 'confirmed') AND v.held_date BETWEEN ?1 AND ?2",
        )?
        .query_map(params![today.to_string(), horizon.to_string()], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut told = 0;
    for (id, unit, title, date, start, status) in &due {
        let confirm = if status == "scheduled" {
            "尚未确认，请尽快确认或取消。"
        } else {
            "请按要求携带证件、准时到达。"
        };
        told += notify(
            tx,
            unit,
            *id,
            VisitNotice::Reminder,
            &format!(
                "参观{}将于 {date} {start} 进行，{confirm}",
                super::marked(title)
            ),
            Some(date),
            at,
        )? as usize;
    }
    Ok(told)
}

/// Confirmed visits whose day has passed are asked, once, for their report.
fn ask_reports(tx: &Connection, at: Moment) -> Result<usize, VisitError> {
    let due: Vec<(i64, String, String, String)> = tx
        .prepare_cached(
            "SELECT v.id, v.unit_code, r.title, v.held_date FROM visits v
             JOIN resources r ON r.id = v.base_id
             WHERE v.status = 'confirmed' AND v.held_date < ?1",
        )?
        .query_map([at.today().to_string()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut asked = 0;
    for (id, unit, title, date) in &due {
        asked += notify(
            tx,
            unit,
            *id,
            VisitNotice::ReportDue,
            &format!(
                "{date} 参观{}已结束，请在“本单位参观”中填报实到人数和参观体会",
                super::marked(title)
            ),
            Some("report"),
            at,
        )? as usize;
    }
    Ok(asked)
}

/// Sets visitors' ID numbers to NULL once the retention has passed after the visit
/// (its session's day, or the day it was cancelled or refused), with an audit row.
fn delete_old_id_numbers(tx: &Connection, at: Moment) -> Result<usize, VisitError> {
    let retention = retention_days(tx)?;
    let cutoff = add_days(at.today(), -(retention as i64)).to_string();
    let due: Vec<(i64, String, i64)> = tx
        .prepare_cached(
            "SELECT v.id, v.base_id, count(*) FROM visits v JOIN visitors p ON p.visit_id = v.id
             LEFT JOIN base_sessions s ON s.id = v.session_id
             WHERE p.id_number IS NOT NULL
               AND coalesce(s.date, substr(v.updated_at, 1, 10)) < ?1
               AND v.status != 'requested'
               AND (s.date IS NOT NULL OR v.status NOT IN ('scheduled', 'confirmed'))
             GROUP BY v.id",
        )?
        .query_map([&cutoff], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (visit, base, count) in &due {
        tx.execute(
            "UPDATE visitors SET id_number = NULL WHERE visit_id = ?1",
            [visit],
        )?;
        tx.execute(
            "UPDATE visits SET visitors_purged_at = ?2 WHERE id = ?1",
            params![visit, at.stamp()],
        )?;
        AuditEvent::by(&Actor::system(), AuditAction::VisitorIdsDeleted)
            .resource(base)
            .detail(format!(
                "参观 {visit}：按保留期（{retention} 天）删除 {count} 名参观人员的身份证号"
            ))
            .record(tx, at)?;
    }
    Ok(due.len())
}
