//! The resource editor page: metadata with controlled lists, the files with their
//! extraction status and actions (replace with a new version, remove, choose the
//! default subtitle track), the upload form for one or several files (the script
//! streams each to `POST /api/v1/resources/{id}/files` with its own progress bar) and
//! the publish and withdraw buttons. What the forms post is handled in `edits` and
//! `file_edits`.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Path, State};
use serde::Deserialize;

use super::form::{BASE_VIOLATIONS, FieldErrors, ResourceForm};
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::bootstrap::DEMO_UNITS;
use crate::catalog::{self, Kind, Resource, Status};
use crate::content::{ExtractionState, FileRole};
use crate::loans;
use crate::search::SearchRequest;
use crate::web::pages::extract::{PageLibrarian, PageQuery};
use crate::web::pages::format;
use crate::web::pages::{Chrome, PageError, Section, pages};
use crate::web::shared::resource_id;
use crate::web::shared::search::run_search;

/// One entry of a controlled list.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub struct EditorFile {
    pub id: String,
    pub name: String,
    pub href: String,
    pub kind_label: String,
    pub role_label: &'static str,
    pub size: String,
    pub extraction: String,
    pub extraction_label: &'static str,
    pub extraction_error: String,
    pub detail: String,
    pub subtitle: bool,
    /// The subtitle track the player shows by default.
    pub default: bool,
    /// What a new version may be (the same role's file types).
    pub accept: &'static str,
    /// Where its machine reading stands ("正在机器识别：第 2/5 页"), or "".
    pub reading: String,
    /// "机器识别文本，可能有误" when its text or cues were read by machine, or "".
    pub machine_read: &'static str,
    /// The page to correct the machine's reading, when there is one.
    pub transcript_href: Option<String>,
    /// It may be read by machine again (a scan, page image or film not in the queue).
    pub can_read_again: bool,
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
    /// A refused replace, remove or default-track change.
    files_error: Option<String>,
    accept: &'static str,
    /// A published resource's open loans, told before it is withdrawn.
    pub(super) open_loans: loans::OpenLoans,
    /// Why the withdrawal was refused, beside its form.
    pub(super) withdraw_error: Option<String>,
    /// What the withdrawal just did to the loans.
    pub(super) withdrawal_note: Option<String>,
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

    /// Where the upload form posts without the script.
    fn upload_action(&self) -> String {
        format!("/librarian/resources/{}/upload", self.id)
    }

    fn action(&self) -> String {
        if self.creating {
            "/librarian/resources".to_owned()
        } else {
            format!("/librarian/resources/{}", self.id)
        }
    }
}

pub(in crate::web::pages) const ACCEPT: &str =
    ".pdf,.docx,.txt,.md,.markdown,.mp4,.m4v,.webm,.vtt,.srt,.jpg,.jpeg,.png,.webp";

/// The file types a new version of a file of `role` may have.
fn accept_for(role: FileRole) -> &'static str {
    match role {
        FileRole::Document => ".pdf,.docx,.txt,.md,.markdown",
        FileRole::Video => ".mp4,.m4v,.webm",
        FileRole::Subtitle => ".vtt,.srt",
        FileRole::Image => ".jpg,.jpeg,.png,.webp",
    }
}

/// Values offered: the base list, what the catalogue already uses, and the resource's own.
pub(in crate::web::pages) fn choices(
    base: &[String],
    catalogue: &[String],
    chosen: &[String],
) -> Vec<Choice> {
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
pub(super) async fn catalogue_vocabulary(
    state: &AppState,
    user: &SessionUser,
) -> (Vec<String>, Vec<String>) {
    let request = SearchRequest {
        per_page: 1,
        include_unpublished: true,
        ..SearchRequest::default()
    };
    match run_search(state, user, request).await {
        Ok(results) => (
            results.facets.sector.keys().cloned().collect(),
            results.facets.violation.keys().cloned().collect(),
        ),
        Err(_) => (Vec::new(), Vec::new()),
    }
}

fn editor_file(
    file: &catalog::FileInfo,
    resource_id: &str,
    availability: crate::ocr::Availability,
) -> EditorFile {
    let extraction = file.extraction;
    let detail = match (extraction, file.duration_ms) {
        (ExtractionState::Ok, _) if file.cue_count > 0 => format!("{} 条字幕", file.cue_count),
        (ExtractionState::Ok, _) => format!("{} 字", file.text_chars),
        (ExtractionState::NoTextLayer, _) => {
            "扫描件没有文字层，机器识别（OCR）后才能被全文检索".to_owned()
        }
        // Whole seconds rounded, as the resource's duration is.
        (_, Some(millis)) => format!("时长 {}", format::clock(((millis + 500) / 1000) as f64)),
        _ => String::new(),
    };
    EditorFile {
        id: file.id.clone(),
        subtitle: file.role == FileRole::Subtitle,
        default: file.default,
        accept: accept_for(file.role),
        name: file.name.clone(),
        href: format!("/api/v1/files/{}", file.id),
        kind_label: file.mime.clone(),
        role_label: file.role.label(),
        size: format::size(file.size),
        extraction: file.extraction.code().to_owned(),
        extraction_label: extraction.label(),
        extraction_error: file.extraction_error.clone().unwrap_or_default(),
        detail,
        reading: file
            .reading
            .as_ref()
            .map(|progress| progress.label(availability))
            .unwrap_or_default(),
        machine_read: file
            .machine_read
            .map(crate::catalog::machine_read::MachineRead::label)
            .unwrap_or(""),
        transcript_href: file.machine_read.map(|_| {
            format!(
                "/librarian/resources/{resource_id}/files/{}/transcript",
                file.id
            )
        }),
        can_read_again: file.reading.as_ref().is_none_or(|p| p.state.finished())
            && (file.reading.is_some() || file.machine_read.is_some()),
    }
}

pub(super) struct EditorState {
    pub(super) form: ResourceForm,
    pub(super) errors: FieldErrors,
    pub(super) notice: Option<&'static str>,
    pub(super) upload_error: Option<String>,
    pub(super) files_error: Option<String>,
}

pub(super) async fn editor_page(
    state: &AppState,
    user: &SessionUser,
    resource: Option<&Resource>,
    editing: EditorState,
) -> EditorPage {
    let (catalogue_sectors, catalogue_violations) = catalogue_vocabulary(state, user).await;
    let base_sectors: Vec<String> = DEMO_UNITS.iter().map(|u| u.2.to_owned()).collect();
    let base_violations: Vec<String> = BASE_VIOLATIONS.iter().map(|v| (*v).to_owned()).collect();
    let form = editing.form;
    let status = resource.map_or(Status::Draft, |r| r.status);
    let open_loans = match resource {
        Some(r) if status == Status::Published => {
            let (id, today) = (r.id.clone(), state.clock.today());
            state
                .with_conn(move |conn| loans::open_loans(conn, &id, today))
                .await
                .unwrap_or_default()
        }
        _ => loans::OpenLoans::default(),
    };
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
            .map(|r| {
                let availability = state.ocr.availability();
                r.files
                    .iter()
                    .map(|file| editor_file(file, &r.id, availability))
                    .collect()
            })
            .unwrap_or_default(),
        upload_error: editing.upload_error,
        files_error: editing.files_error,
        accept: ACCEPT,
        form,
        open_loans,
        withdraw_error: None,
        withdrawal_note: None,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EditorQuery {
    kind: Option<String>,
    notice: Option<String>,
    /// After a withdrawal: the loans cancelled, recalled and left to run.
    cancelled: Option<u32>,
    recalled: Option<u32>,
    running: Option<u32>,
}

/// What a withdrawal did to the loans, in words (nothing when it touched none).
fn withdrawal_note(query: &EditorQuery) -> Option<String> {
    let counts = [
        (query.cancelled, "取消"),
        (query.recalled, "召回"),
        (query.running, "照常进行"),
    ];
    let parts: Vec<String> = counts
        .iter()
        .filter_map(|(n, what)| n.filter(|n| *n > 0).map(|n| format!("{what} {n} 笔")))
        .collect();
    (!parts.is_empty()).then(|| format!("借阅处理：{}；相关单位已收到通知。", parts.join("，")))
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "created" => "已创建草稿。现在可以上传文件，确认无误后点击“发布”。",
        "saved" => "修改已保存。",
        "unchanged" => "没有需要保存的修改。",
        "published" => "已发布：借阅人现在可以检索和查看该资源。",
        "withdrawn" => "已撤回：借阅人将看不到该资源。",
        "uploaded" => "文件已上传。",
        "replaced" => "已换成新版本。",
        "removed" => "文件已删除。",
        "default" => "已设为默认字幕：播放器将默认显示这一字幕，其他字幕仍可在播放器中选择。",
        "read_again" => "已加入机器识别队列：识别完成后文本随即可检索。",
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
        files_error: None,
    };
    editor_page(&state, &user, None, editing).await
}

pub(super) async fn load(state: &AppState, raw_id: &str) -> Result<Resource, PageError> {
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
        files_error: None,
    };
    let mut page = editor_page(&state, &user, Some(&resource), editing).await;
    page.withdrawal_note = withdrawal_note(&query);
    Ok(page)
}
