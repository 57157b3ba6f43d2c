//! What the editor's file forms post, without the script: upload one or several
//! files, put a new version in a file's place, remove a file, choose the default
//! subtitle track. Success goes back to the editor with a notice; a refusal shows the
//! editor again with the reason beside the files.

use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Response};

use super::editor::{EditorState, editor_page, load};
use super::form::{FieldErrors, ResourceForm};
use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::app::AppState;
use crate::catalog::{self, Resource, ResourceId};
use crate::web::error::AppError;
use crate::web::pages::extract::{CsrfForm, PageLibrarian, check_upload_token, librarians_only};
use crate::web::pages::{PageError, see_other};
use crate::web::shared::resource_id;
use crate::web::upload;

/// Where the editor reports an outcome of the file forms.
enum Beside {
    Upload,
    Files,
}

/// The editor again with `error` beside the upload form or the files, answered with
/// `status`; a server failure is an error page instead.
async fn refused(
    state: &AppState,
    user: &SessionUser,
    resource: &Resource,
    error: AppError,
    beside: Beside,
) -> Result<Response, PageError> {
    if error.status.is_server_error() {
        return Err(PageError::from(error).for_user(user));
    }
    let status = error.status;
    let (upload_error, files_error) = match beside {
        Beside::Upload => (Some(error.message), None),
        Beside::Files => (None, Some(error.message)),
    };
    let editing = EditorState {
        form: ResourceForm::from_resource(resource),
        errors: FieldErrors::new(),
        notice: None,
        upload_error,
        files_error,
    };
    // The page is shown as it now is: files attached before a refusal are listed.
    let current = load(state, &resource.id).await?;
    Ok((
        status,
        editor_page(state, user, Some(&current), editing).await,
    )
        .into_response())
}

fn back_to_editor(resource: &Resource, notice: &str) -> Response {
    see_other(&format!(
        "/librarian/resources/{}?notice={notice}#files-heading",
        resource.id
    ))
}

/// The upload form without the script: `csrf` first, then one or several `file`
/// fields, attached in turn.
pub async fn upload_files(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    Path(raw_id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let resource = load(&state, &raw_id).await?;
    check_upload_token(&mut multipart, &user).await?;
    let id: ResourceId = resource_id(&resource.id).map_err(PageError::from)?;
    match upload::receive_files(&state, multipart, &id, &user).await {
        (_, None) => Ok(back_to_editor(&resource, "uploaded")),
        (attached, Some(mut error)) => {
            if !attached.is_empty() {
                let names: Vec<&str> = attached.iter().map(|f| f.name.as_str()).collect();
                error.message = format!(
                    "已上传 {}；其余文件未上传：{}",
                    names.join("、"),
                    error.message
                );
            }
            refused(&state, &user, &resource, error, Beside::Upload).await
        }
    }
}

/// A new version in a file's place: `csrf` first, then the `file`.
pub async fn replace_file(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    Path((raw_id, file_id)): Path<(String, String)>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let resource = load(&state, &raw_id).await?;
    check_upload_token(&mut multipart, &user).await?;
    let id: ResourceId = resource_id(&resource.id).map_err(PageError::from)?;
    if !resource.files.iter().any(|f| f.id == file_id) {
        let error = AppError::from(catalog::CatalogError::FileNotFound);
        return refused(&state, &user, &resource, error, Beside::Files).await;
    }
    match upload::replace_file(&state, multipart, &id, &file_id, &user).await {
        Ok(_) => Ok(back_to_editor(&resource, "replaced")),
        Err(error) => refused(&state, &user, &resource, error, Beside::Files).await,
    }
}

/// Runs a change of one file (remove, default track) from a CSRF-checked form.
async fn change_file(
    state: AppState,
    user: SessionUser,
    raw_id: String,
    notice: &'static str,
    change: impl FnOnce(&mut rusqlite::Connection, &Actor, &ResourceId) -> Result<(), AppError>
    + Send
    + 'static,
) -> Result<Response, PageError> {
    if !user.is_librarian() {
        return Err(librarians_only(&user));
    }
    let resource = load(&state, &raw_id).await.map_err(|e| e.for_user(&user))?;
    let id = resource_id(&resource.id).map_err(PageError::from)?;
    let actor = Actor::user(&user);
    let changed = state.with_conn(move |conn| change(conn, &actor, &id)).await;
    match changed {
        Ok(()) => Ok(back_to_editor(&resource, notice)),
        Err(error) => refused(&state, &user, &resource, error, Beside::Files).await,
    }
}

pub async fn remove_file(
    State(state): State<AppState>,
    Path((raw_id, file_id)): Path<(String, String)>,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<Response, PageError> {
    let (store, indexing, at) = (state.store.clone(), state.clone(), state.clock.moment());
    change_file(state, user, raw_id, "removed", move |conn, actor, id| {
        catalog::files::remove_file(conn, &store, actor, id, &file_id, at)?;
        indexing.refresh_index_now();
        Ok(())
    })
    .await
}

pub async fn set_default_subtitle(
    State(state): State<AppState>,
    Path((raw_id, file_id)): Path<(String, String)>,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<Response, PageError> {
    let at = state.clock.moment();
    change_file(state, user, raw_id, "default", move |conn, actor, id| {
        catalog::files::set_default_subtitle(conn, actor, id, &file_id, at)?;
        Ok(())
    })
    .await
}
