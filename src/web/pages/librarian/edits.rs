//! What the resource editor's forms post: create, save, publish, withdraw, and upload
//! without the script. A refused form shows the editor again with what was typed.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::editor::{EditorState, editor_page, load};
use super::form::{FieldErrors, ResourceForm, field_errors};
use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::app::AppState;
use crate::catalog::curation::CurationCommand;
use crate::catalog::{Resource, ResourceId};
use crate::web::error::AppError;
use crate::web::pages::extract::{CsrfForm, PageLibrarian, check_upload_token, librarians_only};
use crate::web::pages::{PageError, see_other};
use crate::web::shared::resource_id;
use crate::web::upload;

/// Shows the form again with what was typed and what to fix.
async fn refused(
    state: &AppState,
    user: &SessionUser,
    resource: Option<&Resource>,
    form: ResourceForm,
    errors: FieldErrors,
) -> Response {
    let editing = EditorState {
        form,
        errors,
        notice: None,
        upload_error: None,
    };
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        editor_page(state, user, resource, editing).await,
    )
        .into_response()
}

pub async fn create_resource(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    if !user.is_librarian() {
        return Err(librarians_only(&user));
    }
    let typed = ResourceForm::from_form(&form);
    let input = match typed.to_input() {
        Ok(input) => input,
        Err(errors) => return Ok(refused(&state, &user, None, typed, errors).await),
    };
    let created = state
        .curate(Actor::user(&user), CurationCommand::Create(input))
        .await?;
    match created {
        Ok(created) => Ok(see_other(&format!(
            "/librarian/resources/{}?notice=created",
            created.id
        ))),
        Err(err) => {
            let errors = field_errors(err)?;
            Ok(refused(&state, &user, None, typed, errors).await)
        }
    }
}

pub async fn update_resource(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    if !user.is_librarian() {
        return Err(librarians_only(&user));
    }
    let resource = load(&state, &raw_id).await?;
    let typed = ResourceForm::from_form(&form);
    let patch = match typed.to_patch() {
        Ok(patch) => patch,
        Err(errors) => return Ok(refused(&state, &user, Some(&resource), typed, errors).await),
    };
    let id = resource_id(&resource.id).map_err(PageError::from)?;
    let updated = state
        .curate(Actor::user(&user), CurationCommand::Update(id, patch))
        .await?;
    match updated {
        Ok(updated) => Ok(see_other(&format!(
            "/librarian/resources/{}?notice={}",
            resource.id,
            if updated.changed {
                "saved"
            } else {
                "unchanged"
            }
        ))),
        Err(err) => {
            let errors = field_errors(err)?;
            Ok(refused(&state, &user, Some(&resource), typed, errors).await)
        }
    }
}

async fn change_status(
    state: AppState,
    user: SessionUser,
    raw_id: String,
    publish: bool,
) -> Result<Response, PageError> {
    if !user.is_librarian() {
        return Err(librarians_only(&user));
    }
    let id = resource_id(&raw_id).map_err(PageError::from)?;
    let command = if publish {
        CurationCommand::Publish(id.clone())
    } else {
        CurationCommand::Withdraw(id.clone())
    };
    state
        .curate(Actor::user(&user), command)
        .await?
        .map_err(|err| PageError::from(AppError::from(err)).for_user(&user))?;
    Ok(see_other(&format!(
        "/librarian/resources/{id}?notice={}",
        if publish { "published" } else { "withdrawn" }
    )))
}

pub async fn publish_resource(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<Response, PageError> {
    change_status(state, user, raw_id, true).await
}

pub async fn withdraw_resource(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<Response, PageError> {
    change_status(state, user, raw_id, false).await
}

/// The upload form without the script: `csrf` must come before `file`.
pub async fn upload_file(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    Path(raw_id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let resource = load(&state, &raw_id).await?;
    check_upload_token(&mut multipart, &user).await?;
    let id: ResourceId = resource_id(&resource.id).map_err(PageError::from)?;
    match upload::receive_file(&state, multipart, &id, &user).await {
        Ok(_) => Ok(see_other(&format!(
            "/librarian/resources/{}?notice=uploaded",
            resource.id
        ))),
        Err(err) if !err.status.is_server_error() => {
            let status = err.status;
            let editing = EditorState {
                form: ResourceForm::from_resource(&resource),
                errors: FieldErrors::new(),
                notice: None,
                upload_error: Some(err.message),
            };
            Ok((
                status,
                editor_page(&state, &user, Some(&resource), editing).await,
            )
                .into_response())
        }
        Err(err) => Err(PageError::from(err)),
    }
}
