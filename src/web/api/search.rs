//! `GET /api/v1/search` and `GET /api/v1/suggest`: the search contract of SPEC §7.

use crate::web::api::openapi::routes;
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use crate::search::{SearchResults, Suggestion};
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiQuery};
use crate::web::shared::search::SearchParams;
use crate::web::shared::search::search_sector_first;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(suggest))
}

/// Full-text search with filters, facet counts and highlighted snippets.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchResults), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<ApiJson<SearchResults>, AppError> {
    let request = params.to_request(&user)?;
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
    let audience = crate::web::shared::search::audience(&user);
    let suggestions =
        tokio::task::spawn_blocking(move || index.suggest(&params.q, &audience, 8)).await??;
    Ok(ApiJson(suggestions))
}
