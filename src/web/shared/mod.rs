//! What the JSON API and the HTML pages both use between their requests and the
//! domain: reading shared query strings, running searches and statistics, signing in.

pub mod related;
pub mod search;
pub mod session;
pub mod stats;
pub mod synonyms;

use crate::catalog::ResourceId;
use crate::web::error::AppError;

/// Parses an id from the path; anything malformed simply does not exist.
pub fn resource_id(raw: &str) -> Result<ResourceId, AppError> {
    ResourceId::parse(raw).map_err(|_| AppError::not_found(format!("没有编号为“{raw}”的资源")))
}

/// The site's address as people reach it (for links in mail and links shown to be
/// passed on): the public URL when one is set, otherwise the address the request was
/// sent to.
pub fn site_base(state: &crate::app::AppState, headers: &axum::http::HeaderMap) -> String {
    if let Some(public) = state.public_base() {
        return public;
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let scheme = if crate::web::auth::is_https(headers) {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}
