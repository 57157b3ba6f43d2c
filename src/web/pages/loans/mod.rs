//! The loan pages of a unit and the loan forms: `/loans` (see `list`), the request form
//! of the resource page (see `form`), and the actions: every loan action form posts to
//! `/loans/{id}/{action}` with the session's `csrf` field; the domain calls are those of
//! the loans API.

mod form;
mod list;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::extract::{CsrfForm, FormData};
use super::librarian::{LoanRetry, refused_loan_form};
use super::url::encode_component;
use super::{PageError, see_other};
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::loans::{
    self, Action, Actor, CancelRequest, Command, IssueRequest, LoanId, MoveRequest, RecallRequest,
    RejectRequest, RenewRequest, ReportRequest, ReturnRequest,
};
use crate::web::error::AppError;
use crate::web::pages::librarian::loan::{Retry, loan_page};
pub(super) use form::loan_form;
pub(crate) use form::{LoanFormView, capacity_label};
pub(crate) use list::LoanView;
use list::{LoansQuery, ReportForm, ReportRetry, loans_page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/loans", get(list::show_loans))
        .route("/loans/notifications/read", post(list::mark_read))
        .route("/loans/{id}/{action}", post(act_on_loan))
        .route("/resources/{id}/loan", post(form::request_loan))
        .route("/resources/{id}/loan/check", post(form::check_availability))
}

/// "已批准。" after an action's redirect (`done=approve`); other values say nothing.
pub(crate) fn done_notice(done: Option<&str>) -> Option<String> {
    Command::action_named(done?).map(|action| format!("已{}。", action.label()))
}

/// Where to go after an action: the form's `next` if it is a path of this site (the
/// check of `/login`'s).
fn next_of(form: &FormData, fallback: &str) -> String {
    let next = form.get("next");
    if super::url::is_local_path(next) {
        next.to_owned()
    } else {
        fallback.to_owned()
    }
}

fn optional(form: &FormData, name: &str) -> Option<String> {
    let value = form.get(name).trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// A whole number typed in field `name` (`what` names it in the message), if any.
fn integer(form: &FormData, name: &str, what: &str) -> Result<Option<i64>, AppError> {
    optional(form, name)
        .map(|typed| {
            typed.parse::<i64>().map_err(|_| {
                AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    format!("{what}“{typed}”应为整数"),
                )
            })
        })
        .transpose()
}

/// `POST /loans/{id}/{action}` from the pages: the same steps as the API.
async fn act_on_loan(
    State(state): State<AppState>,
    Path((raw_id, action)): Path<(String, String)>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let done = act(&state, &user, &raw_id, &action, &form).await;
    match done {
        Ok(action) => {
            let fallback = if user.is_librarian() {
                "/librarian/queue"
            } else {
                "/loans"
            };
            let next = next_of(&form, fallback);
            let (path, anchor) = match next.split_once('#') {
                Some((p, a)) => (p.to_owned(), format!("#{a}")),
                None => (next.clone(), String::new()),
            };
            let sep = if path.contains('?') { '&' } else { '?' };
            // A copy handed out: the page offers its slip.
            let slip = match action {
                Action::Issue if user.is_librarian() => format!("&slip={}", raw_id.trim()),
                _ => String::new(),
            };
            Ok(see_other(&format!(
                "{path}{sep}done={}{slip}{anchor}",
                encode_component(action.as_str())
            )))
        }
        Err(err) => show_refusal(state, user, raw_id, action, form, err).await,
    }
}

/// A refused action comes back beside its form: a unit's on `/loans`, the library's
/// cancel and recall on the loan's desk page, other librarian forms on their page.
async fn show_refusal(
    state: AppState,
    user: SessionUser,
    raw_id: String,
    action: String,
    form: FormData,
    err: PageError,
) -> Result<Response, PageError> {
    match (
        Command::action_named(&action),
        err.input_problem(),
        raw_id.parse::<i64>(),
    ) {
        // A unit's refused form (a report, a renewal too far or with none left, a
        // cancellation too late) comes back on /loans beside its loan, as typed.
        (Some(action), Some((status, message)), Ok(loan_id))
            if user.unit.is_some() && !user.is_librarian() =>
        {
            let retry = if action == Action::Report {
                ReportRetry {
                    loan_id,
                    form: ReportForm {
                        held_on: form.get("held_on").trim().to_owned(),
                        sessions: form.get("sessions").trim().to_owned(),
                        participants: form.get("participants").trim().to_owned(),
                        feedback: form.get("feedback").to_owned(),
                        error: Some(message),
                    },
                    other: None,
                }
            } else {
                let end: String = form.get("end").trim().chars().take(40).collect();
                ReportRetry {
                    loan_id,
                    form: ReportForm::default(),
                    other: Some((message, end)),
                }
            };
            let page = loans_page(state, &user, LoansQuery::default(), Some(retry)).await;
            match page {
                Ok(page) => Ok((status, page).into_response()),
                Err(_) => Err(err.for_user(&user)),
            }
        }
        // The library's cancel and recall come back on the loan's desk page,
        // with the message beside the form and what was typed.
        (Some(action @ (Action::Cancel | Action::Recall)), Some((status, message)), _)
            if user.is_librarian() =>
        {
            let retry = Retry {
                action: action.as_str().to_owned(),
                reason: form.get("reason").to_owned(),
                due: form.get("due").trim().to_owned(),
                error: message,
            };
            match loan_page(&state, &user, &raw_id, Some(retry)).await {
                Ok(page) => Ok((status, page).into_response()),
                Err(_) => Err(err.for_user(&user)),
            }
        }
        // A librarian's refused form comes back on its page, beside the form.
        (Some(action), Some((status, message)), Ok(loan_id)) if user.is_librarian() => {
            let typed = |name: &str| form.get(name).trim().chars().take(200).collect();
            let retry = LoanRetry {
                loan_id,
                action: action.as_str().to_owned(),
                message,
                barcode: typed("barcode"),
                reason: typed("reason"),
                start: typed("start"),
                end: typed("end"),
                condition: typed("condition"),
            };
            let next = next_of(&form, "/librarian/queue");
            Ok(refused_loan_form(&state, &user, &next, retry, status).await)
        }
        _ => Err(err.for_user(&user)),
    }
}

/// The loan number in a page's path; anything else is a loan that does not exist.
pub(crate) fn loan_id_of(raw_id: &str) -> Result<LoanId, PageError> {
    raw_id
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(LoanId)
        .ok_or_else(|| PageError::not_found(format!("没有编号为“{raw_id}”的借阅")))
}

async fn act(
    state: &AppState,
    user: &SessionUser,
    raw_id: &str,
    action: &str,
    form: &FormData,
) -> Result<Action, PageError> {
    let id = loan_id_of(raw_id)?;
    let action = Command::action_named(action)
        .ok_or_else(|| PageError::not_found(format!("借阅没有“{action}”这个操作")))?;
    let command = command_from_form(action, form)?;
    let (actor, at) = (Actor::user(user), state.clock.moment());
    state
        .with_conn(move |conn| loans::act(conn, &actor, id, command, at))
        .await?;
    Ok(action)
}

/// The command for `action` from the fields of its form.
fn command_from_form(action: Action, form: &FormData) -> Result<Command, AppError> {
    Ok(match action {
        Action::Approve => Command::Approve,
        Action::Cancel => Command::Cancel(CancelRequest {
            reason: optional(form, "reason"),
        }),
        Action::Recall => Command::Recall(RecallRequest {
            reason: optional(form, "reason"),
            due: optional(form, "due"),
        }),
        Action::Reject => Command::Reject(RejectRequest {
            reason: optional(form, "reason"),
        }),
        Action::Issue => Command::Issue(IssueRequest {
            barcode: optional(form, "barcode"),
        }),
        Action::Return => Command::Return(ReturnRequest {
            condition: optional(form, "condition"),
        }),
        Action::Renew => Command::Renew(RenewRequest {
            end: optional(form, "end"),
        }),
        Action::Report => Command::Report(ReportRequest {
            held_on: optional(form, "held_on"),
            sessions: integer(form, "sessions", "场次")?,
            participants: integer(form, "participants", "参加人数")?,
            feedback: optional(form, "feedback"),
        }),
        Action::Move => Command::Move(MoveRequest {
            start: optional(form, "start"),
            end: optional(form, "end"),
        }),
        // Not requestable: only the background task does these.
        Action::Activate | Action::Expire | Action::MarkOverdue | Action::Promote => {
            return Err(AppError::not_found("没有这个操作"));
        }
    })
}
