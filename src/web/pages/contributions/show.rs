//! `/contributions/{id}`: one of the unit's contributions — its record, files and the
//! conversation with the committee — and, while it is under review, the forms that
//! edit it, add files, send it back for review (when returned) and withdraw it. Another
//! unit's contribution does not exist here; librarians are sent to their review page.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::super::librarian::editor::ACCEPT;
use super::super::librarian::form::{FieldErrors, field_errors};
use super::form::{ContributionForm, FormView};
use super::share_label;
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::catalog::contributions::{self, ContributionEvent};
use crate::catalog::{self, CatalogError, Resource, ResourceId, Status};
use crate::loans::Actor;
use crate::web::error::AppError;
use crate::web::pages::extract::{
    CsrfForm, PageQuery, PageUser, check_upload_token, librarians_only,
};
use crate::web::pages::{Chrome, PageError, Section, format, pages, see_other};
use crate::web::shared::resource_id;
use crate::web::upload;

/// A file of the contribution.
pub struct FileRow {
    pub name: String,
    pub href: String,
    pub role_label: &'static str,
    pub size: String,
    pub extraction_label: &'static str,
}

/// One step of the conversation.
pub struct EventRow {
    pub at: String,
    pub label: &'static str,
    pub who: String,
    pub comments: String,
    /// The committee's step (returned, published), set apart from the unit's.
    pub committee: bool,
}

impl EventRow {
    fn of(event: ContributionEvent) -> Self {
        let (label, committee) = match event.action.as_str() {
            "submitted" => ("提交投稿", false),
            "resubmitted" => ("重新提交审核", false),
            "returned" => ("工委退回修改", true),
            "published" => ("工委审核发布", true),
            "withdrawn" => ("撤回投稿", false),
            _ => ("其他", false),
        };
        Self {
            at: format::minute(&event.at),
            label,
            who: if committee {
                "工委资料室".to_owned()
            } else {
                event.actor
            },
            comments: event.comments,
            committee,
        }
    }
}

#[derive(Template)]
#[template(path = "contributions/show.html")]
pub struct ContributionPage {
    chrome: Chrome,
    /// The record as the unit sees it (its files as other units will).
    resource: Resource,
    id: String,
    status: Status,
    status_label: &'static str,
    access_label: &'static str,
    share_label: String,
    submitted_at: String,
    files: Vec<FileRow>,
    events: Vec<EventRow>,
    /// The committee's comments of the last return, while it is returned.
    comments: Option<String>,
    /// The edit form (its values, or what was typed when refused).
    fields: FormView,
    notice: Option<String>,
    upload_error: Option<String>,
    /// A refused resubmission or withdrawal.
    action_error: Option<String>,
    accept: &'static str,
}
pages!(ContributionPage);

impl ContributionPage {
    /// Under review: the unit may still change it.
    fn editable(&self) -> bool {
        self.status.is_under_review()
    }

    fn returned(&self) -> bool {
        self.status == Status::Returned
    }

    /// Where the upload form posts without the script.
    fn upload_action(&self) -> String {
        format!("/contributions/{}/files", self.id)
    }

    /// The edit form starts open when there is something to change or fix.
    fn edit_open(&self) -> bool {
        self.returned() || !self.fields.errors.is_empty()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    notice: Option<String>,
    /// Files of the submission that could not be attached.
    skipped: Option<u32>,
}

fn notice(query: &ShowQuery) -> Option<String> {
    let text = match query.notice.as_deref()? {
        "submitted" => "投稿已提交，等待工委资料室审核。审核期间可以继续修改信息、补充文件。",
        "saved" => "修改已保存。",
        "unchanged" => "没有需要保存的修改。",
        "uploaded" => "文件已添加。",
        "resubmitted" => "已重新提交审核，工委资料室会尽快处理。",
        "withdrawn" => "投稿已撤回，其他单位不会看到它。",
        _ => return None,
    };
    Some(match query.skipped.filter(|n| *n > 0) {
        Some(n) => format!(
            "{text}其中 {n} 个文件未能添加（例如同一个文件选了两次），请在“文件”中核对，需要时重新添加。"
        ),
        None => text.to_owned(),
    })
}

/// What the page shows besides the stored record.
#[derive(Default)]
struct Shown {
    form: Option<ContributionForm>,
    errors: FieldErrors,
    notice: Option<String>,
    upload_error: Option<String>,
    action_error: Option<String>,
}

/// The unit's own contribution `raw_id` with its conversation; anything else (another
/// unit's, the committee's own material, no such id) is not found.
async fn load_own(
    state: &AppState,
    user: &SessionUser,
    raw_id: &str,
) -> Result<(Resource, Vec<ContributionEvent>), PageError> {
    let id = resource_id(raw_id).map_err(|err| PageError::from(err).for_user(user))?;
    let unit = user.unit.clone();
    state
        .with_conn(move |conn| {
            let mut resource = catalog::get_resource(conn, &id)?;
            if resource.contributed_by.is_none() || resource.contributed_by != unit {
                return Err(CatalogError::NotFound(id.to_string()));
            }
            // The unit sees its files as other units will (redacted copies in place).
            resource.files_for_borrowers();
            let events = contributions::events(conn, id.as_str())?;
            Ok((resource, events))
        })
        .await
        .map_err(|err| PageError::from(err).for_user(user))
}

fn page_of(
    user: &SessionUser,
    resource: Resource,
    events: Vec<ContributionEvent>,
    shown: Shown,
) -> ContributionPage {
    let comments = (resource.status == Status::Returned)
        .then(|| {
            events
                .iter()
                .rev()
                .find(|e| e.action == "returned")
                .map(|e| e.comments.clone())
        })
        .flatten();
    let submitted_at = events
        .iter()
        .rev()
        .find(|e| e.action == "submitted" || e.action == "resubmitted")
        .map(|e| format::minute(&e.at))
        .unwrap_or_default();
    let form = shown
        .form
        .unwrap_or_else(|| ContributionForm::from_resource(&resource));
    let sector = resource.contributor_sector.as_deref();
    ContributionPage {
        chrome: Chrome::for_user(user, Section::Contributions),
        id: resource.id.clone(),
        status: resource.status,
        status_label: format::status_name(resource.status),
        access_label: format::access_name(resource.access),
        share_label: share_label(resource.share, sector),
        submitted_at,
        files: resource
            .files
            .iter()
            .map(|file| FileRow {
                name: file.name.clone(),
                href: format!("/api/v1/files/{}", file.id),
                role_label: file.role.label(),
                size: format::size(file.size),
                extraction_label: file.extraction.label(),
            })
            .collect(),
        events: events.into_iter().map(EventRow::of).collect(),
        comments,
        fields: FormView::new(form, shown.errors, sector),
        notice: shown.notice,
        upload_error: shown.upload_error,
        action_error: shown.action_error,
        accept: ACCEPT,
        resource,
    }
}

/// The page again, as the contribution now is, with what a refused form needs told.
async fn shown_again(
    state: &AppState,
    user: &SessionUser,
    raw_id: &str,
    status: StatusCode,
    shown: Shown,
) -> Result<Response, PageError> {
    let (resource, events) = load_own(state, user, raw_id).await?;
    Ok((status, page_of(user, resource, events, shown)).into_response())
}

/// Librarians review a contribution on their own page; borrowers act only on their
/// unit's.
fn review_page(raw_id: &str) -> Result<Response, PageError> {
    let id = resource_id(raw_id).map_err(PageError::from)?;
    Ok(see_other(&format!("/librarian/contributions/{id}")))
}

/// `GET /contributions/{id}`.
pub async fn show_contribution(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(raw_id): Path<String>,
    PageQuery(query): PageQuery<ShowQuery>,
) -> Result<Response, PageError> {
    if user.is_librarian() {
        return review_page(&raw_id).map_err(|err| err.for_user(&user));
    }
    let (resource, events) = load_own(&state, &user, &raw_id).await?;
    let shown = Shown {
        notice: notice(&query),
        ..Shown::default()
    };
    Ok(page_of(&user, resource, events, shown).into_response())
}

/// The committee changes contributions on its review page, not through the unit's forms.
fn check_unit_form(user: &SessionUser) -> Result<(), PageError> {
    if user.is_librarian() {
        return Err(PageError::forbidden(
            "这是投稿单位使用的表单；工委审核投稿请使用“投稿审核”页面。",
        )
        .for_user(user));
    }
    Ok(())
}

/// Runs one of the unit's use cases on contribution `id`: the domain's refusal comes
/// back as it is, anything else failed.
async fn run<T: Send + 'static>(
    state: &AppState,
    user: &SessionUser,
    id: ResourceId,
    act: impl FnOnce(&mut rusqlite::Connection, &Actor, &ResourceId) -> Result<T, CatalogError>
    + Send
    + 'static,
) -> Result<Result<T, CatalogError>, PageError> {
    let actor = Actor::user(user);
    state
        .with_conn(move |conn| Ok::<_, AppError>(act(conn, &actor, &id)))
        .await
        .map_err(|err| PageError::from(err).for_user(user))
}

/// `POST /contributions/{id}`: the edit form.
pub async fn edit_contribution(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    check_unit_form(&user)?;
    let (resource, _) = load_own(&state, &user, &raw_id).await?;
    let id = resource_id(&resource.id).map_err(PageError::from)?;
    let typed = ContributionForm::from_form(&form);
    let refused = |errors: FieldErrors| Shown {
        form: Some(typed.clone()),
        errors,
        ..Shown::default()
    };
    let patch = match typed.to_patch() {
        Ok(patch) => patch,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return shown_again(&state, &user, &raw_id, status, refused(errors)).await;
        }
    };
    let at = state.clock.moment();
    let edited = run(&state, &user, id.clone(), move |conn, actor, id| {
        contributions::edit(conn, actor, id, patch, at)
    })
    .await?;
    let err = match edited {
        Ok(curated) => {
            state.refresh_index_now();
            let done = if curated.changed {
                "saved"
            } else {
                "unchanged"
            };
            return Ok(see_other(&format!("/contributions/{id}?notice={done}")));
        }
        Err(err) => err,
    };
    match field_errors(err) {
        Ok(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            shown_again(&state, &user, &raw_id, status, refused(errors)).await
        }
        Err(other) => action_refused(&state, &user, &raw_id, other).await,
    }
}

/// A refused action shown beside the actions (a state that no longer allows it), or
/// an error page for anything else.
async fn action_refused(
    state: &AppState,
    user: &SessionUser,
    raw_id: &str,
    err: CatalogError,
) -> Result<Response, PageError> {
    let err = PageError::from(err);
    let Some((status, message)) = err.input_problem() else {
        return Err(err.for_user(user));
    };
    let shown = Shown {
        action_error: Some(message),
        ..Shown::default()
    };
    shown_again(state, user, raw_id, status, shown).await
}

/// Resubmits or withdraws, then back to the page with the notice `done`.
async fn change_state(
    state: AppState,
    user: SessionUser,
    raw_id: String,
    done: &'static str,
    act: fn(
        &mut rusqlite::Connection,
        &Actor,
        &ResourceId,
        crate::clock::Moment,
    ) -> Result<catalog::curation::Curated, CatalogError>,
) -> Result<Response, PageError> {
    check_unit_form(&user)?;
    let (resource, _) = load_own(&state, &user, &raw_id).await?;
    let id = resource_id(&resource.id).map_err(PageError::from)?;
    let at = state.clock.moment();
    let changed = run(&state, &user, id.clone(), move |conn, actor, id| {
        act(conn, actor, id, at)
    })
    .await?;
    match changed {
        Ok(_) => {
            state.refresh_index_now();
            Ok(see_other(&format!("/contributions/{id}?notice={done}")))
        }
        Err(err) => action_refused(&state, &user, &raw_id, err).await,
    }
}

/// `POST /contributions/{id}/resubmit`: back to the committee after changes.
pub async fn resubmit_contribution(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<Response, PageError> {
    change_state(state, user, raw_id, "resubmitted", contributions::resubmit).await
}

/// `POST /contributions/{id}/withdraw`: the unit takes its contribution back.
pub async fn withdraw_contribution(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<Response, PageError> {
    change_state(state, user, raw_id, "withdrawn", contributions::withdraw).await
}

/// `POST /contributions/{id}/files`: `csrf` first, then one or several `file` fields,
/// attached in turn (the script sends each to the API with its progress instead).
pub async fn add_files(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(raw_id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    if user.is_librarian() {
        return Err(librarians_only(&user));
    }
    let (resource, _) = load_own(&state, &user, &raw_id).await?;
    check_upload_token(&mut multipart, &user).await?;
    let id = resource_id(&resource.id).map_err(PageError::from)?;
    // Refused before a byte of the files is read once it is no longer under review.
    let may = run(&state, &user, id.clone(), |conn, actor, id| {
        contributions::check_may_add_files(conn, actor, id)
    })
    .await?;
    if let Err(err) = may {
        return action_refused(&state, &user, &raw_id, err).await;
    }
    let (attached, refusal) = upload::receive_files(&state, multipart, &id, &user).await;
    let Some(mut error) = refusal else {
        return Ok(see_other(&format!(
            "/contributions/{id}?notice=uploaded#files"
        )));
    };
    if error.status.is_server_error() {
        return Err(PageError::from(error).for_user(&user));
    }
    if !attached.is_empty() {
        let names: Vec<&str> = attached.iter().map(|f| f.name.as_str()).collect();
        error.message = format!(
            "已添加 {}；其余文件未添加：{}",
            names.join("、"),
            error.message
        );
    }
    let shown = Shown {
        upload_error: Some(error.message),
        ..Shown::default()
    };
    shown_again(&state, &user, &raw_id, error.status, shown).await
}
