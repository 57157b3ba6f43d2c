//! `GET /api/v1/files/{file_id}`: a file's bytes after the access check, with Range
//! and conditional requests from `ServeFile`, and an audit entry per access.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::accounts::policy::{self, Denied};
use crate::app::AppState;
use crate::audit::{self, AuditEvent};
use crate::catalog;
use crate::web::auth::CurrentUser;
use crate::web::error::AppError;
use crate::web::extract::ApiPath;

pub fn router() -> Router<AppState> {
    Router::new().route("/files/{file_id}", get(download_file))
}

/// File ids are `f` plus 15 lowercase letters or digits; anything else is unknown.
fn is_file_id(raw: &str) -> bool {
    raw.len() == 16
        && raw.starts_with('f')
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

async fn download_file(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(file_id): ApiPath<String>,
    request: Request,
) -> Result<Response, AppError> {
    let missing = || AppError::not_found("没有这个文件");
    if !is_file_id(&file_id) {
        return Err(missing());
    }
    let range = request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let auditor = user.clone();
    let record = state
        .with_conn(move |conn| {
            let Some(record) = catalog::find_file(conn, &file_id)? else {
                return Ok(None);
            };
            // Loans do not exist yet, so no borrower's unit holds an active loan.
            let decision = policy::can_read_content(&auditor, record.access, record.status, false);
            let outcome = match &decision {
                Ok(()) => "granted",
                Err(_) => "denied",
            };
            let detail = if range.is_empty() {
                outcome.to_owned()
            } else {
                format!("{outcome}; range {range}")
            };
            audit::record(
                conn,
                &AuditEvent::by(&auditor, "file_access")
                    .resource(&record.resource_id)
                    .file(&record.id)
                    .detail(detail),
            )?;
            Ok::<_, AppError>(Some((record, decision)))
        })
        .await?;
    let (record, decision) = record.ok_or_else(missing)?;
    match decision {
        Ok(()) => {}
        Err(Denied::Hidden) => return Err(missing()),
        Err(Denied::Forbidden(message)) => {
            return Err(AppError::new(StatusCode::FORBIDDEN, "forbidden", message));
        }
    }
    let path = state.store.path_of(&record.sha256)?;
    let mime = HeaderValue::from_str(&record.mime)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let mut response = ServeFile::new_with_mime(
        path,
        &record
            .mime
            .parse()
            .unwrap_or(mime_guess::mime::APPLICATION_OCTET_STREAM),
    )
    .oneshot(request)
    .await
    .map_err(AppError::internal)?
    .into_response();
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
    Ok(response)
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
