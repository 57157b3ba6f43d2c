//! Resources: read one, and the librarian's curation (create, patch, upload files,
//! publish, withdraw, history).

use axum::body::Bytes;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::accounts::SessionUser;
use crate::accounts::policy;
use crate::actor::Actor;
use crate::app::AppState;
use crate::catalog::{
    self, FileInfo, HistoryEntry, Resource, ResourceInput,
    curation::{CurationCommand, ResourcePatch},
};
use crate::loans;
use crate::web::auth::{CurrentUser, Librarian};
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiPath};
use crate::web::shared::resource_id;
use crate::web::upload;

/// The multipart form of an upload (described for OpenAPI; read by `web::upload`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file; its name's extension and its bytes must agree on an allowed type.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_resource))
        .routes(routes!(show_resource, update_resource))
        .routes(routes!(upload_file).layer(upload::streaming()))
        .routes(routes!(publish_resource))
        .routes(routes!(withdraw_resource))
        .routes(routes!(show_history))
}

/// A resource with its holdings and files (drafts only for librarians).
#[utoipa::path(get, path = "/api/v1/resources/{id}", tag = "resources", params(("id" = String, Path, description = "资源编号")),
    responses((status = 200, body = Resource), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
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

/// Creates a resource from the manifest's fields (without `files`).
#[utoipa::path(post, path = "/api/v1/resources", tag = "resources",
    request_body = ResourceInput,
    responses((status = 201, body = Resource), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn create_resource(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiJson(input): ApiJson<ResourceInput>,
) -> Result<Response, AppError> {
    let resource = curate(&state, &user, CurationCommand::Create(input)).await?;
    Ok((StatusCode::CREATED, ApiJson(resource)).into_response())
}

/// Changes the fields present in the body; `null` clears a nullable field.
#[utoipa::path(patch, path = "/api/v1/resources/{id}", tag = "resources", params(("id" = String, Path, description = "资源编号")),
    request_body = ResourcePatch,
    responses((status = 200, body = Resource), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn update_resource(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<ResourcePatch>,
) -> Result<ApiJson<Resource>, AppError> {
    let command = CurationCommand::Update(resource_id(&id)?, patch);
    Ok(ApiJson(curate(&state, &user, command).await?))
}

/// Runs a curation command and answers the resource as it now is.
async fn curate(
    state: &AppState,
    user: &SessionUser,
    command: CurationCommand,
) -> Result<Resource, AppError> {
    let curated = state.curate(Actor::user(user), command).await??;
    state
        .with_conn(move |conn| catalog::get_resource(conn, &curated.id))
        .await
}

/// Publishes a resource (borrowers see it).
#[utoipa::path(post, path = "/api/v1/resources/{id}/publish", tag = "resources", params(("id" = String, Path, description = "资源编号")),
    responses((status = 200, body = Resource), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn publish_resource(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Resource>, AppError> {
    let command = CurationCommand::Publish(resource_id(&id)?);
    Ok(ApiJson(curate(&state, &user, command).await?))
}

/// A withdrawn resource, with what became of its open loans.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct WithdrawnResource {
    #[serde(flatten)]
    resource: Resource,
    /// How many loans were open (requested, waitlisted, approved, lent out).
    open_loans: u32,
    withdrawal: loans::Withdrawal,
}

/// Withdraws a resource (hidden from borrowers). The optional body says what becomes
/// of its open loans: `{"on_loans": "run"}` (default: granted loans run to their end,
/// requests are cancelled) or `"recall"`, with an optional `reason` told to the units.
#[utoipa::path(post, path = "/api/v1/resources/{id}/withdraw", tag = "resources", params(("id" = String, Path, description = "资源编号")),
    request_body(content = Option<loans::WithdrawRequest>, description = "may be empty"),
    responses((status = 200, body = WithdrawnResource), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn withdraw_resource(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<ApiJson<WithdrawnResource>, AppError> {
    let id = resource_id(&id)?;
    let input = super::loans::parse_body::<loans::WithdrawRequest>(&body)?;
    let withdrawal = state
        .withdraw(Actor::user(&user), id.clone(), input)
        .await?;
    let resource = state
        .with_conn(move |conn| catalog::get_resource(conn, &id))
        .await?;
    Ok(ApiJson(WithdrawnResource {
        resource,
        open_loans: withdrawal.open_loans.total,
        withdrawal,
    }))
}

/// The resource's edit history, oldest first.
#[utoipa::path(get, path = "/api/v1/resources/{id}/history", tag = "resources", params(("id" = String, Path, description = "资源编号")),
    responses((status = 200, body = Vec<HistoryEntry>), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
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
#[utoipa::path(post, path = "/api/v1/resources/{id}/files", tag = "resources", params(("id" = String, Path, description = "资源编号")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = FileInfo), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
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
