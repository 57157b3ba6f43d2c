//! `POST /librarian/queue/approve`: approves the requests selected in the queue
//! table. Each one goes through the same approval step as its own button (its own
//! transaction, capacity and state checked), so one refusal keeps none of the others
//! from being approved. When all are approved the queue comes back with the list;
//! otherwise the queue shows which were approved and why each other one was not,
//! the refused rows still selected.
//!
//! `POST /librarian/loan-batches/{id}/approve` (批准可批准的全部): every request of
//! a loan batch that fits, in one transaction; the queue then says which loans of the
//! batch were approved and why the others were not.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::queue::{BulkOutcome, QueueQuery, Shown, queue_page};
use crate::app::AppState;
use crate::loans::{self, Actor, Command, LoanId};
use crate::web::error::AppError;
use crate::web::pages::extract::{CsrfForm, librarians_only};
use crate::web::pages::url::is_local_path;
use crate::web::pages::{PageError, see_other};

/// The approvals of many loans at once: the selected rows, a batch.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/librarian/queue/approve", post(approve_selected))
        .route("/librarian/loan-batches/{id}/approve", post(approve_batch))
}

/// The most requests approved in one go (a page of the queue is 30).
pub const MAX_BULK: usize = 100;

/// An id as typed, short enough to show back.
fn shown_id(raw: &str) -> String {
    let raw = raw.trim();
    match raw.char_indices().nth(20) {
        Some((at, _)) => format!("{}…", &raw[..at]),
        None => raw.to_owned(),
    }
}

pub async fn approve_selected(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    if !user.is_librarian() {
        return Err(librarians_only(&user));
    }
    let query = QueueQuery::of_address(queue_next(form.get("next")));
    let mut picked: Vec<String> = Vec::new();
    for raw in form.all("loan") {
        if !picked.contains(&raw) {
            picked.push(raw);
        }
    }
    let refusal = if picked.is_empty() {
        Some("请先勾选要批准的申请。".to_owned())
    } else if picked.len() > MAX_BULK {
        Some(format!(
            "一次最多批准 {MAX_BULK} 笔，本次勾选了 {} 笔；请分批批准。",
            picked.len()
        ))
    } else {
        None
    };
    if let Some(message) = refusal {
        let shown = Shown {
            bulk_error: Some(message),
            ..Shown::default()
        };
        let page = queue_page(&state, &user, query, shown).await;
        let page = page.map_err(|err| err.for_user(&user))?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let outcome = state
        .with_conn(move |conn| {
            let mut outcome = BulkOutcome::default();
            for raw in picked {
                let Some(id) = raw.trim().parse::<i64>().ok().filter(|id| *id > 0) else {
                    outcome
                        .refused
                        .push((shown_id(&raw), "不是有效的借阅编号".to_owned()));
                    continue;
                };
                match loans::act(conn, &actor, LoanId(id), Command::Approve, at) {
                    Ok(_) => outcome.approved.push(id),
                    Err(err) => outcome
                        .refused
                        .push((id.to_string(), AppError::from(err).into_message())),
                }
            }
            Ok::<_, AppError>(outcome)
        })
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    if outcome.refused.is_empty() {
        return Ok(back_approved(&query, &outcome.approved));
    }
    let status = if outcome.approved.is_empty() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    let shown = Shown {
        bulk: Some(outcome),
        ..Shown::default()
    };
    let page = queue_page(&state, &user, query, shown)
        .await
        .map_err(|err| err.for_user(&user))?;
    Ok((status, page).into_response())
}

/// Back to the queue as it was, saying which loans were approved.
fn back_approved(query: &QueueQuery, approved: &[i64]) -> Response {
    let back = query.href(query.page.trim().parse().unwrap_or(1));
    let sep = if back.contains('?') { '&' } else { '?' };
    let ids: Vec<String> = approved.iter().map(i64::to_string).collect();
    see_other(&format!("{back}{sep}approved={}", ids.join(",")))
}

/// Where a queue form comes back to: its `next` if that is the queue.
fn queue_next(next: &str) -> &str {
    if is_local_path(next) && next.starts_with("/librarian/queue") {
        next
    } else {
        "/librarian/queue"
    }
}

pub async fn approve_batch(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    if !user.is_librarian() {
        return Err(librarians_only(&user));
    }
    let next = queue_next(form.get("next")).to_owned();
    let query = QueueQuery::of_address(&next);
    let id = raw_id
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            PageError::not_found(format!("没有编号为“{}”的借阅清单", shown_id(&raw_id)))
                .for_user(&user)
        })?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let approval = state
        .with_conn(move |conn| loans::approve_batch(conn, &actor, id, at))
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    let approved: Vec<i64> = approval.approved.iter().map(|id| id.0).collect();
    if approval.not_approved.is_empty() && !approved.is_empty() {
        return Ok(back_approved(&query, &approved));
    }
    let outcome = BulkOutcome {
        approved,
        refused: approval
            .not_approved
            .into_iter()
            .map(|n| {
                (
                    n.loan_id.to_string(),
                    format!("《{}》{}", n.resource_title, n.reason),
                )
            })
            .collect(),
    };
    let shown = Shown {
        bulk: Some(outcome),
        ..Shown::default()
    };
    let page = queue_page(&state, &user, query, shown)
        .await
        .map_err(|err| err.for_user(&user))?;
    Ok(page.into_response())
}
