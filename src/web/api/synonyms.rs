//! The abbreviation dictionary search expands queries with (检索词典): librarians read
//! it, add their own entries and take shipped ones out; a change takes effect on the
//! next search.

use crate::web::api::openapi::routes;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use crate::catalog::synonyms::{self, SynonymChanged, SynonymEntry, SynonymInput};
use crate::web::auth::Librarian;
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::ApiJson;
use crate::web::shared::synonyms::change;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_synonyms, add_synonym))
        .routes(routes!(remove_synonym))
}

/// Every entry: the shipped ones (taken-out ones with `removed`) and the librarians'
/// own, abbreviations in order. Librarians only.
#[utoipa::path(get, path = "/api/v1/synonyms", tag = "search",
    responses((status = 200, body = Vec<SynonymEntry>), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn list_synonyms(
    State(state): State<AppState>,
    Librarian(_): Librarian,
) -> Result<ApiJson<Vec<SynonymEntry>>, AppError> {
    let entries = state.with_conn(|conn| synonyms::list(conn)).await?;
    Ok(ApiJson(entries))
}

/// Adds an entry (`added`), or uses a shipped one taken out again (`restored`); 409 when
/// it is already in use, 422 when a term is empty, too long (32 characters) or holds a
/// space, quote, `|` or `#`.
#[utoipa::path(post, path = "/api/v1/synonyms", tag = "search",
    request_body = SynonymInput,
    responses((status = 201, body = SynonymChanged), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn add_synonym(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiJson(input): ApiJson<SynonymInput>,
) -> Result<(StatusCode, ApiJson<SynonymChanged>), AppError> {
    let changed = change(&state, &user, input, false).await?;
    Ok((StatusCode::CREATED, ApiJson(changed)))
}

/// Deletes a librarian's entry (`deleted`) or takes a shipped one out (`removed`); 422
/// when the dictionary does not use it.
#[utoipa::path(post, path = "/api/v1/synonyms/remove", tag = "search",
    request_body = SynonymInput,
    responses((status = 200, body = SynonymChanged), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn remove_synonym(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiJson(input): ApiJson<SynonymInput>,
) -> Result<ApiJson<SynonymChanged>, AppError> {
    Ok(ApiJson(change(&state, &user, input, true).await?))
}
