//! Circulation: handing out a physical copy by its barcode and checking a loan back
//! in (with the copy's condition).

use crate::catalog::write::Edit;
use crate::clock::Moment;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;

use super::error::{CopyProblem, IssueTiming, LoanError};
use super::model::{Action, Actor, Format, Loan, LoanId};
use super::notify::{NoticeKind, notify};
use super::steps::{step, title};
use super::store::transition;
use super::transitions::check_transition;
use super::waitlist::promote;
use crate::catalog::holdings;

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
        if today < loan.start {
            return Err(LoanError::Timing(IssueTiming::BeforeStart {
                start: loan.start,
            }));
        }
        if today > loan.end {
            return Err(LoanError::Timing(IssueTiming::AfterEnd { end: loan.end }));
        }
        let typed = input.barcode.as_deref().map(str::trim).unwrap_or("");
        if typed.is_empty() {
            return Err(LoanError::invalid("barcode", "请填写要出借的拷贝条码"));
        }
        let Some(copy) = holdings::copy_by_barcode(tx, typed)? else {
            return Err(LoanError::invalid(
                "barcode",
                format!("没有条码为“{typed}”的拷贝"),
            ));
        };
        // From here on the catalogue's spelling of the barcode.
        let barcode = copy.barcode.as_str();
        if copy.resource_id != loan.resource_id {
            return Err(copy_unavailable(barcode, CopyProblem::OtherResource));
        }
        if !copy.in_circulation {
            return Err(copy_unavailable(barcode, CopyProblem::OutOfCirculation));
        }
        let copy_id = copy.id;
        let out_with: Option<i64> = tx
            .query_row(
                "SELECT id FROM loans WHERE copy_id = ?1 AND status IN ('active', 'overdue')",
                [copy_id],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(other) = out_with {
            return Err(copy_unavailable(
                barcode,
                CopyProblem::OutWith { loan: other },
            ));
        }
        tx.execute(
            "UPDATE loans SET copy_id = ?2 WHERE id = ?1",
            params![loan.id.0, copy_id],
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
