//! Counts shown in the navigation: the requests waiting for a librarian's decision
//! beside 借阅审批, the visit requests waiting beside 参观协调 and the contributions
//! awaiting review beside 投稿审核, and a unit
//! officer's unread notifications beside 借阅 and the items of their request basket
//! beside 借阅清单. Counted once
//! per page request by [`count_for_nav`] and read by
//! `Chrome::for_user` wherever the page builds its layout, so that no handler has
//! to pass it along.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use crate::app::AppState;
use crate::catalog::contributions;
use crate::loans;
use crate::visits;
use crate::web::auth::OptionalUser;
use crate::web::error::AppError;

tokio::task_local! {
    /// The count for the page being answered: requests waiting (librarians) or the
    /// unit's unread notifications (officers).
    static REQUESTED: u64;
    /// Visit requests waiting for the coordinator (librarians).
    static VISITS_REQUESTED: u64;
    /// Contributions awaiting review (librarians).
    static CONTRIBUTIONS_SUBMITTED: u64;
    /// Items in the officer's request basket (借阅清单).
    static BASKET: u64;
}

/// Middleware: for a librarian's page (GET, not the API or a static file), counts
/// the requests waiting for a decision while the page is built. A page answering a
/// form post has no count: it would be the count from before the post.
pub async fn count_for_nav(
    State(state): State<AppState>,
    OptionalUser(user): OptionalUser,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let page = matches!(*request.method(), Method::GET | Method::HEAD)
        && !path.starts_with("/api/")
        && !path.starts_with("/static/");
    let Some(user) = user.filter(|_| page) else {
        return next.run(request).await;
    };
    let counted = if user.is_librarian() {
        state
            .with_conn(|conn| -> Result<_, AppError> {
                Ok((
                    loans::requested_count(conn)?,
                    Some((
                        visits::coordination::requested_count(conn)?,
                        contributions::awaiting_review(conn)?,
                    )),
                ))
            })
            .await
    } else if let Some(unit) = user.unit.clone() {
        let actor = loans::Actor::user(&user);
        let counted = state
            .with_conn(move |conn| {
                let unread = loans::notify::unread_count(conn, &unit)?;
                Ok::<_, AppError>((unread, loans::basket_count(conn, &actor)? as u64))
            })
            .await;
        return match counted {
            Ok((unread, basket)) => {
                REQUESTED
                    .scope(unread, BASKET.scope(basket, next.run(request)))
                    .await
            }
            Err(err) => {
                err.log();
                next.run(request).await
            }
        };
    } else {
        return next.run(request).await;
    };
    match counted {
        Ok((count, Some((visits, submitted)))) => {
            let page = CONTRIBUTIONS_SUBMITTED.scope(submitted, next.run(request));
            REQUESTED
                .scope(count, VISITS_REQUESTED.scope(visits, page))
                .await
        }
        Ok((count, None)) => REQUESTED.scope(count, next.run(request)).await,
        // The page matters more than its badge.
        Err(err) => {
            err.log();
            next.run(request).await
        }
    }
}

/// The count for the page being built, if it was counted.
pub fn requested() -> Option<u64> {
    REQUESTED.try_with(|count| *count).ok()
}

/// The visit requests waiting, for a librarian's page being built.
pub fn visits_requested() -> Option<u64> {
    VISITS_REQUESTED.try_with(|count| *count).ok()
}

/// The items in the officer's basket, for a page being built.
pub fn basket() -> Option<u64> {
    BASKET.try_with(|count| *count).ok()
}

/// The contributions awaiting review, for a librarian's page being built.
pub fn contributions_submitted() -> Option<u64> {
    CONTRIBUTIONS_SUBMITTED.try_with(|count| *count).ok()
}
