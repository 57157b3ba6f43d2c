//! A librarian's loan form that was refused (a wrong barcode, a move into the past,
//! issuing too early, an approval without room) comes back on the page it was sent
//! from — the queue with its filters, today's desk, or a resource's calendar — with
//! the reason beside the form and what was typed in it.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::calendar::{MonthQuery, calendar_page};
use super::desk::{TODAY_PATH, today_page};
use super::queue::{QueueQuery, Shown, queue_page};
use super::rows::LoanRetry;
use crate::accounts::SessionUser;
use crate::app::AppState;

/// The page at `next` (a local path) again, answering `status`, with `retry` shown.
pub async fn refused_loan_form(
    state: &AppState,
    user: &SessionUser,
    next: &str,
    retry: LoanRetry,
    status: StatusCode,
) -> Response {
    let path = next.split(['?', '#']).next().unwrap_or("");
    let calendar_of = path
        .strip_prefix("/librarian/resources/")
        .and_then(|rest| rest.strip_suffix("/calendar"))
        .filter(|id| !id.contains('/'));
    let page = if path == TODAY_PATH {
        today_page(state, user, Some(retry))
            .await
            .map(IntoResponse::into_response)
    } else if let Some(id) = calendar_of {
        let month = QueueQuery::month_of_address(next);
        let query = MonthQuery { month, done: None };
        calendar_page(state, user, id.to_owned(), query, Some(retry))
            .await
            .map(IntoResponse::into_response)
    } else {
        let mut query = match path {
            "/librarian/queue" => QueueQuery::of_address(next),
            _ => QueueQuery::default(),
        };
        // The page says what was refused, not what was done before.
        (query.done, query.approved, query.slip) = Default::default();
        let shown = Shown {
            retry: Some(retry),
            ..Shown::default()
        };
        queue_page(state, user, query, shown)
            .await
            .map(IntoResponse::into_response)
    };
    match page {
        Ok(page) => (status, page).into_response(),
        Err(err) => err.for_user(user).into_response(),
    }
}
