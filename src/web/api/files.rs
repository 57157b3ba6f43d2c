//! `GET /api/v1/files/{file_id}`: a file's bytes after the access check (a PDF as the
//! viewer's stamped copy), with Range and conditional requests from `ServeFile`, and
//! an audit entry per access.

use crate::web::api::openapi::routes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;
use utoipa_axum::router::OpenApiRouter;

use std::path::Path;

use crate::access::{self, DownloadRequest, Shelves};
use crate::app::AppState;
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiPath, ApiQuery};

/// A file's bytes (described for OpenAPI).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct FileBytes(Vec<u8>);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(download_file))
}

/// What a download may ask for besides the file.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct DownloadParams {
    /// The unstamped original of a PDF (librarians only; audited).
    original: bool,
}

/// A file's bytes with its MIME type; `Range` answers 206, validators 304. A PDF is
/// the viewer's stamped copy (SPEC §11). Every access is written to the audit log.
#[utoipa::path(get, path = "/api/v1/files/{file_id}", tag = "files",
    params(("file_id" = String, Path, description = "文件编号"),
           ("Range" = Option<String>, Header, description = "e.g. `bytes=0-1023`"),
           DownloadParams),
    responses(
        (status = 200, content((FileBytes = "application/octet-stream"))),
        (status = 206, description = "the requested range", content((FileBytes = "application/octet-stream"))),
        (status = 304, description = "not modified"),
        (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn download_file(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(file_id): ApiPath<String>,
    ApiQuery(params): ApiQuery<DownloadParams>,
    request: Request,
) -> Result<Response, AppError> {
    let range = request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let wanted = DownloadRequest {
        range: (!range.is_empty()).then_some(range),
        original: params.original,
    };
    let at = state.clock.moment();
    let (store, marked) = (state.store.clone(), state.marked.clone());
    let download = state
        .with_conn(move |conn| {
            let shelves = Shelves {
                store: &store,
                marked: &marked,
            };
            access::open_download(conn, &user, &file_id, wanted, shelves, at)
        })
        .await?;
    let record = &download.record;
    let mut response = serve_bytes(&download.path, &record.mime, request).await?;
    if response.status() == StatusCode::RANGE_NOT_SATISFIABLE {
        let size = tokio::fs::metadata(&download.path)
            .await
            .map_or(record.size, |meta| meta.len());
        return Ok(range_refused(&response, size));
    }
    let mime = HeaderValue::from_str(&record.mime)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, mime);
    if let Ok(disposition) = HeaderValue::from_str(&format!(
        "inline; filename*=UTF-8''{}",
        percent_encode(&record.name)
    )) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    // Text files are served without a charset (they may be GB18030): never sniff.
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// The stored bytes through `ServeFile` (ranges, validators), with the two
/// corrections it needs: several ranges get the whole file, and a stale `If-Range`
/// validator gets the whole file too.
async fn serve_bytes(path: &Path, mime: &str, mut request: Request) -> Result<Response, AppError> {
    // Several ranges at once would need multipart/byteranges; answering with the whole
    // file instead is what RFC 9110 allows, and players only ask for one range.
    if request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|range| range.contains(','))
    {
        request.headers_mut().remove(header::RANGE);
    }
    let mime_type = mime
        .parse()
        .unwrap_or(mime_guess::mime::APPLICATION_OCTET_STREAM);
    // ServeFile does not evaluate If-Range: keep the request to serve the whole file
    // when the client's validator turns out to be stale.
    let if_range = request.headers().get(header::IF_RANGE).cloned();
    let full_request = if_range.as_ref().map(|_| {
        let mut plain = Request::new(axum::body::Body::empty());
        *plain.method_mut() = request.method().clone();
        *plain.uri_mut() = request.uri().clone();
        *plain.headers_mut() = request.headers().clone();
        plain.headers_mut().remove(header::RANGE);
        plain.headers_mut().remove(header::IF_RANGE);
        plain
    });
    let serve = |request: Request| ServeFile::new_with_mime(path, &mime_type).oneshot(request);
    let response = serve(request)
        .await
        .map_err(AppError::internal)?
        .into_response();
    match (if_range, full_request) {
        (Some(validator), Some(full_request))
            if response.status() == StatusCode::PARTIAL_CONTENT
                && !if_range_matches(&validator, response.headers()) =>
        {
            Ok(serve(full_request)
                .await
                .map_err(AppError::internal)?
                .into_response())
        }
        _ => Ok(response),
    }
}

/// A range past the end: our error body like every other error, keeping
/// `Content-Range: bytes */SIZE`.
fn range_refused(response: &Response, size: u64) -> Response {
    let content_range = response.headers().get(header::CONTENT_RANGE).cloned();
    let mut refused = AppError::new(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "range_not_satisfiable",
        format!("请求的范围超出了文件大小（{size} 字节）"),
    )
    .into_response();
    if let Some(content_range) = content_range {
        refused
            .headers_mut()
            .insert(header::CONTENT_RANGE, content_range);
    }
    refused
}

/// RFC 9110 §13.1.5: a strong entity tag or the exact Last-Modified date.
fn if_range_matches(validator: &HeaderValue, response: &axum::http::HeaderMap) -> bool {
    let Ok(validator) = validator.to_str() else {
        return false;
    };
    let validator = validator.trim();
    if validator.starts_with('"') {
        return response.get(header::ETAG).and_then(|v| v.to_str().ok()) == Some(validator);
    }
    if validator.starts_with("W/") {
        return false;
    }
    response
        .get(header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        == Some(validator)
}

/// RFC 5987 encoding of a file name for `Content-Disposition`.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
