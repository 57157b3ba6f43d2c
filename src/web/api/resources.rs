//! Resources: read one, and the librarian's curation (create, patch, upload files,
//! publish, withdraw, history).

use axum::Router;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::accounts::policy;
use crate::app::AppState;
use crate::audit::{self, AuditEvent};
use crate::catalog::{
    self, HistoryEntry, Resource, ResourceId, ResourceInput, curation::ResourcePatch,
};
use crate::web::auth::{CurrentUser, Librarian};
use crate::web::error::AppError;
use crate::web::extract::{ApiJson, ApiPath};
use crate::web::upload;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources", post(create_resource))
        .route("/resources/{id}", get(show_resource).patch(update_resource))
        .route(
            "/resources/{id}/files",
            post(upload_file).layer(upload::body_limit()),
        )
        .route("/resources/{id}/publish", post(publish_resource))
        .route("/resources/{id}/withdraw", post(withdraw_resource))
        .route("/resources/{id}/history", get(show_history))
}

/// Parses an id from the path; anything malformed simply does not exist.
pub fn resource_id(raw: &str) -> Result<ResourceId, AppError> {
    ResourceId::parse(raw).map_err(|_| AppError::not_found(format!("没有编号为“{raw}”的资源")))
}

async fn show_resource(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Resource>, AppError> {
    let id = resource_id(&id)?;
    let resource = state
        .with_conn(move |conn| catalog::get_resource(conn, &id))
        .await?;
    if !policy::can_see_resource(&user, resource.status) {
        return Err(AppError::not_found(format!(
            "没有编号为“{}”的资源",
            resource.id
        )));
    }
    Ok(ApiJson(resource))
}

async fn create_resource(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiJson(input): ApiJson<ResourceInput>,
) -> Result<Response, AppError> {
    let resource = state
        .with_conn(move |conn| {
            let id = catalog::curation::create_resource(conn, input, &user.username)?;
            audit::record(
                conn,
                &AuditEvent::by(&user, "resource_created").resource(id.as_str()),
            )?;
            Ok::<_, AppError>(catalog::get_resource(conn, &id)?)
        })
        .await?;
    Ok((StatusCode::CREATED, ApiJson(resource)).into_response())
}

async fn update_resource(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<ResourcePatch>,
) -> Result<ApiJson<Resource>, AppError> {
    let id = resource_id(&id)?;
    let resource = state
        .with_conn(move |conn| {
            if catalog::curation::update_resource(conn, &id, patch, &user.username)? {
                audit::record(
                    conn,
                    &AuditEvent::by(&user, "resource_updated").resource(id.as_str()),
                )?;
            }
            Ok::<_, AppError>(catalog::get_resource(conn, &id)?)
        })
        .await?;
    Ok(ApiJson(resource))
}

async fn change_status(
    state: AppState,
    user: crate::accounts::SessionUser,
    id: String,
    publish: bool,
) -> Result<ApiJson<Resource>, AppError> {
    let id = resource_id(&id)?;
    let resource = state
        .with_conn(move |conn| {
            let action = if publish {
                catalog::curation::publish(conn, &id, &user.username)?;
                "resource_published"
            } else {
                catalog::curation::withdraw(conn, &id, &user.username)?;
                "resource_withdrawn"
            };
            audit::record(conn, &AuditEvent::by(&user, action).resource(id.as_str()))?;
            Ok::<_, AppError>(catalog::get_resource(conn, &id)?)
        })
        .await?;
    Ok(ApiJson(resource))
}

async fn publish_resource(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Resource>, AppError> {
    change_status(state, user, id, true).await
}

async fn withdraw_resource(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Resource>, AppError> {
    change_status(state, user, id, false).await
}

async fn show_history(
    State(state): State<AppState>,
    Librarian(_): Librarian,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Vec<HistoryEntry>>, AppError> {
    let id = resource_id(&id)?;
    let history = state
        .with_conn(move |conn| {
            catalog::get_resource(conn, &id)?;
            catalog::history(conn, &id)
        })
        .await?;
    Ok(ApiJson(history))
}

/// Streams the multipart field `file` into the store and attaches it.
async fn upload_file(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(id): ApiPath<String>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let id = resource_id(&id)?;
    {
        let id = id.clone();
        state
            .with_conn(move |conn| catalog::get_resource(conn, &id))
            .await?;
    }
    let file = upload::receive_file(&state, multipart, &id, &user).await?;
    Ok((StatusCode::CREATED, ApiJson(file)).into_response())
}
