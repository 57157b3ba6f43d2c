//! The waitlist and auto-approval: when capacity frees, the waitlisted requests that
//! now fit are promoted in order of arrival (and approved at once where a resource
//! auto-approves).

use crate::clock::Moment;
use rusqlite::{Connection, params};

use super::LoanError;
use super::capacity;
use super::model::{Action, Actor, Format, LoanId, Period};
use super::notify::{NoticeKind, notify};
use super::request::approve_in;
use super::settings::auto_approves;
use super::store::{self, transition};

/// Promotes, in order of arrival, the waitlisted requests for a resource and format
/// that now fit; each is told. Answers the promoted loans.
pub(crate) fn promote(
    conn: &Connection,
    resource_id: &str,
    format: Format,
    at: Moment,
) -> Result<Vec<LoanId>, LoanError> {
    let today = at.today();
    let sql = format!(
        "SELECT {} FROM loans INDEXED BY loans_waiting
         WHERE resource_id = ?1 AND format = ?2 AND status = 'waitlisted' AND end_date >= ?3
         ORDER BY id",
        store::ROW_COLUMNS
    );
    let waiting = {
        let mut stmt = conn.prepare_cached(&sql)?;
        stmt.query_map(
            params![resource_id, format.as_str(), today.to_string()],
            store::row_from,
        )?
        .collect::<Result<Vec<_>, _>>()?
    };
    if waiting.is_empty() {
        return Ok(Vec::new());
    }
    let mut loans = waiting
        .into_iter()
        .map(|raw| raw.parse())
        .collect::<Result<Vec<_>, _>>()?;
    // One read of the loans holding a slot over all the waiting periods; each
    // promotion adds its period, so later candidates see it.
    let capacity = capacity::capacity_of(conn, resource_id, format)?;
    let from = loans.iter().map(|l| l.start).min().unwrap_or(today);
    let to = loans.iter().map(|l| l.end).max().unwrap_or(today);
    let holding = capacity::day_use(conn, resource_id, format, from, to, None)?;
    let mut tally = capacity::DayTally::counted(from, holding);
    let auto = auto_approves(conn, resource_id)?;
    let mut promoted = Vec::new();
    for loan in &mut loans {
        let period = Period {
            start: loan.start,
            end: loan.end,
        };
        if !tally.fits(capacity, period) {
            continue;
        }
        tally.add(period);
        // The promotion follows from someone's return or cancellation, but nobody
        // decided it: the log credits the system, as for the other automatic steps.
        transition(conn, &Actor::system(), loan, Action::Promote, at)?;
        let title = super::notify::marked(&store::resource_title(conn, resource_id)?);
        notify(
            conn,
            &loan.unit,
            loan.id,
            NoticeKind::Promoted,
            &format!(
                "{title}（{} 至 {}）有了空余名额，您的候补已转为借阅申请",
                loan.start, loan.end
            ),
            None,
            at,
        )?;
        if auto {
            approve_in(conn, &Actor::system(), loan, at)?;
        }
        promoted.push(loan.id);
    }
    Ok(promoted)
}
