//! The resource editor: create, edit metadata with controlled lists, upload files (the
//! script streams them to `POST /api/v1/resources/{id}/files` with a progress bar; the
//! form posts here without it), see extraction status, publish and withdraw.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::form::{BASE_VIOLATIONS, FieldErrors, ResourceForm, field_errors};
use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::app::AppState;
use crate::bootstrap::DEMO_UNITS;
use crate::catalog::curation::CurationCommand;
use crate::catalog::{self, Kind, Resource, ResourceId, Status};
use crate::search::SearchRequest;
use crate::web::error::AppError;
use crate::web::pages::extract::{
    CsrfForm, PageLibrarian, PageQuery, librarians_only, same_token, stale_form,
};
use crate::web::pages::format::{self, ExtractionState};
use crate::web::pages::{Chrome, PageError, Section, pages, see_other};
use crate::web::shared::resource_id;
use crate::web::shared::search::run_search;
use crate::web::upload;

/// One entry of a controlled list.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub struct EditorFile {
    pub name: String,
    pub href: String,
    pub kind_label: String,
    pub role_label: &'static str,
    pub size: String,
    pub extraction: String,
    pub extraction_label: &'static str,
    pub extraction_error: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "librarian/editor.html")]
pub struct EditorPage {
    chrome: Chrome,
    creating: bool,
    id: String,
    /// A resource being created reads as a draft.
    status: Status,
    status_label: &'static str,
    form: ResourceForm,
    kinds: Vec<Choice>,
    sectors: Vec<Choice>,
    violations: Vec<Choice>,
    errors: FieldErrors,
    notice: Option<&'static str>,
    files: Vec<EditorFile>,
    upload_error: Option<String>,
    accept: &'static str,
}
pages!(EditorPage);

impl EditorPage {
    fn published(&self) -> bool {
        self.status == Status::Published
    }

    /// The message for `field`, or "".
    fn error(&self, field: &str) -> &str {
        self.errors.get(field).map(String::as_str).unwrap_or("")
    }

    fn action(&self) -> String {
        if self.creating {
            "/librarian/resources".to_owned()
        } else {
            format!("/librarian/resources/{}", self.id)
        }
    }
}

const ACCEPT: &str =
    ".pdf,.docx,.txt,.md,.markdown,.mp4,.m4v,.webm,.vtt,.srt,.jpg,.jpeg,.png,.webp";

/// Values offered: the base list, what the catalogue already uses, and the resource's own.
fn choices(base: &[String], catalogue: &[String], chosen: &[String]) -> Vec<Choice> {
    let mut seen = BTreeSet::new();
    base.iter()
        .chain(catalogue)
        .chain(chosen)
        .filter(|v| seen.insert(v.as_str().to_owned()))
        .map(|value| Choice {
            value: value.clone(),
            label: value.clone(),
            checked: chosen.contains(value),
        })
        .collect()
}

/// Sectors and violation types the catalogue already uses (from the index's facets;
/// empty while the index is still being built).
async fn catalogue_vocabulary(state: &AppState) -> (Vec<String>, Vec<String>) {
    let request = SearchRequest {
        per_page: 1,
        include_unpublished: true,
        ..SearchRequest::default()
    };
    match run_search(state, request).await {
        Ok(results) => (
            results.facets.sector.keys().cloned().collect(),
            results.facets.violation.keys().cloned().collect(),
        ),
        Err(_) => (Vec::new(), Vec::new()),
    }
}

fn editor_file(file: &catalog::FileInfo) -> EditorFile {
    let extraction = ExtractionState::parse(&file.extraction);
    let detail = match extraction {
        Some(ExtractionState::Ok) if file.cue_count > 0 => format!("{} 条字幕", file.cue_count),
        Some(ExtractionState::Ok) => format!("{} 字", file.text_chars),
        Some(ExtractionState::NoTextLayer) => {
            "扫描件没有文字层，需要 OCR 后才能被全文检索".to_owned()
        }
        _ => String::new(),
    };
    EditorFile {
        name: file.name.clone(),
        href: format!("/api/v1/files/{}", file.id),
        kind_label: file.mime.clone(),
        role_label: format::role_label(format::file_role(&file.role)),
        size: format::size(file.size),
        extraction: file.extraction.clone(),
        extraction_label: extraction.map_or("未知", ExtractionState::label),
        extraction_error: file.extraction_error.clone().unwrap_or_default(),
        detail,
    }
}

struct EditorState {
    form: ResourceForm,
    errors: FieldErrors,
    notice: Option<&'static str>,
    upload_error: Option<String>,
}

async fn editor_page(
    state: &AppState,
    user: &SessionUser,
    resource: Option<&Resource>,
    editing: EditorState,
) -> EditorPage {
    let (catalogue_sectors, catalogue_violations) = catalogue_vocabulary(state).await;
    let base_sectors: Vec<String> = DEMO_UNITS.iter().map(|u| u.2.to_owned()).collect();
    let base_violations: Vec<String> = BASE_VIOLATIONS.iter().map(|v| (*v).to_owned()).collect();
    let form = editing.form;
    let status = resource.map_or(Status::Draft, |r| r.status);
    EditorPage {
        chrome: Chrome::for_user(user, Section::Librarian),
        creating: resource.is_none(),
        id: resource.map(|r| r.id.clone()).unwrap_or_default(),
        status,
        status_label: format::status_name(status),
        kinds: Kind::ALL
            .iter()
            .map(|kind| Choice {
                value: kind.as_str().to_owned(),
                label: kind.label().to_owned(),
                checked: form.kind == kind.as_str(),
            })
            .collect(),
        sectors: choices(&base_sectors, &catalogue_sectors, &form.sectors),
        violations: choices(&base_violations, &catalogue_violations, &form.violations),
        errors: editing.errors,
        notice: editing.notice,
        files: resource
            .map(|r| r.files.iter().map(editor_file).collect())
            .unwrap_or_default(),
        upload_error: editing.upload_error,
        accept: ACCEPT,
        form,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EditorQuery {
    kind: Option<String>,
    notice: Option<String>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "created" => "已创建草稿。现在可以上传文件，确认无误后点击“发布”。",
        "saved" => "修改已保存。",
        "unchanged" => "没有需要保存的修改。",
        "published" => "已发布：借阅人现在可以检索和查看该资源。",
        "withdrawn" => "已撤回：借阅人将看不到该资源。",
        "uploaded" => "文件已上传。",
        _ => return None,
    })
}

pub async fn new_resource(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    PageQuery(query): PageQuery<EditorQuery>,
) -> EditorPage {
    let kind = query
        .kind
        .as_deref()
        .filter(|k| Kind::parse(k).is_ok())
        .unwrap_or("case");
    let editing = EditorState {
        form: ResourceForm::blank(kind),
        errors: FieldErrors::new(),
        notice: None,
        upload_error: None,
    };
    editor_page(&state, &user, None, editing).await
}

async fn load(state: &AppState, raw_id: &str) -> Result<Resource, PageError> {
    let id = resource_id(raw_id).map_err(PageError::from)?;
    Ok(state
        .with_conn(move |conn| catalog::get_resource(conn, &id))
        .await?)
}

pub async fn edit_resource(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    Path(raw_id): Path<String>,
    PageQuery(query): PageQuery<EditorQuery>,
) -> Result<EditorPage, PageError> {
    edit_page(state, user.clone(), raw_id, query)
        .await
        .map_err(|err| err.for_user(&user))
}

async fn edit_page(
    state: AppState,
    user: SessionUser,
    raw_id: String,
    query: EditorQuery,
) -> Result<EditorPage, PageError> {
    let resource = load(&state, &raw_id).await?;
    let editing = EditorState {
        form: ResourceForm::from_resource(&resource),
        errors: FieldErrors::new(),
        notice: notice(query.notice.as_deref()),
        upload_error: None,
    };
    Ok(editor_page(&state, &user, Some(&resource), editing).await)
}

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
    let first = multipart
        .next_field()
        .await
        .map_err(|err| PageError::bad_request(format!("上传内容无法解析：{}", err.body_text())))?;
    let token = match first {
        Some(field) if field.name() == Some("csrf") => field.text().await.unwrap_or_default(),
        _ => String::new(),
    };
    if !same_token(&token, &user.csrf_token) {
        return Err(stale_form().for_user(&user));
    }
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
