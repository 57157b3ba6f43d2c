//! The waitlist and auto-approval: when capacity frees, the waitlisted requests that
//! now fit are promoted in order of arrival (and approved at once where a resource
//! auto-approves).

use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;
use rusqlite::{Connection, OptionalExtension, params};

use super::LoanError;
use super::capacity;
use super::model::{Action, Actor, Format, LoanId, Period};
use super::notify::{NoticeKind, notify};
use super::request::approve_in;
use super::store::{self, transition};

/// Whether librarians set the resource to approve requests that fit by themselves.
pub fn auto_approves(conn: &Connection, resource_id: &str) -> Result<bool, LoanError> {
    Ok(conn
        .query_row(
            "SELECT auto_approve FROM loan_settings WHERE resource_id = ?1",
            [resource_id],
            |row| row.get::<_, bool>(0),
        )
        .optional()?
        .unwrap_or(false))
}

/// A resource's auto-approval, for a user who may see the resource.
pub fn loan_settings(
    conn: &Connection,
    actor: &Actor,
    resource_id: &str,
) -> Result<bool, LoanError> {
    store::visible_title(conn, actor, resource_id)?;
    auto_approves(conn, resource_id)
}

/// Sets a resource's auto-approval.
pub fn set_auto_approve(
    conn: &mut Connection,
    actor: &Actor,
    resource_id: &str,
    on: bool,
    at: Moment,
) -> Result<(), LoanError> {
    if !actor.librarian {
        return Err(LoanError::LibrariansOnly {
            task: "修改借阅设置",
        });
    }
    store::write(conn, |tx| {
        store::visible_title(tx, actor, resource_id)?;
        tx.execute(
            "INSERT INTO loan_settings (resource_id, auto_approve) VALUES (?1, ?2)
             ON CONFLICT (resource_id) DO UPDATE SET auto_approve = excluded.auto_approve",
            params![resource_id, on],
        )?;
        AuditEvent::by(actor, AuditAction::LoanSettingsChanged)
            .resource(resource_id)
            .detail(format!("auto_approve = {on}"))
            .record(tx, at)?;
        Ok(())
    })
}

/// Promotes, in order of arrival, the waitlisted requests for a resource and format
/// that now fit; each is told. Answers the promoted loans.
pub(crate) fn promote(
    conn: &Connection,
    actor: &Actor,
    resource_id: &str,
    format: Format,
    at: Moment,
) -> Result<Vec<LoanId>, LoanError> {
    let today = at.today();
    let sql = format!(
        "SELECT {} FROM loans WHERE resource_id = ?1 AND format = ?2 AND status = 'waitlisted'
           AND end_date >= ?3 ORDER BY id",
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
    let mut holding = capacity::holders(conn, resource_id, format, from, to, None)?;
    let auto = auto_approves(conn, resource_id)?;
    let mut promoted = Vec::new();
    for loan in &mut loans {
        let period = Period {
            start: loan.start,
            end: loan.end,
        };
        if !capacity::fits(capacity, &holding, period) {
            continue;
        }
        holding.push(period);
        transition(conn, actor, loan, Action::Promote, at)?;
        let title = store::resource_title(conn, resource_id)?;
        notify(
            conn,
            &loan.unit,
            loan.id,
            NoticeKind::Promoted,
            &format!(
                "《{title}》（{} 至 {}）有了空余名额，您的候补已转为借阅申请",
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
