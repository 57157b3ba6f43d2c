//! Searching for both front ends: the query string as the API and the search page
//! read it, and running a search (with "my sector first") off the async threads.

use axum::http::StatusCode;
use serde::Deserialize;

use crate::access;
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::recommend;
use crate::search::{
    Audience, SearchError, SearchIndex, SearchRequest, SearchResults, SortOrder, Unavailable,
};
use crate::web::error::AppError;

/// The query string of a search, shared by the API and the search page. Every value
/// arrives as text so that a bad one gets a message naming the parameter.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct SearchParams {
    /// Words (all must match), `"exact phrase"`, `-excluded`.
    pub q: Option<String>,
    /// `video`, `case`, `confession` or `textbook`.
    pub kind: Option<String>,
    pub sector: Option<String>,
    pub violation: Option<String>,
    pub year_from: Option<String>,
    pub year_to: Option<String>,
    pub access: Option<String>,
    pub available: Option<String>,
    /// `relevance` (default), `newest` or `borrowed`.
    pub sort: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    /// Librarians only: include drafts and withdrawn resources.
    pub include_unpublished: Option<String>,
    /// `true` puts the matches of the signed-in user's unit's sector first ("本行业优先"),
    /// each group in the requested order; the total and facets are unchanged. No effect
    /// without a unit sector or with a `sector` filter. `true`/`false` (also `1`/`0`,
    /// `yes`/`no`, `on`/`off`).
    pub sector_first: Option<String>,
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn number<T: std::str::FromStr>(name: &str, value: &Option<String>) -> Result<Option<T>, AppError> {
    match non_empty(value) {
        None => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| {
            AppError::bad_request(format!(
                "参数 {name} 应为数字，收到“{}”",
                text.chars().take(40).collect::<String>()
            ))
        }),
    }
}

/// Reads an optional yes/no parameter, naming it in the message when it is neither.
pub(crate) fn flag(name: &str, value: &Option<String>) -> Result<Option<bool>, AppError> {
    match non_empty(value).as_deref() {
        None => Ok(None),
        Some("1" | "true" | "yes" | "on") => Ok(Some(true)),
        Some("0" | "false" | "no" | "off") => Ok(Some(false)),
        Some(other) => Err(AppError::bad_request(format!(
            "参数 {name} 应为 true 或 false，收到“{}”",
            other.chars().take(40).collect::<String>()
        ))),
    }
}

/// The `kind` filter, which must be one of the catalogue's kinds: a typo would
/// otherwise quietly find nothing.
fn known_kind(value: &Option<String>) -> Result<Option<String>, AppError> {
    use crate::catalog::Kind;
    let Some(kind) = non_empty(value) else {
        return Ok(None);
    };
    if Kind::ALL.iter().any(|k| k.as_str() == kind) {
        return Ok(Some(kind));
    }
    let allowed: Vec<String> = Kind::ALL
        .iter()
        .map(|k| format!("{}（{}）", k.as_str(), k.label()))
        .collect();
    Err(AppError::bad_request(format!(
        "参数 kind 应为 {}之一，收到“{}”",
        allowed.join("、"),
        kind.chars().take(40).collect::<String>()
    )))
}

/// Who `user` is to the index's sharing scopes.
pub fn audience(user: &SessionUser) -> Audience {
    if user.is_librarian() {
        Audience::librarian()
    } else {
        Audience::borrower(user.unit.as_deref(), user.unit_sector.as_deref())
    }
}

impl SearchParams {
    /// Checks the parameters and builds `user`'s request: librarians may include
    /// drafts; borrowers find only what is shared with their unit.
    pub fn to_request(&self, user: &SessionUser) -> Result<SearchRequest, AppError> {
        let librarian = user.is_librarian();
        let sort = match non_empty(&self.sort) {
            None => SortOrder::Relevance,
            Some(sort) => sort
                .parse()
                .map_err(|err: crate::search::QueryError| AppError::bad_request(err.to_string()))?,
        };
        let page: usize = number("page", &self.page)?.unwrap_or(1);
        if page == 0 || page > 10_000 {
            return Err(AppError::bad_request("参数 page 应在 1 到 10000 之间"));
        }
        let per_page: usize =
            number("per_page", &self.per_page)?.unwrap_or(crate::search::DEFAULT_PER_PAGE);
        if per_page == 0 || per_page > crate::search::MAX_PER_PAGE {
            return Err(AppError::bad_request(format!(
                "参数 per_page 应在 1 到 {} 之间",
                crate::search::MAX_PER_PAGE
            )));
        }
        Ok(SearchRequest {
            q: self.q.clone().unwrap_or_default(),
            kind: known_kind(&self.kind)?,
            sector: non_empty(&self.sector),
            violation: non_empty(&self.violation),
            year_from: number("year_from", &self.year_from)?,
            year_to: number("year_to", &self.year_to)?,
            access: non_empty(&self.access),
            available: flag("available", &self.available)?,
            status: None,
            // Judged on the day the search runs (`for_today`).
            unavailable: Unavailable::default(),
            sort,
            page,
            per_page,
            include_unpublished: librarian
                && flag("include_unpublished", &self.include_unpublished)?.unwrap_or(false),
            audience: audience(user),
        })
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
