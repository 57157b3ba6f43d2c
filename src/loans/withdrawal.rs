//! Withdrawing a resource that is on loan (issue 15). The librarian is told how many
//! loans are open and chooses what becomes of them:
//!
//! - [`OnLoans::Run`] (the default, and what a plain `POST …/withdraw` does): loans
//!   already granted (approved, active, overdue) run to their end, without renewal;
//!   requests and waitlisted requests are cancelled, because nobody should start a
//!   loan of something the committee took out of the catalogue, and a request left
//!   open would wait for an approval that can no longer sensibly come.
//! - [`OnLoans::Recall`]: the requests are cancelled as above, approved loans that
//!   have not started are cancelled, and lent items are recalled (`recall`).
//!
//! Every affected unit is notified. The resource's status change (catalogue) and the
//! loans' changes happen in one transaction.

use crate::catalog::ResourceId;
use crate::catalog::curation::withdraw_in;
use crate::clock::Moment;
use jiff::civil::Date;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::LoanError;
use super::days::parse_date;
use super::model::{Actor, Format, LoanStatus};
use super::notify::NoticeKind;
use super::recall::recall_in;
use super::steps::{cancel_in, optional_reason, tell, title};
use super::store::{self, LoanRow, advance};

/// What becomes of a withdrawn resource's open loans.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnLoans {
    /// Granted loans run to their end; requests are cancelled.
    #[default]
    Run,
    /// Requests and loans not yet started are cancelled; lent items are recalled.
    Recall,
}

impl OnLoans {
    pub fn as_str(self) -> &'static str {
        match self {
            OnLoans::Run => "run",
            OnLoans::Recall => "recall",
        }
    }

    pub fn parse(value: &str) -> Result<Self, LoanError> {
        match value.trim() {
            "" | "run" => Ok(OnLoans::Run),
            "recall" => Ok(OnLoans::Recall),
            other => Err(LoanError::invalid(
                "on_loans",
                format!(
                    "“{other}”不是有效的处理方式；应为 run（照常进行至结束）或 recall（全部召回）"
                ),
            )),
        }
    }
}

/// Body of `POST /api/v1/resources/{id}/withdraw`, all optional: an empty body lets
/// the loans run.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct WithdrawRequest {
    /// `run` (default) or `recall`.
    pub on_loans: Option<String>,
    /// Told to the units (default: 该资源已撤回).
    pub reason: Option<String>,
    /// With `recall`: the day recalled copies are due back (`YYYY-MM-DD`).
    pub due: Option<String>,
}

/// A resource's open loans by state, as the librarian is told before withdrawing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OpenLoans {
    pub requested: u32,
    pub waitlisted: u32,
    pub approved: u32,
    /// Lent out now (active, overdue included).
    pub active: u32,
    pub total: u32,
}

impl OpenLoans {
    fn count(&mut self, status: LoanStatus) {
        let slot = match status {
            LoanStatus::Requested => &mut self.requested,
            LoanStatus::Waitlisted => &mut self.waitlisted,
            LoanStatus::Approved => &mut self.approved,
            LoanStatus::Active | LoanStatus::Overdue => &mut self.active,
            _ => return,
        };
        *slot += 1;
        self.total += 1;
    }

    /// In words, for the audit row and the editor.
    pub fn describe(&self) -> String {
        format!(
            "未结束的借阅 {} 笔（待审批 {}，候补 {}，已批准 {}，借出中 {}）",
            self.total, self.requested, self.waitlisted, self.approved, self.active
        )
    }
}

/// What a withdrawal did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Withdrawal {
    pub resource_id: String,
    /// False when the resource was already withdrawn.
    pub changed: bool,
    pub on_loans: OnLoans,
    /// The open loans found, before anything changed.
    pub open_loans: OpenLoans,
    pub cancelled: u32,
    pub recalled: u32,
    /// Loans left to run to their end.
    pub running: u32,
}

/// The states of an open loan.
const OPEN_SQL: &str = "('requested', 'waitlisted', 'approved', 'active', 'overdue')";

fn open_rows(conn: &Connection, resource_id: &str) -> Result<Vec<LoanRow>, LoanError> {
    let sql = format!(
        "SELECT {} FROM loans WHERE resource_id = ?1 AND status IN {OPEN_SQL} ORDER BY id",
        store::ROW_COLUMNS
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map([resource_id], store::row_from)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(store::RawRow::parse).collect()
}

/// The resource's open loans as of `today` (read only; for the editor).
pub fn open_loans(
    conn: &Connection,
    resource_id: &str,
    today: Date,
) -> Result<OpenLoans, LoanError> {
    let mut open = OpenLoans::default();
    for loan in open_rows(conn, resource_id)? {
        open.count(store::status_on(&loan, today));
    }
    Ok(open)
}

/// A librarian withdraws resource `id` and settles its open loans as `input` says.
pub fn withdraw_resource(
    conn: &mut Connection,
    actor: &Actor,
    id: &ResourceId,
    input: WithdrawRequest,
    at: Moment,
) -> Result<Withdrawal, LoanError> {
    if !actor.librarian {
        return Err(LoanError::LibrariansOnly {
            task: "撤回资源"
        });
    }
    let on_loans = OnLoans::parse(input.on_loans.as_deref().unwrap_or(""))?;
    let reason = optional_reason(input.reason.as_deref(), "撤回原因")?
        .unwrap_or_else(|| "该资源已撤回".to_owned());
    let due = match input.due.as_deref().map(str::trim) {
        Some(day) if !day.is_empty() => Some(parse_date("due", day)?),
        _ => None,
    };
    store::write(conn, |tx| {
        let mut loans = open_rows(tx, id.as_str())?;
        for loan in &mut loans {
            advance(tx, loan, at)?;
        }
        // Waitlisted requests first: cancelling a request promotes the waitlist,
        // which must find nobody left to promote.
        loans.sort_by_key(|l| (order(l.status), l.id.0));
        let mut open = OpenLoans::default();
        loans.iter().for_each(|l| open.count(l.status));
        let detail = format!(
            "{}；处理方式：{}；原因：{reason}",
            open.describe(),
            match on_loans {
                OnLoans::Run => "已批准和借出中的照常进行至结束，待审批和候补的取消",
                OnLoans::Recall => "全部召回（未开始的取消，借出中的召回）",
            }
        );
        let curated = withdraw_in(tx, actor, id.clone(), &detail, at)?;
        let mut done = Withdrawal {
            resource_id: curated.id.to_string(),
            changed: curated.changed,
            on_loans,
            open_loans: open,
            cancelled: 0,
            recalled: 0,
            running: 0,
        };
        let how = Settling {
            actor,
            on_loans,
            reason: &reason,
            due,
            at,
        };
        for loan in &mut loans {
            how.settle(tx, loan, &mut done)?;
        }
        Ok(done)
    })
}

/// Waitlisted, then requested, then the rest.
fn order(status: LoanStatus) -> u8 {
    match status {
        LoanStatus::Waitlisted => 0,
        LoanStatus::Requested => 1,
        _ => 2,
    }
}

/// How one withdrawal settles each of the resource's open loans.
struct Settling<'a> {
    actor: &'a Actor,
    on_loans: OnLoans,
    reason: &'a str,
    due: Option<Date>,
    at: Moment,
}

impl Settling<'_> {
    fn settle(
        &self,
        tx: &Connection,
        loan: &mut LoanRow,
        done: &mut Withdrawal,
    ) -> Result<(), LoanError> {
        use LoanStatus as S;
        let (actor, reason, at) = (self.actor, self.reason, self.at);
        match (loan.status, self.on_loans) {
            (S::Requested | S::Waitlisted, _) | (S::Approved, OnLoans::Recall) => {
                cancel_in(tx, actor, loan, Some(reason), true, at)?;
                done.cancelled += 1;
            }
            (S::Active | S::Overdue, OnLoans::Recall) => {
                // A loan recalled before keeps its recall (and its due date).
                if loan.recalled {
                    tell_withdrawn(tx, loan, reason, at, true)?;
                } else {
                    recall_in(tx, actor, loan, reason, self.due, at)?;
                }
                done.recalled += 1;
            }
            (S::Approved | S::Active | S::Overdue, OnLoans::Run) => {
                tell_withdrawn(tx, loan, reason, at, false)?;
                done.running += 1;
            }
            // Advanced past its end just now (an expired digital loan): nothing to do.
            _ => {}
        }
        Ok(())
    }
}

/// Tells the unit the resource is withdrawn: its loan runs to its end, or (recalled
/// before) is still to be brought back.
fn tell_withdrawn(
    tx: &Connection,
    loan: &LoanRow,
    reason: &str,
    at: Moment,
    recalled: bool,
) -> Result<(), LoanError> {
    let title = super::notify::marked(&title(tx, loan)?);
    let message = match (recalled, loan.format) {
        (true, _) => format!(
            "{title}已撤回（{reason}）。本单位已被召回的实体拷贝请于 {} 前归还",
            loan.end
        ),
        (false, Format::Physical) => format!(
            "{title}已撤回（{reason}）。本单位的借阅（{} 至 {}）照常进行，请于 {} 前归还实体拷贝，不能续借",
            loan.start, loan.end, loan.end
        ),
        (false, Format::Digital) => format!(
            "{title}已撤回（{reason}）。本单位的借阅（{} 至 {}）照常进行，可使用至 {}，不能续借",
            loan.start, loan.end, loan.end
        ),
    };
    tell(tx, loan, NoticeKind::Withdrawn, &message, at)
}

/// Cancels the requests for resources no longer published, telling their units (the
/// background task): a resource withdrawn by a path that did not settle its loans (a
/// PATCH of its status, an import) is settled as a withdrawal would have done.
pub(crate) fn lapse_requests_of_unpublished(
    conn: &Connection,
    at: Moment,
) -> Result<usize, LoanError> {
    let waiting: Vec<String> = {
        let mut stmt = conn.prepare_cached(
            // From the few resources not published, not from every pending request.
            "SELECT r.id FROM resources r WHERE r.status != 'published'
               AND EXISTS (SELECT 1 FROM loans l WHERE l.resource_id = r.id
                             AND l.format IN ('digital', 'physical')
                             AND l.status IN ('requested', 'waitlisted'))
             ORDER BY r.id",
        )?;
        stmt.query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?
    };
    let system = Actor::system();
    let mut count = 0;
    for resource_id in waiting {
        let published = crate::catalog::holdings::lendable(conn, &resource_id)?
            .is_some_and(|r| r.status == "published");
        if published {
            continue;
        }
        let mut loans = open_rows(conn, &resource_id)?;
        loans.retain(|l| matches!(l.status, LoanStatus::Requested | LoanStatus::Waitlisted));
        loans.sort_by_key(|l| (order(l.status), l.id.0));
        for loan in &mut loans {
            cancel_in(conn, &system, loan, Some("该资源已撤回"), true, at)?;
            count += 1;
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_read_from_words() {
        assert_eq!(OnLoans::parse("").unwrap(), OnLoans::Run);
        assert_eq!(OnLoans::parse(" recall ").unwrap(), OnLoans::Recall);
        assert!(OnLoans::parse("<script>").is_err());
        let mut open = OpenLoans::default();
        for status in LoanStatus::ALL {
            open.count(status);
        }
        assert_eq!((open.total, open.active), (5, 2));
    }
}
