//! Recalling a lent item before its end (issue 15): a librarian, with a reason. A
//! physical loan stays active with its end brought forward to the recall's due date,
//! so the copy is still checked in at the desk and the date makes it overdue like
//! any loan; a digital loan ends at once. The unit is told why and by when.

use crate::clock::Moment;
use jiff::civil::Date;
use rusqlite::{Connection, params};
use serde::Deserialize;

use super::LoanError;
use super::days::{OpeningDays, add_days, parse_date};
use super::model::{Action, Actor, Format, Loan, LoanId, LoanStatus};
use super::notify::NoticeKind;
use super::steps::{required_reason, step, tell, title};
use super::store::{LoanRow, record, transition_noting};
use super::transitions::check_transition;
use super::waitlist::promote;
use crate::audit::AuditAction;

/// Body of `recall`: why (required) and, for a physical copy, the day it must be
/// back by (default: [`RECALL_DAYS`] from today, on an open day, never later than
/// the loan's own end).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RecallRequest {
    pub reason: Option<String>,
    /// `YYYY-MM-DD`.
    pub due: Option<String>,
}

/// A recalled copy is due back this many days after the recall unless the librarian
/// chooses a day: time for the unit to bring it, short enough to mean it.
pub const RECALL_DAYS: i64 = 3;

/// A librarian recalls an active loan (or reminds an overdue one that it is wanted).
pub(super) fn recall(
    conn: &mut Connection,
    actor: &Actor,
    id: LoanId,
    input: RecallRequest,
    at: Moment,
) -> Result<Loan, LoanError> {
    step(conn, actor, id, Action::Recall, at, |tx, loan| {
        check_transition(loan.status, Action::Recall, loan.format)?;
        let reason = required_reason(input.reason.as_deref(), "召回理由")?;
        let due = input
            .due
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| parse_date("due", d))
            .transpose()?;
        recall_in(tx, actor, loan, &reason, due, at)
    })
}

/// Recalls `loan` in the caller's transaction (the withdrawal of its resource
/// recalls several at once): checks, brings the end forward, writes the audit row
/// with the reason, tells the unit and lets the waitlist into the freed days.
pub(super) fn recall_in(
    tx: &Connection,
    actor: &Actor,
    loan: &mut LoanRow,
    reason: &str,
    due: Option<Date>,
    at: Moment,
) -> Result<(), LoanError> {
    check_transition(loan.status, Action::Recall, loan.format)?;
    if loan.recalled {
        let on: Option<String> = tx.query_row(
            "SELECT recalled_at FROM loans WHERE id = ?1",
            [loan.id.0],
            |row| row.get(0),
        )?;
        return Err(LoanError::AlreadyRecalled {
            on: on
                .map(|stamp| stamp.chars().take(10).collect())
                .unwrap_or_default(),
        });
    }
    let today = at.today();
    let end = new_end(tx, loan, due, today)?;
    let old_end = loan.end;
    tx.execute(
        "UPDATE loans SET end_date = ?2, recalled_at = ?3, recall_reason = ?4, updated_at = ?3
         WHERE id = ?1",
        params![loan.id.0, end.to_string(), at.stamp(), reason],
    )?;
    loan.end = end;
    loan.recalled = true;
    let moved = if end == old_end {
        String::new()
    } else {
        format!("（结束日期 {old_end} → {end}）")
    };
    if check_transition(loan.status, Action::Recall, loan.format)? == loan.status {
        // The copy is still out: the log says what changed rather than "借阅中 → 借阅中".
        record(
            tx,
            actor,
            loan,
            AuditAction::LoanRecalled,
            format!("召回：{reason}{moved}"),
            at,
        )?;
    } else {
        transition_noting(
            tx,
            actor,
            loan,
            Action::Recall,
            at,
            &format!("{reason}{moved}"),
        )?;
    }
    let title = super::notify::marked(&title(tx, loan)?);
    let message = match (loan.format, loan.status) {
        (Format::Digital, _) => {
            format!("{title}的数字借阅已被召回，即日起停止访问。召回理由：{reason}")
        }
        (_, LoanStatus::Overdue) => {
            format!("{title}的实体拷贝已逾期并被召回，请立即归还。召回理由：{reason}")
        }
        _ => format!("{title}的实体拷贝已被召回，请于 {end} 前归还。召回理由：{reason}"),
    };
    tell(tx, loan, NoticeKind::Recalled, &message, at)?;
    if end < old_end {
        promote(tx, &loan.resource_id, loan.format, at)?;
    }
    Ok(())
}

/// The loan's end after the recall. Digital: today (its access ends now). Physical:
/// the chosen day (from today to the loan's end) or [`RECALL_DAYS`] ahead, moved off
/// a closed day and never past the loan's end; an overdue loan keeps its past end.
fn new_end(
    tx: &Connection,
    loan: &LoanRow,
    due: Option<Date>,
    today: Date,
) -> Result<Date, LoanError> {
    if loan.format == Format::Digital {
        return Ok(today.clamp(loan.start, loan.end));
    }
    if loan.end < today {
        return Ok(loan.end);
    }
    let asked = match due {
        Some(day) if day < today => {
            return Err(LoanError::invalid("due", "召回的归还日期不能早于今天"));
        }
        Some(day) if day > loan.end => {
            return Err(LoanError::invalid(
                "due",
                format!("召回的归还日期不能晚于原定结束日期 {}", loan.end),
            ));
        }
        Some(day) => day,
        None => add_days(today, RECALL_DAYS),
    };
    Ok(OpeningDays::load(tx)?.next_open(asked).min(loan.end))
}

/// The day a copy recalled on `today` is due back by default: [`RECALL_DAYS`] ahead
/// on an open day, never past the loan's `end` (what the recall form proposes).
pub fn default_recall_due(conn: &Connection, end: Date, today: Date) -> Result<Date, LoanError> {
    let due = OpeningDays::load(conn)?.next_open(add_days(today, RECALL_DAYS));
    Ok(due.min(end).max(today))
}
