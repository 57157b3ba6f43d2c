//! Resources: read one, and the librarian's curation (create, patch, upload, replace
//! and remove files, choose the default subtitle track, publish, withdraw, history).

use crate::web::api::openapi::routes;
use axum::body::Bytes;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};

use crate::accounts::SessionUser;
use crate::accounts::policy;
use crate::actor::Actor;
use crate::app::AppState;
use crate::catalog::{
    self, CatalogError, FileInfo, HistoryEntry, Resource, ResourceId, ResourceInput,
    curation::{CurationCommand, ResourcePatch},
};
use crate::clock::Moment;
use crate::loans;
use crate::search::Related;
use crate::web::auth::{CurrentUser, Librarian};
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiPath};
use crate::web::shared::related::related_for;
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
        .routes(routes!(replace_file).layer(upload::streaming()))
        .routes(routes!(remove_file))
        .routes(routes!(set_default_subtitle))
        .routes(routes!(publish_resource))
        .routes(routes!(withdraw_resource))
        .routes(routes!(show_history))
        .routes(routes!(list_related))
}

/// A resource with its holdings and files (drafts only for librarians).
#[utoipa::path(get, path = "/api/v1/resources/{id}", tag = "resources", params(("id" = String, Path, description = "资源编号")),
    responses((status = 200, body = Resource), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn show_resource(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Resource>, AppError> {
    let mut resource = visible_resource(&state, &user, &id).await?;
    if !user.is_librarian() {
        resource.files_for_borrowers();
    }
    Ok(ApiJson(resource))
}

/// Resource `raw_id` when `user` may see it; 404 alike for a missing one and one the
/// user may not know of.
async fn visible_resource(
    state: &AppState,
    user: &SessionUser,
    raw_id: &str,
) -> Result<Resource, AppError> {
    let id = resource_id(raw_id)?;
    let resource = state
        .with_conn(move |conn| catalog::get_resource(conn, &id))
        .await?;
    if !policy::can_see_resource(user, &resource.visibility()) {
        return Err(AppError::not_found(format!(
            "没有编号为“{}”的资源",
            resource.id
        )));
    }
    Ok(resource)
}

/// Up to six published resources related to this one that the viewer may find: those
/// sharing more violation types and sectors first, then the most alike in words. 404
/// where the viewer may not see the resource itself.
#[utoipa::path(get, path = "/api/v1/resources/{id}/related", tag = "resources", params(("id" = String, Path, description = "资源编号")),
    responses((status = 200, body = Vec<Related>), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn list_related(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Vec<Related>>, AppError> {
    let resource = visible_resource(&state, &user, &id).await?;
    Ok(ApiJson(related_for(&state, &user, &resource.id).await?))
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
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<ResourcePatch>,
) -> Result<ApiJson<Resource>, AppError> {
    let id = resource_id(&id)?;
    if user.is_librarian() {
        let command = CurationCommand::Update(id, patch);
        return Ok(ApiJson(curate(&state, &user, command).await?));
    }
    // A borrower edits their unit's contribution under review (SPEC §9).
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let mut resource = state
        .with_conn(move |conn| {
            catalog::contributions::edit(conn, &actor, &id, patch, at)?;
            catalog::get_resource(conn, &id)
        })
        .await?;
    resource.files_for_borrowers();
    Ok(ApiJson(resource))
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

/// Streams the multipart field `file` into the store and attaches it: one file per
/// request (several files are several requests, as the editor sends them). A video's
/// length is read from its header and becomes the resource's duration.
#[utoipa::path(post, path = "/api/v1/resources/{id}/files", tag = "resources", params(("id" = String, Path, description = "资源编号")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = FileInfo), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn upload_file(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let id = resource_id(&id)?;
    {
        // Refused before a byte of the upload is read: librarians, or a unit adding
        // to its own contribution under review.
        let (id, actor) = (id.clone(), Actor::user(&user));
        state
            .with_conn(move |conn| {
                catalog::get_resource(conn, &id)?;
                catalog::contributions::check_may_add_files(conn, &actor, &id)
            })
            .await?;
    }
    let file = upload::receive_file(&state, multipart, &id, &user).await?;
    Ok((StatusCode::CREATED, ApiJson(file)).into_response())
}

/// Checks that resource `id` exists and has file `file_id` (before any upload is read).
async fn existing_file(state: &AppState, id: &ResourceId, file_id: &str) -> Result<(), AppError> {
    let (id, file_id) = (id.clone(), file_id.to_owned());
    state
        .with_conn(move |conn| {
            let resource = catalog::get_resource(conn, &id)?;
            if resource.files.iter().any(|f| f.id == file_id) {
                Ok(())
            } else {
                Err(CatalogError::FileNotFound)
            }
        })
        .await
}

/// Uploads a new version of a file in its place (multipart field `file`, one file per
/// request; send several requests for several files): it must have the same role
/// (video, subtitle, document, image), keeps the old one's place and default-track
/// flag, and gets a new id (the old id is gone). The old bytes are dropped unless
/// another file holds the same bytes. Same bytes as the current version: nothing
/// changes (200 with the file as it is); same bytes as another file of the resource:
/// 409; another role: 422.
#[utoipa::path(put, path = "/api/v1/resources/{id}/files/{file_id}", tag = "resources",
    params(("id" = String, Path, description = "资源编号"), ("file_id" = String, Path, description = "被替换的文件编号")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = FileInfo, description = "the file now in its place, with its new id"),
        (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn replace_file(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath((id, file_id)): ApiPath<(String, String)>,
    multipart: Multipart,
) -> Result<ApiJson<FileInfo>, AppError> {
    let id = resource_id(&id)?;
    existing_file(&state, &id, &file_id).await?;
    let file = upload::replace_file(&state, multipart, &id, &file_id, &user).await?;
    Ok(ApiJson(file))
}

/// Removes a file from a resource: its text and cues no longer find the resource; the
/// stored bytes are dropped unless another file holds the same bytes. Answers the
/// resource as it now is.
#[utoipa::path(delete, path = "/api/v1/resources/{id}/files/{file_id}", tag = "resources",
    params(("id" = String, Path, description = "资源编号"), ("file_id" = String, Path, description = "文件编号")),
    responses((status = 200, body = Resource), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn remove_file(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath((id, file_id)): ApiPath<(String, String)>,
) -> Result<ApiJson<Resource>, AppError> {
    let (store, indexing) = (state.store.clone(), state.clone());
    change_file(&state, &user, &id, move |conn, actor, id, at| {
        catalog::files::remove_file(conn, &store, actor, id, &file_id, at)?;
        indexing.refresh_index_now();
        Ok(())
    })
    .await
}

/// Runs a librarian's change of one file of resource `raw_id` and answers the
/// resource as it then is.
pub(super) async fn change_file(
    state: &AppState,
    user: &SessionUser,
    raw_id: &str,
    change: impl FnOnce(
        &mut rusqlite::Connection,
        &Actor,
        &ResourceId,
        Moment,
    ) -> Result<(), CatalogError>
    + Send
    + 'static,
) -> Result<ApiJson<Resource>, AppError> {
    let id = resource_id(raw_id)?;
    let (actor, at) = (Actor::user(user), state.clock.moment());
    let resource = state
        .with_conn(move |conn| {
            change(conn, &actor, &id, at)?;
            catalog::get_resource(conn, &id)
        })
        .await?;
    Ok(ApiJson(resource))
}

/// Makes a subtitle file the track the player shows by default; the resource's other
/// subtitle files stay selectable. Answers the resource as it now is.
#[utoipa::path(post, path = "/api/v1/resources/{id}/files/{file_id}/default", tag = "resources",
    params(("id" = String, Path, description = "资源编号"), ("file_id" = String, Path, description = "字幕文件编号")),
    responses((status = 200, body = Resource), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn set_default_subtitle(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath((id, file_id)): ApiPath<(String, String)>,
) -> Result<ApiJson<Resource>, AppError> {
    change_file(&state, &user, &id, move |conn, actor, id, at| {
        catalog::files::set_default_subtitle(conn, actor, id, &file_id, at).map(|_| ())
    })
    .await
}
