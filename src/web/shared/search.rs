//! Searching for both front ends: the query string as the API and the search page
//! read it, and running a search (with "my sector first") off the async threads.

use axum::http::StatusCode;

use crate::access;
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::recommend;
use crate::search::{Audience, SearchError, SearchIndex, SearchRequest, SearchResults};
use crate::web::error::AppError;

pub use crate::search::SearchParams;

/// Reads an optional yes/no parameter, naming it in the message when it is neither.
pub(crate) fn flag(name: &'static str, value: &Option<String>) -> Result<Option<bool>, AppError> {
    crate::search::flag(name, value).map_err(|err| AppError::bad_request(err.to_string()))
}

/// Who `user` is to the index's sharing scopes.
pub fn audience(user: &SessionUser) -> Audience {
    crate::accounts::policy::search_audience(user)
}

impl SearchParams {
    /// Checks the parameters and builds `user`'s request: librarians may include
    /// drafts; borrowers find only what is shared with their unit.
    pub fn to_request(&self, user: &SessionUser) -> Result<SearchRequest, AppError> {
        self.request_for(audience(user))
            .map_err(|err| AppError::bad_request(err.to_string()))
    }
}

/// A 503 while the index is still being built at start-up.
pub(crate) fn ensure_ready(state: &AppState) -> Result<(), AppError> {
    if state.is_ready() {
        return Ok(());
    }
    Err(AppError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "starting",
        "检索索引正在建立，请稍候再试",
    ))
}

/// Runs a search for `user` on the blocking pool.
pub async fn run_search(
    state: &AppState,
    user: &SessionUser,
    request: SearchRequest,
) -> Result<SearchResults, AppError> {
    searched_for(state, user, request, |index, request| index.search(request)).await
}

/// Runs `search` on the blocking pool with "available now" judged on the clock's date,
/// then opens the locked hits `user` may read: the index answers every loan-only hit
/// locked, for everyone.
async fn searched_for(
    state: &AppState,
    user: &SessionUser,
    mut request: SearchRequest,
    search: impl FnOnce(&SearchIndex, &SearchRequest) -> Result<SearchResults, SearchError>
    + Send
    + 'static,
) -> Result<SearchResults, AppError> {
    ensure_ready(state)?;
    // Whatever built the request, a borrower finds only what is shared with them.
    request.audience = audience(user);
    let (state, user) = (state.clone(), user.clone());
    tokio::task::spawn_blocking(move || {
        {
            let conn = state.db.get()?;
            request.unavailable = state.booked_out.on(&conn, state.clock.today())?;
        }
        let mut results = search(&state.search, &request)?;
        // No connection is held while searching, nor taken when nothing is locked.
        if results.hits.iter().any(|hit| hit.locked) {
            let conn = state.db.get()?;
            access::reveal_readable_hits(&conn, &user, &mut results, state.clock.moment())?;
        }
        Ok(results)
    })
    .await?
}

/// Reads `sector_first` (`1`/`true`/`yes`/`on` or `0`/`false`/`no`/`off`).
pub fn sector_first_flag(value: &Option<String>) -> Result<bool, AppError> {
    Ok(flag("sector_first", value)?.unwrap_or(false))
}

/// A search, with the user's sector first when `sector_first` is set and the user's
/// unit has a sector; otherwise the plain search.
pub async fn search_sector_first(
    state: &AppState,
    user: &SessionUser,
    request: SearchRequest,
    sector_first: &Option<String>,
) -> Result<SearchResults, AppError> {
    let sector = user
        .unit_sector
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let sector = match (sector_first_flag(sector_first)?, sector) {
        (true, Some(sector)) => sector.to_owned(),
        _ => return run_search(state, user, request).await,
    };
    searched_for(state, user, request, move |index, request| {
        recommend::sector_first(index, request, &sector)
    })
    .await
}
