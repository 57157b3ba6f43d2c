//! `POST /api/v1/trace` (SPEC §11): a librarian hands in a leaked PDF (multipart field
//! `file`) or text extracted from one (`{"text"}`) and learns which loan its copy
//! was stamped for. The tracing is `marks::trace`; this reads the request.

use crate::web::api::openapi::routes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};

use super::loans::parse_body;
use crate::app::AppState;
use crate::marks::trace::{self, TraceAnswer, TraceInput};
use crate::web::auth::Librarian;
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::ApiJson;
use crate::web::upload::{self, drain_field, drain_rest};

/// Largest leaked PDF read (the library's own PDFs are rarely larger).
const MAX_TRACE_PDF_BYTES: usize = 64 * 1024 * 1024;

/// Largest JSON body of pasted text.
const MAX_TRACE_TEXT_BYTES: usize = 16 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    // Bodies are bounded here, by kind (a PDF or text), not by the server's default.
    OpenApiRouter::new().routes(routes!(trace_copy).layer(upload::streaming()))
}

/// `{"text"}`: text extracted from a leaked PDF.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TraceText {
    text: Option<String>,
}

// `TraceAnswer` as the OpenAPI document describes it: serde flattens its optional
// origin, which the derived schema would require to be present or null, refusing
// `{"found": false}`.
/// Whether a mark was found, and when found, the copy's loan, unit, resource and day.
#[derive(utoipa::ToSchema)]
#[schema(as = TraceAnswer)]
#[allow(dead_code)]
pub struct TraceAnswerDoc {
    found: bool,
    /// `null` for a librarian's copy or open material read without a loan.
    loan_id: Option<i64>,
    /// The unit's code (`null` for a librarian without one).
    unit: Option<String>,
    resource_id: Option<String>,
    /// The day the copy was stamped (`YYYY-MM-DD`).
    stamped_at: Option<String>,
}

/// The multipart form: the leaked PDF.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct TraceUpload {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Which loan a leaked copy was stamped for: `{"found": true, "loan_id", "unit",
/// "resource_id", "stamped_at"}` or `{"found": false}`. Librarians only; audited.
#[utoipa::path(post, path = "/api/v1/trace", tag = "files",
    request_body(content((TraceText = "application/json"), (TraceUpload = "multipart/form-data"))),
    responses((status = 200, body = TraceAnswerDoc), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn trace_copy(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    request: Request,
) -> Result<ApiJson<TraceAnswer>, AppError> {
    let input = trace_input(&state, request).await?;
    let at = state.clock.moment();
    let answer = state
        .with_conn(move |conn| trace::trace(conn, &user, input, at))
        .await?;
    Ok(ApiJson(answer))
}

async fn trace_input(state: &AppState, request: Request) -> Result<TraceInput, AppError> {
    if !upload::is_multipart(&request) {
        let body = axum::body::to_bytes(request.into_body(), MAX_TRACE_TEXT_BYTES)
            .await
            .map_err(|_| too_large(MAX_TRACE_TEXT_BYTES, "请只粘贴含标记的几页文字"))?;
        let typed: TraceText = parse_body(&body)?;
        return Ok(TraceInput::Text(typed.text.unwrap_or_default()));
    }
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|err| AppError::new(err.status(), "bad_upload", err.body_text()))?;
    read_pdf(&mut form, state.limits.upload_idle_timeout).await
}

/// The `file` field's bytes, at most [`MAX_TRACE_PDF_BYTES`]; the rest of a refused
/// upload is read on (within a bound) so the client sees the answer.
async fn read_pdf(form: &mut Multipart, idle: std::time::Duration) -> Result<TraceInput, AppError> {
    let unreadable = |err: axum::extract::multipart::MultipartError| {
        AppError::new(
            err.status(),
            "bad_upload",
            format!("上传内容无法解析：{}", err.body_text()),
        )
    };
    let mut field = loop {
        match form.next_field().await.map_err(unreadable)? {
            Some(field) if field.name() == Some("file") => break field,
            Some(_) => continue,
            None => return Ok(TraceInput::Pdf(Vec::new())),
        }
    };
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_TRACE_PDF_BYTES {
            let left = drain_field(field, idle).await;
            drain_rest(form, left, idle).await;
            return Err(too_large(
                MAX_TRACE_PDF_BYTES,
                "请上传泄露文件中含标记的几页",
            ));
        }
    }
    Ok(TraceInput::Pdf(bytes))
}

fn too_large(limit: usize, instead: &str) -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("内容超过 {} MB，无法追查；{instead}", limit / (1024 * 1024)),
    )
}
