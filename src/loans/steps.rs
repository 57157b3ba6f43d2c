//! The workflow steps after a request: approve, reject, cancel, renew and report
//! (issue and return are in `circulation`, recall in `recall`). Each loads the loan,
//! brings its state up to date with the date, checks the transition and its
//! preconditions, and writes in one transaction.

use crate::audit::AuditAction;
use crate::clock::Moment;
use rusqlite::{Connection, params};
use serde::Deserialize;

use super::capacity::period_fits;
use super::days::{OpeningDays, add_days, length_days, parse_date};
use super::error::RenewalRefusal;
use super::model::{Action, Actor, Loan, LoanId, Period};
use super::notify::{NoticeKind, notify};
use super::request::approve_in;
use super::settings::settings_of;
use super::store::{self, LoanRow, load_current, record, transition_noting};
use super::transitions::{MAX_RENEWALS, check_transition};
use super::waitlist::promote;
use super::{LoanError, read};

/// Body of `reject`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RejectRequest {
    pub reason: Option<String>,
}

/// Body of `cancel`: none from the unit withdrawing its own request (a reason is
/// optional); the library cancelling a unit's loan must say why.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CancelRequest {
    pub reason: Option<String>,
}

/// The longest reason a librarian may give (rejection, cancellation, recall).
pub const MAX_REASON_CHARS: usize = 500;

/// A reason as typed, trimmed; `what` names it in the messages (e.g. 驳回理由).
pub(super) fn required_reason(raw: Option<&str>, what: &str) -> Result<String, LoanError> {
    match optional_reason(raw, what)? {
        Some(reason) => Ok(reason),
        None => Err(LoanError::invalid("reason", format!("请填写{what}"))),
    }
}

/// [`required_reason`] that may be left out.
pub(super) fn optional_reason(raw: Option<&str>, what: &str) -> Result<Option<String>, LoanError> {
    let reason = raw.map(str::trim).unwrap_or("");
    if reason.is_empty() {
        return Ok(None);
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(LoanError::invalid(
            "reason",
            format!("{what}不能超过 {MAX_REASON_CHARS} 个字符"),
        ));
    }
    Ok(Some(reason.to_owned()))
}

/// A renewal without a chosen end extends by this many days.
pub const DEFAULT_RENEWAL_DAYS: i64 = 7;

/// Body of `renew`: the new end, or by default [`DEFAULT_RENEWAL_DAYS`] more.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RenewRequest {
    pub end: Option<String>,
}

/// Body of `report`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReportRequest {
    pub held_on: Option<String>,
    /// How many sessions (场次) the report counts; 1 when left out.
    pub sessions: Option<i64>,
    pub participants: Option<i64>,
    pub feedback: Option<String>,
}

/// At most this many sessions in one report.
pub const MAX_SESSIONS: i64 = 1000;

/// Runs one step of `action`: load the loan the actor may see, advance it with the
/// date, refuse a librarian's action to anyone else (the one place that decides it:
/// a return depends on the loan's format), run `work`, and answer the loan as it now
/// is. A refusal rolls everything back.
pub(super) fn step(
    conn: &mut Connection,
    actor: &Actor,
    id: LoanId,
    action: Action,
    at: Moment,
    work: impl FnOnce(&Connection, &mut LoanRow) -> Result<(), LoanError>,
) -> Result<Loan, LoanError> {
    let today = at.today();
    store::write(conn, |tx| {
        let mut loan = load_current(tx, id, actor, at)?;
        if action.librarian_only_for(loan.format) && !actor.librarian {
            return Err(LoanError::LibrarianOnly { action });
        }
        work(tx, &mut loan)?;
        let loan = store::find(tx, id)?.ok_or(LoanError::NotFound(id))?;
        read::view(tx, &loan, actor, today)
    })
}

pub(super) fn title(conn: &Connection, loan: &LoanRow) -> Result<String, LoanError> {
    store::resource_title(conn, &loan.resource_id)
}

/// Tells the loan's unit `message` (in the app, and by mail where it has addresses).
pub(super) fn tell(
    tx: &Connection,
    loan: &LoanRow,
    kind: NoticeKind,
    message: &str,
    at: Moment,
) -> Result<(), LoanError> {
    notify(tx, &loan.unit, loan.id, kind, message, None, at)
}

/// A librarian approves a request.
pub(super) fn approve(
    conn: &mut Connection,
    actor: &Actor,
    id: LoanId,
    at: Moment,
) -> Result<Loan, LoanError> {
    step(conn, actor, id, Action::Approve, at, |tx, loan| {
        approve_in(tx, actor, loan, at)
    })
}

/// A librarian turns a request (or waitlisted request) down, saying why.
pub(super) fn reject(
    conn: &mut Connection,
    actor: &Actor,
    id: LoanId,
    input: RejectRequest,
    at: Moment,
) -> Result<Loan, LoanError> {
    step(conn, actor, id, Action::Reject, at, |tx, loan| {
        check_transition(loan.status, Action::Reject, loan.format)?;
        let reason = required_reason(input.reason.as_deref(), "驳回理由")?;
        let reason = reason.as_str();
        let held = loan.status.holds_capacity();
        tx.execute(
            "UPDATE loans SET reject_reason = ?2 WHERE id = ?1",
            params![loan.id.0, reason],
        )?;
        transition_noting(tx, actor, loan, Action::Reject, at, reason)?;
        let title = super::notify::marked(&title(tx, loan)?);
        let message = format!("{title}的借阅申请未获批准：{reason}");
        tell(tx, loan, NoticeKind::Rejected, &message, at)?;
        if held {
            promote(tx, &loan.resource_id, loan.format, at)?;
        }
        Ok(())
    })
}

/// The requesting unit withdraws a loan before it is active, or a librarian cancels
/// it for the unit, saying why (the unit is told, with the reason).
pub(super) fn cancel(
    conn: &mut Connection,
    actor: &Actor,
    id: LoanId,
    input: CancelRequest,
    at: Moment,
) -> Result<Loan, LoanError> {
    step(conn, actor, id, Action::Cancel, at, |tx, loan| {
        check_transition(loan.status, Action::Cancel, loan.format)?;
        let by_library = actor.unit.as_deref() != Some(loan.unit.as_str());
        let reason = if by_library {
            Some(required_reason(input.reason.as_deref(), "取消理由")?)
        } else {
            optional_reason(input.reason.as_deref(), "取消理由")?
        };
        cancel_in(tx, actor, loan, reason.as_deref(), by_library, at)
    })
}

/// Cancels `loan` in the caller's transaction: stores the reason, writes the audit
/// row, tells the unit when someone else cancelled, and promotes the waitlist into
/// the freed days.
pub(super) fn cancel_in(
    tx: &Connection,
    actor: &Actor,
    loan: &mut LoanRow,
    reason: Option<&str>,
    tell_unit: bool,
    at: Moment,
) -> Result<(), LoanError> {
    let held = loan.status.holds_capacity();
    if let Some(reason) = reason {
        tx.execute(
            "UPDATE loans SET cancel_reason = ?2 WHERE id = ?1",
            params![loan.id.0, reason],
        )?;
    }
    transition_noting(tx, actor, loan, Action::Cancel, at, reason.unwrap_or(""))?;
    if tell_unit {
        let title = super::notify::marked(&title(tx, loan)?);
        let why = reason.map(|r| format!("：{r}")).unwrap_or_default();
        let message = format!(
            "管理员已取消{title}的借阅（{} 至 {}）{why}",
            loan.start, loan.end
        );
        tell(tx, loan, NoticeKind::Cancelled, &message, at)?;
    }
    if held {
        promote(tx, &loan.resource_id, loan.format, at)?;
    }
    Ok(())
}

/// The unit extends an approved or active loan: at most twice, only when nobody
/// waits for the resource and the longer period still fits.
pub(super) fn renew(
    conn: &mut Connection,
    actor: &Actor,
    id: LoanId,
    input: RenewRequest,
    at: Moment,
) -> Result<Loan, LoanError> {
    let today = at.today();
    step(conn, actor, id, Action::Renew, at, |tx, loan| {
        let asked_end = renewal_end(tx, loan, &input, today)?;
        let end = OpeningDays::load(tx)?.next_open(asked_end);
        let period = Period {
            start: loan.start,
            end,
        };
        if !period_fits(tx, &loan.resource_id, loan.format, period, Some(loan.id))? {
            return Err(LoanError::NoCapacity {
                start: add_days(loan.end, 1),
                end,
                what: loan.format.unit_name(),
            });
        }
        let old_end = loan.end;
        tx.execute(
            "UPDATE loans SET end_date = ?2, requested_end = ?3, renewals = renewals + 1, updated_at = ?4 WHERE id = ?1",
            params![loan.id.0, end.to_string(), asked_end.to_string(), at.stamp()],
        )?;
        loan.end = end;
        loan.renewals += 1;
        record(
            tx,
            actor,
            loan,
            AuditAction::LoanRenewed,
            format!("结束日期 {old_end} → {end}（第 {} 次续借）", loan.renewals),
            at,
        )?;
        // The unit's own renewal needs no telling; a librarian's does.
        if !super::notify::own_unit(actor, &loan.unit) {
            let title = super::notify::marked(&title(tx, loan)?);
            notify(
                tx,
                &loan.unit,
                loan.id,
                NoticeKind::Renewed,
                &format!("管理员已将{title}的借阅续借至 {end}"),
                None,
                at,
            )?;
        }
        Ok(())
    })
}

/// The end a renewal asks for, after the checks that need no capacity: the loan may
/// be renewed (its state, the limit, nobody waiting) and the new end is later and
/// keeps the whole loan within the resource's longest period.
fn renewal_end(
    tx: &Connection,
    loan: &LoanRow,
    input: &RenewRequest,
    today: jiff::civil::Date,
) -> Result<jiff::civil::Date, LoanError> {
    check_transition(loan.status, Action::Renew, loan.format)?;
    // A recalled loan is wanted back, and a withdrawn resource's loans run to their
    // end and no further.
    if loan.recalled {
        return Err(LoanError::RenewalRefused {
            why: RenewalRefusal::Recalled,
        });
    }
    if store::resource_withdrawn(tx, &loan.resource_id)? {
        return Err(LoanError::RenewalRefused {
            why: RenewalRefusal::Withdrawn,
        });
    }
    if loan.renewals >= MAX_RENEWALS {
        return Err(LoanError::RenewalRefused {
            why: RenewalRefusal::LimitReached { max: MAX_RENEWALS },
        });
    }
    let waiting: i64 = tx.query_row(
        "SELECT count(*) FROM loans INDEXED BY loans_waiting
         WHERE resource_id = ?1 AND format = ?2 AND status = 'waitlisted' AND end_date >= ?3",
        params![loan.resource_id, loan.format.as_str(), today.to_string()],
        |row| row.get(0),
    )?;
    if waiting > 0 {
        return Err(LoanError::RenewalRefused {
            why: RenewalRefusal::Waitlisted { waiting },
        });
    }
    let asked_end = match input
        .end
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(end) => parse_date("end", end)?,
        None => add_days(loan.end, DEFAULT_RENEWAL_DAYS),
    };
    if asked_end <= loan.end {
        return Err(LoanError::invalid(
            "end",
            format!("续借后的结束日期应晚于现在的 {}", loan.end),
        ));
    }
    // The longest period counts from the loan's first day: renewing may not
    // stretch one unit's hold beyond what a single request could ask for.
    let max = settings_of(tx, &loan.resource_id)?.max_days(loan.format);
    let total = length_days(loan.start, asked_end);
    if total > i64::from(max) {
        return Err(LoanError::RenewalRefused {
            why: RenewalRefusal::TooLong {
                format: loan.format.label(),
                total,
                max,
            },
        });
    }
    Ok(asked_end)
}

/// The unit reports how the material was used: date held, participants, feedback.
/// Reporting again replaces the report.
pub(super) fn report(
    conn: &mut Connection,
    actor: &Actor,
    id: LoanId,
    input: ReportRequest,
    at: Moment,
) -> Result<Loan, LoanError> {
    let today = at.today();
    step(conn, actor, id, Action::Report, at, |tx, loan| {
        check_transition(loan.status, Action::Report, loan.format)?;
        let held_on = match input
            .held_on
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            Some(day) => parse_date("held_on", day)?,
            None => return Err(LoanError::invalid("held_on", "请填写举办日期")),
        };
        if held_on > today {
            return Err(LoanError::invalid("held_on", "举办日期不能晚于今天"));
        }
        if held_on < loan.start {
            return Err(LoanError::invalid(
                "held_on",
                format!("举办日期不能早于借阅开始日期 {}", loan.start),
            ));
        }
        let participants = match input.participants {
            Some(n) if (1..=100_000).contains(&n) => n,
            Some(_) => {
                return Err(LoanError::invalid(
                    "participants",
                    "参加人数应在 1 到 100000 之间",
                ));
            }
            None => return Err(LoanError::invalid("participants", "请填写参加人数")),
        };
        let sessions = match input.sessions {
            None => 1,
            Some(n) if (1..=MAX_SESSIONS).contains(&n) => n,
            Some(_) => {
                return Err(LoanError::invalid(
                    "sessions",
                    format!("场次应在 1 到 {MAX_SESSIONS} 之间"),
                ));
            }
        };
        let feedback = input.feedback.as_deref().unwrap_or("").trim();
        if feedback.chars().count() > 5000 {
            return Err(LoanError::invalid("feedback", "观后感不能超过 5000 个字符"));
        }
        tx.execute(
            "INSERT INTO loan_reports (loan_id, held_on, sessions, participants, feedback, reported_by, reported_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (loan_id) DO UPDATE SET held_on = excluded.held_on,
                sessions = excluded.sessions, participants = excluded.participants,
                feedback = excluded.feedback, reported_by = excluded.reported_by,
                reported_at = excluded.reported_at",
            params![loan.id.0, held_on.to_string(), sessions, participants, feedback, actor.username, at.stamp()],
        )?;
        record(
            tx,
            actor,
            loan,
            AuditAction::LoanReported,
            format!("{held_on} 举办 {sessions} 场，{participants} 人次参加"),
            at,
        )?;
        Ok(())
    })
}
