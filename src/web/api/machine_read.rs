//! Machine-read text and cues (OCR): a librarian's corrections and a new reading.
//! Thin adapters over `catalog::machine_read`; each answers the resource as it then is.

use axum::extract::{DefaultBodyLimit, State};
use serde::Deserialize;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};

use super::resources::change_file;
use crate::app::AppState;
use crate::catalog::{self, Resource};
use crate::content::Cue;
use crate::web::api::openapi::routes;
use crate::web::auth::Librarian;
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiPath};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(correct_text).layer(correction_limit()))
        .routes(routes!(correct_cues).layer(correction_limit()))
        .routes(routes!(read_again))
}

/// A long scan's corrected text is larger than the usual limit of a request body.
fn correction_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(catalog::machine_read::MAX_CORRECTION_BODY)
}

/// The corrected text of a scan or page image.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectedText {
    /// The whole text; it replaces what the machine read.
    pub text: String,
}

/// One cue of a corrected transcript.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TranscriptCue {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// A film's corrected transcript: every cue, in any order (they are sorted by time).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectedCues {
    pub cues: Vec<TranscriptCue>,
}

/// Replaces the machine-read text of a scan or page image with a librarian's
/// correction (audited; the search index follows at once).
#[utoipa::path(put, path = "/api/v1/resources/{id}/files/{file_id}/text", tag = "resources",
    params(("id" = String, Path, description = "资源编号"), ("file_id" = String, Path, description = "文件编号")),
    request_body = CorrectedText,
    responses((status = 200, body = Resource), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn correct_text(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath((id, file_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<CorrectedText>,
) -> Result<ApiJson<Resource>, AppError> {
    let indexing = state.clone();
    change_file(&state, &user, &id, move |conn, actor, id, at| {
        catalog::machine_read::correct_text(conn, actor, id, &file_id, &body.text, at)?;
        indexing.refresh_index_now();
        Ok(())
    })
    .await
}

/// Replaces the machine-read cues of a film with a librarian's corrected transcript
/// (audited; the search index follows at once).
#[utoipa::path(put, path = "/api/v1/resources/{id}/files/{file_id}/cues", tag = "resources",
    params(("id" = String, Path, description = "资源编号"), ("file_id" = String, Path, description = "影片文件编号")),
    request_body = CorrectedCues,
    responses((status = 200, body = Resource), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn correct_cues(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath((id, file_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<CorrectedCues>,
) -> Result<ApiJson<Resource>, AppError> {
    let cues: Vec<Cue> = body
        .cues
        .into_iter()
        .map(|cue| Cue {
            start_ms: cue.start_ms,
            end_ms: cue.end_ms,
            text: cue.text,
        })
        .collect();
    let indexing = state.clone();
    change_file(&state, &user, &id, move |conn, actor, id, at| {
        catalog::machine_read::correct_cues(conn, actor, id, &file_id, &cues, at)?;
        indexing.refresh_index_now();
        Ok(())
    })
    .await
}

/// Queues a scan, page image or film to be read by machine again; its text stays
/// until the new reading replaces it.
#[utoipa::path(post, path = "/api/v1/resources/{id}/files/{file_id}/read-again", tag = "resources",
    params(("id" = String, Path, description = "资源编号"), ("file_id" = String, Path, description = "文件编号")),
    responses((status = 200, body = Resource), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn read_again(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath((id, file_id)): ApiPath<(String, String)>,
) -> Result<ApiJson<Resource>, AppError> {
    change_file(&state, &user, &id, move |conn, actor, id, at| {
        catalog::machine_read::read_again(conn, actor, id, &file_id, at).map(|_| ())
    })
    .await
}
