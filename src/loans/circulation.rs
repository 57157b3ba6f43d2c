//! Circulation: handing out a physical copy by its barcode — from the resource's
//! issue window before the start on, recording who handed it out when (the loan
//! slip) — and checking a loan back in (with the copy's condition).

use crate::catalog::write::Edit;
use crate::clock::Moment;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;

use super::capacity;
use super::days::add_days;
use super::error::{CopyProblem, IssueTiming, LoanError};
use super::model::{Action, Actor, Format, Loan, LoanId, Period};
use super::notify::{NoticeKind, notify};
use super::settings::settings_of;
use super::steps::{step, title};
use super::store::LoanRow;
use super::store::transition;
use super::transitions::check_transition;
use super::waitlist::promote;
use crate::accounts::{AccountError, users};
use crate::catalog::holdings;
use jiff::civil::Date;

/// The longest barcode a scanner or a person would type.
const MAX_BARCODE_CHARS: usize = 100;

/// Body of `issue`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct IssueRequest {
    pub barcode: Option<String>,
}

/// Body of `return` (all optional).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReturnRequest {
    /// The copy's condition as checked in (e.g. good, worn, damaged).
    pub condition: Option<String>,
}

/// A librarian hands out a physical copy, named by its barcode.
pub(super) fn issue(
    conn: &mut Connection,
    actor: &Actor,
    id: LoanId,
    input: IssueRequest,
    at: Moment,
) -> Result<Loan, LoanError> {
    let today = at.today();
    step(conn, actor, id, Action::Issue, at, |tx, loan| {
        check_transition(loan.status, Action::Issue, loan.format)?;
        check_issue_window(tx, loan, today)?;
        let copy = free_copy(tx, loan, input.barcode.as_deref())?;
        // From here on the catalogue's spelling of the barcode.
        let (copy_id, barcode) = (copy.id, copy.barcode.as_str());
        if today < loan.start {
            check_early_room(tx, loan, today)?;
        }
        tx.execute(
            "UPDATE loans SET copy_id = ?2, issued_at = ?3, issued_on = ?4, issued_by = ?5,
                    issued_by_name = ?6
             WHERE id = ?1",
            params![
                loan.id.0,
                copy_id,
                at.stamp(),
                today.to_string(),
                actor.user_id,
                issuer_name(tx, actor)?
            ],
        )?;
        transition(tx, actor, loan, Action::Issue, at)?;
        let title = super::notify::marked(&title(tx, loan)?);
        notify(
            tx,
            &loan.unit,
            loan.id,
            NoticeKind::Issued,
            &format!(
                "{title}的实体拷贝（{barcode}）已出借，请于 {} 前归还",
                loan.end
            ),
            None,
            at,
        )?;
        Ok(())
    })
}

/// Refuses a copy handed out before the resource's issue window opens
/// (`issue_lead_days` before the start) or after the loan's end.
fn check_issue_window(tx: &Connection, loan: &LoanRow, today: Date) -> Result<(), LoanError> {
    let lead = settings_of(tx, &loan.resource_id)?.issue_lead_days;
    let from = add_days(loan.start, -i64::from(lead));
    if today < from {
        return Err(LoanError::Timing(IssueTiming::BeforeStart {
            start: loan.start,
            from,
            lead,
        }));
    }
    if today > loan.end {
        return Err(LoanError::Timing(IssueTiming::AfterEnd { end: loan.end }));
    }
    Ok(())
}

/// The copy named by the barcode as typed, if it is this resource's, in circulation
/// and on the shelf.
fn free_copy(
    tx: &Connection,
    loan: &LoanRow,
    typed: Option<&str>,
) -> Result<holdings::CopyRow, LoanError> {
    let typed = typed.map(str::trim).unwrap_or("");
    if typed.is_empty() {
        return Err(LoanError::invalid("barcode", "请填写要出借的拷贝条码"));
    }
    if typed.chars().count() > MAX_BARCODE_CHARS {
        return Err(LoanError::invalid(
            "barcode",
            format!("条码过长（最多 {MAX_BARCODE_CHARS} 个字符），请检查扫描枪或重新填写"),
        ));
    }
    let Some(copy) = holdings::copy_by_barcode(tx, typed)? else {
        return Err(LoanError::invalid(
            "barcode",
            format!("没有条码为“{typed}”的拷贝"),
        ));
    };
    let barcode = copy.barcode.as_str();
    if copy.resource_id != loan.resource_id {
        return Err(copy_unavailable(barcode, CopyProblem::OtherResource));
    }
    if !copy.in_circulation {
        return Err(copy_unavailable(barcode, CopyProblem::OutOfCirculation));
    }
    let out_with: Option<i64> = tx
        .query_row(
            "SELECT id FROM loans WHERE copy_id = ?1 AND status IN ('active', 'overdue')",
            [copy.id],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(other) = out_with {
        return Err(copy_unavailable(
            barcode,
            CopyProblem::OutWith { loan: other },
        ));
    }
    Ok(copy)
}

/// A copy handed out before the loan's start holds its place from today (see
/// `capacity::day_use`): refused when, on a day before the start, the other loans
/// already hold every copy.
fn check_early_room(tx: &Connection, loan: &LoanRow, today: Date) -> Result<(), LoanError> {
    let early = Period {
        start: today,
        end: add_days(loan.start, -1),
    };
    let copies = capacity::capacity_of(tx, &loan.resource_id, Format::Physical)?;
    let others = capacity::day_use(
        tx,
        &loan.resource_id,
        Format::Physical,
        early.start,
        early.end,
        Some(loan.id),
    )?;
    if capacity::DayTally::counted(early.start, others).fits(copies, early) {
        return Ok(());
    }
    Err(LoanError::Timing(IssueTiming::NoRoomBeforeStart {
        start: loan.start,
    }))
}

/// The librarian's name for the loan slip: the account's display name, else the
/// username (a command-line operator has no account).
fn issuer_name(tx: &Connection, actor: &Actor) -> Result<String, LoanError> {
    let named = match actor.user_id {
        Some(id) => users::display_name_of(tx, id).map_err(|err| match err {
            AccountError::Db(db) => LoanError::Db(db),
            other => LoanError::invalid("user", other.to_string()),
        })?,
        None => None,
    };
    Ok(named.unwrap_or_else(|| actor.username.clone()))
}

fn copy_unavailable(barcode: &str, why: CopyProblem) -> LoanError {
    LoanError::CopyUnavailable {
        barcode: barcode.to_owned(),
        why,
    }
}

/// A loan comes back: a librarian checks a physical copy in with its condition; the
/// unit (or a librarian) ends a digital loan early. Returning early frees the
/// remaining days.
pub(super) fn return_loan(
    conn: &mut Connection,
    actor: &Actor,
    id: LoanId,
    input: ReturnRequest,
    at: Moment,
) -> Result<Loan, LoanError> {
    let today = at.today();
    step(conn, actor, id, Action::Return, at, |tx, loan| {
        check_transition(loan.status, Action::Return, loan.format)?;
        let condition = input
            .condition
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        if condition.is_some_and(|c| c.chars().count() > 100) {
            return Err(LoanError::invalid(
                "condition",
                "拷贝状况不能超过 100 个字符",
            ));
        }
        tx.execute(
            "UPDATE loans SET returned_on = ?2, return_condition = ?3 WHERE id = ?1",
            params![loan.id.0, today.to_string(), condition],
        )?;
        if let (Format::Physical, Some(copy), Some(condition)) =
            (loan.format, loan.copy_id, condition)
        {
            // The copy's condition is what the librarian saw at check-in; the
            // catalogue keeps it, with the edit history of its holdings.
            let edit = Edit {
                by: &actor.username,
                at,
            };
            holdings::set_copy_condition(tx, copy, condition, &edit)?;
        }
        transition(tx, actor, loan, Action::Return, at)?;
        let title = super::notify::marked(&title(tx, loan)?);
        notify(
            tx,
            &loan.unit,
            loan.id,
            NoticeKind::Returned,
            &format!("{title}已归还，欢迎提交使用报告"),
            None,
            at,
        )?;
        promote(tx, &loan.resource_id, loan.format, at)?;
        Ok(())
    })
}
