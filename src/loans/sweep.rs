//! The background task: what the date alone changes. Digital loans become active on
//! their start date and expire after their end; physical loans still out after their
//! end become overdue; units are reminded two days before an end; requests whose
//! whole period passed undecided or without room, and physical loans never picked
//! up, are cancelled (the unit is told), and so are requests for a resource no longer
//! published; waitlisted requests that fit (e.g. after licences were added) are
//! promoted. Everything is computed from the database and the date, so running it
//! twice, late or after a restart changes nothing more than running it once on time.

use crate::clock::Moment;
use std::collections::BTreeSet;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::LoanError;
use super::days::add_days;
use super::model::{Action, Actor, Format, LoanStatus};
use super::notify::{NoticeKind, notify};
use super::store::{self, advance, transition};
use super::waitlist::promote;
use crate::clock::Clock;
use crate::db::Database;

/// How often the task runs.
pub const INTERVAL: Duration = Duration::from_secs(60);
/// Units are reminded this many days before a loan ends.
pub const DUE_SOON_DAYS: i64 = 2;

/// What one run changed.
#[derive(Debug, Default, Clone, Serialize)]
pub struct SweepSummary {
    pub advanced: usize,
    pub reminded: usize,
    pub lapsed: usize,
    pub promoted: usize,
}

/// Brings every loan up to date with `today`, in one transaction.
pub fn run(conn: &mut Connection, at: Moment) -> Result<SweepSummary, LoanError> {
    let today = at.today();
    store::write(conn, |tx| {
        let mut summary = SweepSummary::default();
        let day = today.to_string();
        let due = {
            let sql = format!(
                "SELECT {} FROM loans WHERE (status = 'approved' AND format = 'digital' AND start_date <= ?1)
                    OR (status = 'active' AND end_date < ?1) ORDER BY id",
                store::ROW_COLUMNS
            );
            let mut stmt = tx.prepare_cached(&sql)?;
            stmt.query_map([&day], store::row_from)?
                .collect::<Result<Vec<_>, _>>()?
        };
        // Queues a loan's change may let through: one that ended or lapsed frees
        // the days from today on.
        let mut freed = BTreeSet::new();
        for raw in due {
            let mut loan = raw.parse()?;
            advance(tx, &mut loan, at)?;
            freed.insert((loan.resource_id.clone(), loan.format.as_str()));
            summary.advanced += 1;
        }
        summary.reminded = remind_due_soon(tx, at)?;
        summary.lapsed = cancel_lapsed(tx, at, &mut freed)?;
        summary.lapsed += super::withdrawal::lapse_requests_of_unpublished(tx, at)?;
        summary.promoted = promote_waiting(tx, at, freed)?;
        Ok(summary)
    })
}

/// Promotes the waiting requests that may fit now: those of the resources and formats
/// in `freed` (loans this run ended or cancelled) and of the resources the catalogue
/// changed since the last sweep looked (licences added, a copy back in circulation).
/// What a person's action frees promotes at once, in that action's transaction, so
/// the sweep reads only these queues, not every queue of the library.
fn promote_waiting(
    tx: &Connection,
    at: Moment,
    mut freed: BTreeSet<(String, &'static str)>,
) -> Result<usize, LoanError> {
    let seen: i64 = tx
        .query_row(
            "SELECT seq FROM sweep_progress WHERE task = 'promotion'",
            [],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let newest: i64 = tx.query_row(
        "SELECT coalesce(max(seq), 0) FROM catalog_changes",
        [],
        |row| row.get(0),
    )?;
    let changed = {
        let mut stmt = tx.prepare_cached(
            "SELECT DISTINCT l.resource_id, l.format
               FROM catalog_changes c
               JOIN loans l INDEXED BY loans_waiting
                 ON l.resource_id = c.resource_id AND l.status = 'waitlisted' AND l.end_date >= ?1
              WHERE c.seq > ?2 AND c.seq <= ?3
              ORDER BY l.resource_id, l.format",
        )?;
        stmt.query_map(params![at.today().to_string(), seen, newest], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?
    };
    for (resource_id, format) in changed {
        freed.insert((resource_id, Format::parse(&format)?.as_str()));
    }
    let mut promoted = 0;
    for (resource_id, format) in freed {
        promoted += promote(tx, &resource_id, Format::parse(format)?, at)?.len();
    }
    tx.execute(
        "INSERT INTO sweep_progress (task, seq) VALUES ('promotion', ?1)
         ON CONFLICT (task) DO UPDATE SET seq = excluded.seq",
        [newest],
    )?;
    Ok(promoted)
}

/// Cancels what can no longer happen: requests and waitlisted requests whose period
/// is over, and physical loans approved but never picked up by their end.
fn cancel_lapsed(
    conn: &Connection,
    at: Moment,
    freed: &mut BTreeSet<(String, &'static str)>,
) -> Result<usize, LoanError> {
    let today = at.today();
    let lapsed = {
        let sql = format!(
            "SELECT {} FROM loans WHERE end_date < ?1 AND (status IN ('requested', 'waitlisted')
                OR (status = 'approved' AND format = 'physical')) ORDER BY id",
            store::ROW_COLUMNS
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        stmt.query_map([today.to_string()], store::row_from)?
            .collect::<Result<Vec<_>, _>>()?
    };
    let (system, count) = (Actor::system(), lapsed.len());
    for raw in lapsed {
        let mut loan = raw.parse()?;
        let why = match loan.status {
            LoanStatus::Requested => "借阅期已过仍未审批",
            LoanStatus::Waitlisted => "候补期间一直没有空余名额",
            _ => "实体拷贝在借阅期内未领取",
        };
        transition(conn, &system, &mut loan, Action::Cancel, at)?;
        freed.insert((loan.resource_id.clone(), loan.format.as_str()));
        let title = super::notify::marked(&store::resource_title(conn, &loan.resource_id)?);
        notify(
            conn,
            &loan.unit,
            loan.id,
            NoticeKind::Cancelled,
            &format!(
                "{title}的借阅（{} 至 {}）{why}，已自动取消；如仍需要，请重新申请",
                loan.start, loan.end
            ),
            None,
            at,
        )?;
    }
    Ok(count)
}

/// Reminds units of loans ending within [`DUE_SOON_DAYS`] (once per end date).
fn remind_due_soon(conn: &Connection, at: Moment) -> Result<usize, LoanError> {
    let today = at.today();
    let rows = {
        let mut stmt = conn.prepare_cached(
            "SELECT l.id, l.unit_code, l.format, l.end_date, l.resource_id
             FROM loans l
             WHERE l.status = 'active' AND l.end_date >= ?1 AND l.end_date <= ?2
               AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.loan_id = l.id
                                 AND n.kind = 'due_soon' AND n.dedupe = l.end_date)",
        )?;
        stmt.query_map(
            params![
                today.to_string(),
                add_days(today, DUE_SOON_DAYS).to_string()
            ],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                ))
            },
        )?
        .collect::<Result<Vec<_>, _>>()?
    };
    for (id, unit, format, end, resource_id) in &rows {
        let title = super::notify::marked(&store::resource_title(conn, resource_id)?);
        let message = if format == "physical" {
            format!("{title}的借阅将于 {end} 到期，请按时归还实体拷贝，或在无人候补时续借")
        } else {
            format!("{title}的数字访问将于 {end} 结束，如需延长请在无人候补时续借")
        };
        notify(
            conn,
            unit,
            super::model::LoanId(*id),
            NoticeKind::DueSoon,
            &message,
            Some(end),
            at,
        )?;
    }
    Ok(rows.len())
}

/// The running background task; dropping it stops the task.
pub struct SweepTask(tokio::task::JoinHandle<()>);

impl Drop for SweepTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs the sweep now and then every [`INTERVAL`] until the returned guard is dropped.
pub fn spawn(db: Database, clock: Clock) -> SweepTask {
    SweepTask(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let (db, at) = (db.clone(), clock.moment());
            let outcome =
                tokio::task::spawn_blocking(move || -> Result<SweepSummary, LoanError> {
                    let mut conn = db.get()?;
                    // The one background task also brings visits to bases up to date.
                    match crate::visits::sweep::run(&mut conn, at) {
                        Ok(visits) if visits.changed() => {
                            tracing::info!(?visits, today = %at.today(), "visits brought up to date");
                        }
                        Ok(_) => {}
                        Err(err) => tracing::error!(%err, "visit sweep failed"),
                    }
                    // And reminds units of the coming holiday periods.
                    match crate::seasons::remind(&mut conn, at) {
                        Ok(0) => {}
                        Ok(units) => tracing::info!(units, "units reminded of a holiday period"),
                        Err(err) => tracing::error!(%err, "holiday reminders failed"),
                    }
                    run(&mut conn, at)
                })
                .await;
            match outcome {
                Ok(Ok(summary))
                    if summary.advanced + summary.reminded + summary.lapsed + summary.promoted
                        > 0 =>
                {
                    tracing::info!(?summary, today = %at.today(), "loans brought up to date");
                }
                Ok(Ok(_)) => {}
                // The next tick tries again; nothing is half-written.
                Ok(Err(err)) => tracing::error!(%err, "loan sweep failed"),
                Err(err) => tracing::error!(%err, "loan sweep panicked"),
            }
        }
    }))
}
