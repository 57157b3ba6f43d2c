//! `GET /api/v1/search` and `GET /api/v1/suggest`: the search contract of SPEC §7.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;

use crate::app::AppState;
use crate::search::{SearchRequest, SearchResults, SortOrder, Suggestion, Unavailable};
use crate::web::api::stats::search_sector_first;
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiQuery};

/// The OpenAPI description of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(search, suggest))]
pub(super) struct Doc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/search", get(search))
        .route("/suggest", get(suggest))
}

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

impl SearchParams {
    /// Checks the parameters and builds the request; librarians may include drafts.
    pub fn to_request(&self, librarian: bool) -> Result<SearchRequest, AppError> {
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
            kind: non_empty(&self.kind),
            sector: non_empty(&self.sector),
            violation: non_empty(&self.violation),
            year_from: number("year_from", &self.year_from)?,
            year_to: number("year_to", &self.year_to)?,
            access: non_empty(&self.access),
            available: flag("available", &self.available)?,
            // Judged on the day the search runs (`for_today`).
            unavailable: Unavailable::default(),
            sort,
            page,
            per_page,
            include_unpublished: librarian
                && flag("include_unpublished", &self.include_unpublished)?.unwrap_or(false),
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

/// Runs a search on the blocking pool.
pub async fn run_search(
    state: &AppState,
    request: SearchRequest,
) -> Result<SearchResults, AppError> {
    ensure_ready(state)?;
    let (index, state) = (state.search.clone(), state.clone());
    tokio::task::spawn_blocking(move || {
        let request = for_today(&state, request)?;
        Ok(index.search(&request)?)
    })
    .await?
}

/// The request with what "available now" is judged by on the clock's date; blocking
/// (one read of the day's loans).
pub(crate) fn for_today(
    state: &AppState,
    mut request: SearchRequest,
) -> Result<SearchRequest, AppError> {
    let conn = state.db.get()?;
    request.unavailable =
        Unavailable::new(crate::loans::unavailable_on(&conn, state.clock.today())?);
    Ok(request)
}

/// Full-text search with filters, facet counts and highlighted snippets.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchResults), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<ApiJson<SearchResults>, AppError> {
    let request = params.to_request(user.is_librarian())?;
    let results = search_sector_first(&state, &user, request, &params.sector_first).await?;
    Ok(ApiJson(results))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SuggestParams {
    /// What has been typed so far.
    #[serde(default)]
    q: String,
}

/// Completions for the search box.
#[utoipa::path(get, path = "/api/v1/suggest", tag = "search", params(SuggestParams),
    responses((status = 200, body = Vec<Suggestion>), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn suggest(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(params): ApiQuery<SuggestParams>,
) -> Result<ApiJson<Vec<Suggestion>>, AppError> {
    if params.q.trim().is_empty() {
        return Ok(ApiJson(Vec::new()));
    }
    let index = state.search.clone();
    let librarian = user.is_librarian();
    let suggestions =
        tokio::task::spawn_blocking(move || index.suggest(&params.q, librarian, 8)).await??;
    Ok(ApiJson(suggestions))
}
