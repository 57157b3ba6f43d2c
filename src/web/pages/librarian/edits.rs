//! What the resource editor's forms post: create, save, publish, withdraw (the file
//! forms are in `file_edits`). A refused form shows the editor again with what was
//! typed.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::editor::{EditorState, editor_page, load};
use super::form::{FieldErrors, ResourceForm, field_errors};
use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::app::AppState;
use crate::catalog::Resource;
use crate::catalog::curation::CurationCommand;
use crate::loans;
use crate::web::error::AppError;
use crate::web::pages::extract::{CsrfForm, librarians_only};
use crate::web::pages::{PageError, see_other};
use crate::web::shared::resource_id;

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
        files_error: None,
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

/// Withdraws the resource and settles its open loans as chosen beside the button
/// (let them run, or recall them); a refusal shows the editor with the reason there.
pub async fn withdraw_resource(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    if !user.is_librarian() {
        return Err(librarians_only(&user));
    }
    let id = resource_id(&raw_id).map_err(PageError::from)?;
    let text = |name: &str| Some(form.get(name).trim().to_owned()).filter(|v| !v.is_empty());
    let input = loans::WithdrawRequest {
        on_loans: text("on_loans"),
        reason: text("reason"),
        due: text("due"),
    };
    match state.withdraw(Actor::user(&user), id.clone(), input).await {
        Ok(done) => Ok(see_other(&format!(
            "/librarian/resources/{id}?notice=withdrawn&cancelled={}&recalled={}&running={}",
            done.cancelled, done.recalled, done.running
        ))),
        Err(err) => {
            let err = PageError::from(err);
            let Some((status, message)) = err.input_problem() else {
                return Err(err.for_user(&user));
            };
            let resource = load(&state, &raw_id).await?;
            let editing = EditorState {
                form: ResourceForm::from_resource(&resource),
                errors: FieldErrors::new(),
                notice: None,
                upload_error: None,
                files_error: None,
            };
            let mut page = editor_page(&state, &user, Some(&resource), editing).await;
            page.withdraw_error = Some(message);
            Ok((status, page).into_response())
        }
    }
}
