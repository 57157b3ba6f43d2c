//! The loan row, the write transaction every step runs in, recording a change
//! (state, audit log, search-index change log), and the time-driven transitions.

use crate::clock::Moment;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::LoanError;
use super::days::parse_date;
use super::model::{Action, Actor, Format, LoanId, LoanStatus};
use super::notify::{NoticeKind, notify};
use super::transitions::check_transition;
use crate::audit::{AuditAction, AuditEvent};
use crate::catalog::ResourceId;

/// A loan as stored, for the workflow's decisions.
#[derive(Debug, Clone)]
pub(crate) struct LoanRow {
    pub id: LoanId,
    pub resource_id: String,
    pub unit: String,
    pub format: Format,
    pub start: Date,
    pub end: Date,
    pub requested_end: Date,
    pub status: LoanStatus,
    pub renewals: u32,
    pub copy_id: Option<i64>,
    /// The library has recalled the loan (see `transitions`).
    pub recalled: bool,
}

pub(crate) const ROW_COLUMNS: &str = "id, resource_id, unit_code, format, start_date, end_date, requested_end, status, renewals, copy_id, recalled_at IS NOT NULL";

pub(crate) fn row_from(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        id: row.get(0)?,
        resource_id: row.get(1)?,
        unit: row.get(2)?,
        format: row.get(3)?,
        start: row.get(4)?,
        end: row.get(5)?,
        requested_end: row.get(6)?,
        status: row.get(7)?,
        renewals: row.get(8)?,
        copy_id: row.get(9)?,
        recalled: row.get(10)?,
    })
}

/// The columns as text, parsed after the query (CHECK constraints keep them valid).
pub(crate) struct RawRow {
    id: i64,
    resource_id: String,
    unit: String,
    format: String,
    start: String,
    end: String,
    requested_end: String,
    status: String,
    renewals: u32,
    copy_id: Option<i64>,
    recalled: bool,
}

impl RawRow {
    pub fn parse(self) -> Result<LoanRow, LoanError> {
        Ok(LoanRow {
            id: LoanId(self.id),
            resource_id: self.resource_id,
            unit: self.unit,
            format: Format::parse(&self.format)?,
            start: parse_date("start", &self.start)?,
            end: parse_date("end", &self.end)?,
            requested_end: parse_date("requested_end", &self.requested_end)?,
            status: LoanStatus::parse(&self.status)?,
            renewals: self.renewals,
            copy_id: self.copy_id,
            recalled: self.recalled,
        })
    }
}

/// Loads a loan, or `None` when there is no such loan.
pub(crate) fn find(conn: &Connection, id: LoanId) -> Result<Option<LoanRow>, LoanError> {
    let sql = format!("SELECT {ROW_COLUMNS} FROM loans WHERE id = ?1");
    conn.query_row(&sql, [id.0], row_from)
        .optional()?
        .map(RawRow::parse)
        .transpose()
}

/// Loads a loan the actor may see; another unit's loan does not exist for them.
pub(crate) fn find_visible(
    conn: &Connection,
    id: LoanId,
    actor: &Actor,
) -> Result<LoanRow, LoanError> {
    match find(conn, id)? {
        Some(loan) if actor.sees_unit(&loan.unit) => Ok(loan),
        _ => Err(LoanError::NotFound(id)),
    }
}

/// Counts the loan writes this process has committed, so that a figure derived from
/// the loans (the day's fully booked resources) knows when it is stale. Every loan
/// write goes through [`write`].
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// How many loan writes have been committed so far (see [`GENERATION`]).
pub fn write_generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// Runs `work` in one `BEGIN IMMEDIATE` transaction: the capacity checks and the
/// writes that depend on them see and change the same state. Nothing is written
/// when `work` fails.
pub(crate) fn write<T>(
    conn: &mut Connection,
    work: impl FnOnce(&Transaction<'_>) -> Result<T, LoanError>,
) -> Result<T, LoanError> {
    // In this process's turn to write (`db::begin_write`), not SQLite's busy loop.
    let tx = crate::db::begin_write(conn)?;
    let out = work(&tx)?;
    tx.commit()?;
    GENERATION.fetch_add(1, Ordering::Release);
    Ok(out)
}

/// Writes the audit entry for a loan action, naming the loan's unit by its name (the
/// code when the unit is gone), as the audit page shows units.
pub(crate) fn record(
    conn: &Connection,
    actor: &Actor,
    loan: &LoanRow,
    action: AuditAction,
    detail: impl Into<String>,
    at: Moment,
) -> Result<(), LoanError> {
    let unit: Option<String> = conn
        .prepare_cached("SELECT name FROM units WHERE code = ?1")?
        .query_row([&loan.unit], |row| row.get(0))
        .optional()?;
    AuditEvent::by(actor, action)
        .resource(&loan.resource_id)
        .detail(format!(
            "借阅 {}（{}）：{}",
            loan.id,
            unit.as_deref().unwrap_or(&loan.unit),
            detail.into()
        ))
        .record(conn, at)?;
    Ok(())
}

/// The audit log's name for a step of the workflow.
pub(crate) fn audit_action(action: Action) -> AuditAction {
    match action {
        Action::Approve => AuditAction::LoanApproved,
        Action::Reject => AuditAction::LoanRejected,
        Action::Issue => AuditAction::LoanIssued,
        Action::Return => AuditAction::LoanReturned,
        Action::Renew => AuditAction::LoanRenewed,
        Action::Cancel => AuditAction::LoanCancelled,
        Action::Report => AuditAction::LoanReported,
        Action::Move => AuditAction::LoanMoved,
        Action::Activate => AuditAction::LoanActivated,
        Action::Expire => AuditAction::LoanExpired,
        Action::MarkOverdue => AuditAction::LoanOverdue,
        Action::Promote => AuditAction::LoanPromoted,
        Action::Recall => AuditAction::LoanRecalled,
    }
}

/// Tells the search index to recompute a resource's document when a loan change
/// alters what it stores: the borrow count (entering or leaving the lent states).
/// Whether a slot is free is not stored (search asks at query time), so other changes,
/// moves and the date passing need no re-indexing.
pub(crate) fn note_for_index(
    conn: &Connection,
    loan: &LoanRow,
    before: LoanStatus,
    at: Moment,
) -> Result<(), LoanError> {
    if before.is_lent() != loan.status.is_lent()
        && let Ok(id) = ResourceId::parse(&loan.resource_id)
    {
        crate::catalog::write::log_change(conn, &id, at)?;
    }
    Ok(())
}

/// Moves a loan to the state `action` leads to, or refuses with the current state.
pub(crate) fn transition(
    conn: &Connection,
    actor: &Actor,
    loan: &mut LoanRow,
    action: Action,
    at: Moment,
) -> Result<(), LoanError> {
    transition_noting(conn, actor, loan, action, at, "")
}

/// [`transition`] whose audit row also says why (a rejection's reason).
pub(crate) fn transition_noting(
    conn: &Connection,
    actor: &Actor,
    loan: &mut LoanRow,
    action: Action,
    at: Moment,
    note: &str,
) -> Result<(), LoanError> {
    let to = check_transition(loan.status, action, loan.format)?;
    if to != loan.status {
        conn.execute(
            "UPDATE loans SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![loan.id.0, to.as_str(), at.stamp()],
        )?;
    }
    // In words, as the audit page and its export show it, with the reason if any.
    let mut detail = format!("{} → {}", loan.status.label(), to.label());
    if !note.is_empty() {
        detail.push('：');
        detail.push_str(note);
    }
    let before = loan.status;
    loan.status = to;
    record(conn, actor, loan, audit_action(action), detail, at)?;
    if before != to {
        note_for_index(conn, loan, before, at)?;
    }
    Ok(())
}

/// Applies what the date alone decides: a digital loan becomes active on its start
/// date and expires after its end; a physical loan still out after its end is
/// overdue. Idempotent, so running it again (or after a restart) changes nothing.
pub(crate) fn advance(conn: &Connection, loan: &mut LoanRow, at: Moment) -> Result<(), LoanError> {
    let today = at.today();
    let system = Actor::system();
    while let Some(action) = due_step(loan, loan.status, today) {
        transition(conn, &system, loan, action, at)?;
        if action == Action::MarkOverdue {
            notify(
                conn,
                &loan.unit,
                loan.id,
                NoticeKind::Overdue,
                &format!(
                    "{}已于 {} 到期但尚未归还，请尽快归还实体拷贝",
                    super::notify::marked(&resource_title(conn, &loan.resource_id)?),
                    loan.end
                ),
                Some(&loan.end.to_string()),
                at,
            )?;
        }
    }
    Ok(())
}

/// The step the date calls for from `status`, if any.
fn due_step(loan: &LoanRow, status: LoanStatus, today: Date) -> Option<Action> {
    match (status, loan.format) {
        (LoanStatus::Approved, Format::Digital) if loan.start <= today => Some(Action::Activate),
        (LoanStatus::Active, Format::Digital) if loan.end < today => Some(Action::Expire),
        (LoanStatus::Active, Format::Physical) if loan.end < today => Some(Action::MarkOverdue),
        _ => None,
    }
}

/// The state [`advance`] would give the loan on `today`, without writing. Readers
/// show this: the background task may not have run since the date moved on, and a
/// page must not offer the actions of a state the loan has already left (a report
/// after an expired loan's end, say).
pub(crate) fn status_on(loan: &LoanRow, today: Date) -> LoanStatus {
    let mut status = loan.status;
    while let Some(action) = due_step(loan, status, today) {
        match check_transition(status, action, loan.format) {
            Ok(next) => status = next,
            Err(_) => break,
        }
    }
    status
}

/// The stored states of the loans that [`status_on`] may show as `shown`: the state
/// itself and those the date leads to it from.
pub(crate) fn stored_states_showing(shown: LoanStatus) -> &'static [LoanStatus] {
    use LoanStatus as S;
    match shown {
        S::Active => &[S::Active, S::Approved],
        S::Expired => &[S::Expired, S::Active, S::Approved],
        S::Overdue => &[S::Overdue, S::Active],
        S::Approved => &[S::Approved],
        S::Requested => &[S::Requested],
        S::Returned => &[S::Returned],
        S::Rejected => &[S::Rejected],
        S::Cancelled => &[S::Cancelled],
        S::Waitlisted => &[S::Waitlisted],
    }
}

/// Loads a loan the actor may see and brings its state up to date with the date.
pub(crate) fn load_current(
    conn: &Connection,
    id: LoanId,
    actor: &Actor,
    at: Moment,
) -> Result<LoanRow, LoanError> {
    let mut loan = find_visible(conn, id, actor)?;
    advance(conn, &mut loan, at)?;
    Ok(loan)
}

/// The resource's title (for messages); empty if it vanished.
pub(crate) fn resource_title(conn: &Connection, resource_id: &str) -> Result<String, LoanError> {
    Ok(crate::catalog::holdings::lendable(conn, resource_id)?
        .map(|r| r.title)
        .unwrap_or_default())
}

/// Whether the resource has been withdrawn from the catalogue.
pub(crate) fn resource_withdrawn(conn: &Connection, resource_id: &str) -> Result<bool, LoanError> {
    Ok(crate::catalog::holdings::lendable(conn, resource_id)?
        .is_some_and(|r| r.status == "withdrawn"))
}

/// The resource's title if the actor may see it (published within its sharing scope,
/// SPEC §9; any for librarians); an unknown, an unpublished and an unshared resource
/// look the same to borrowers.
pub(crate) fn visible_title(
    conn: &Connection,
    actor: &Actor,
    resource_id: &str,
) -> Result<String, LoanError> {
    let Some(found) = crate::catalog::holdings::lendable(conn, resource_id)? else {
        return Err(LoanError::ResourceNotFound(resource_id.to_owned()));
    };
    if actor.librarian {
        return Ok(found.title);
    }
    let visibility = crate::catalog::read::visibility(conn, resource_id)?;
    let sector = match actor.unit.as_deref() {
        Some(unit) => crate::accounts::units::sector_of(conn, unit)?,
        None => None,
    };
    if crate::accounts::policy::borrower_sees(&visibility, actor.unit.as_deref(), sector.as_deref())
    {
        Ok(found.title)
    } else {
        Err(LoanError::ResourceNotFound(resource_id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn row(status: LoanStatus, format: Format) -> LoanRow {
        LoanRow {
            id: LoanId(1),
            resource_id: "r".into(),
            unit: "u".into(),
            format,
            start: date(2027, 3, 2),
            end: date(2027, 3, 3),
            requested_end: date(2027, 3, 3),
            status,
            renewals: 0,
            copy_id: None,
            recalled: false,
        }
    }

    #[test]
    fn the_shown_state_follows_the_date_like_the_sweep() {
        use Format::{Digital, Physical};
        use LoanStatus::*;
        let cases = [
            (Approved, Digital, date(2027, 3, 1), Approved),
            (Approved, Digital, date(2027, 3, 2), Active),
            (Approved, Digital, date(2027, 3, 5), Expired),
            (Active, Digital, date(2027, 3, 3), Active),
            (Active, Physical, date(2027, 3, 4), Overdue),
            // A physical loan waits for its copy; only issuing makes it active.
            (Approved, Physical, date(2027, 3, 5), Approved),
            (Returned, Physical, date(2027, 3, 9), Returned),
            (Requested, Digital, date(2027, 3, 9), Requested),
        ];
        for (from, format, today, shown) in cases {
            assert_eq!(
                status_on(&row(from, format), today),
                shown,
                "{from:?} {format:?} {today}"
            );
            assert!(
                stored_states_showing(shown).contains(&from),
                "{from:?} → {shown:?}"
            );
        }
    }
}
