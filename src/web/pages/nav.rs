//! Counts shown in the navigation: the requests waiting for a librarian's decision
//! beside 借阅审批, the visit requests waiting beside 参观协调 and the contributions
//! awaiting review beside 投稿审核, a unit
//! officer's unread notifications beside 借阅, and everyone's saved searches' unread
//! matches beside 订阅, and the items of an officer's request basket beside 借阅清单.
//! Counted once
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
    /// The account's saved searches' unread matches (everyone).
    static SEARCH_ALERTS: u64;
    /// Items in the officer's request basket (借阅清单).
    static BASKET: u64;
}

/// What the navigation of one page shows.
struct Counts {
    /// The saved searches' unread matches.
    alerts: u64,
    /// Requests waiting (librarians) or the unit's unread notifications (officers).
    requested: Option<u64>,
    /// Visit requests waiting and contributions awaiting review (librarians).
    staff: Option<(u64, u64)>,
    /// Items in the request basket (officers of a unit).
    basket: Option<u64>,
}

/// Middleware: for a page (GET, not the API or a static file), counts what the
/// navigation shows, in one read, while the page is built. A page answering a form
/// post has no count: it would be the count from before the post.
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
    let (user_id, librarian, unit) = (user.user_id, user.is_librarian(), user.unit.clone());
    let actor = loans::Actor::user(&user);
    let counted = state
        .with_conn(move |conn| -> Result<Counts, AppError> {
            let alerts = crate::alerts::saved::unread_count(conn, user_id)?;
            Ok(match (librarian, unit) {
                (true, _) => Counts {
                    alerts,
                    requested: Some(loans::requested_count(conn)?),
                    staff: Some((
                        visits::coordination::requested_count(conn)?,
                        contributions::awaiting_review(conn)?,
                    )),
                    basket: None,
                },
                (false, Some(unit)) => Counts {
                    alerts,
                    requested: Some(loans::notify::unread_count(conn, &unit)?),
                    staff: None,
                    basket: Some(loans::basket_count(conn, &actor)? as u64),
                },
                (false, None) => Counts {
                    alerts,
                    requested: None,
                    staff: None,
                    basket: None,
                },
            })
        })
        .await;
    let counts = match counted {
        Ok(counts) => counts,
        // The page matters more than its badge.
        Err(err) => {
            err.log();
            return next.run(request).await;
        }
    };
    let page = next.run(request);
    let page = SEARCH_ALERTS.scope(counts.alerts, page);
    let page = BASKET.scope(counts.basket.unwrap_or(0), page);
    match (counts.requested, counts.staff) {
        (Some(count), Some((visits, submitted))) => {
            let page = CONTRIBUTIONS_SUBMITTED.scope(submitted, page);
            REQUESTED
                .scope(count, VISITS_REQUESTED.scope(visits, page))
                .await
        }
        (Some(count), None) => REQUESTED.scope(count, page).await,
        _ => page.await,
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

/// The saved searches' unread matches, for the page being built.
pub fn search_alerts() -> Option<u64> {
    SEARCH_ALERTS.try_with(|count| *count).ok()
}

/// The items in the officer's basket, for a page being built.
pub fn basket() -> Option<u64> {
    BASKET.try_with(|count| *count).ok()
}

/// The contributions awaiting review, for a librarian's page being built.
pub fn contributions_submitted() -> Option<u64> {
    CONTRIBUTIONS_SUBMITTED.try_with(|count| *count).ok()
}
