//! Resources: read one with its holdings and files.

use axum::Router;
use axum::routing::get;

use crate::app::AppState;
use crate::catalog::{self, Resource, ResourceId};
use crate::web::error::AppError;
use crate::web::extract::{ApiJson, ApiPath};

pub fn router() -> Router<AppState> {
    Router::new().route("/resources/{id}", get(show_resource))
}

async fn show_resource(
    state: axum::extract::State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Resource>, AppError> {
    let id = ResourceId::parse(&id)
        .map_err(|_| AppError::not_found(format!("没有编号为“{id}”的资源")))?;
    let resource = state
        .with_conn(move |conn| catalog::get_resource(conn, &id))
        .await?;
    Ok(ApiJson(resource))
}
