//! What the JSON API and the HTML pages both use between their requests and the
//! domain: reading shared query strings, running searches and statistics, signing in.

pub mod search;
pub mod session;
pub mod stats;

use crate::catalog::ResourceId;
use crate::web::error::AppError;

/// Parses an id from the path; anything malformed simply does not exist.
pub fn resource_id(raw: &str) -> Result<ResourceId, AppError> {
    ResourceId::parse(raw).map_err(|_| AppError::not_found(format!("没有编号为“{raw}”的资源")))
}
