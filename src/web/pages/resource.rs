//! `/resources/{id}`: metadata, holdings and files; the video player (streamed with
//! Range from the files route, subtitles as a `<track>`, a list of cues that seek it,
//! `?t=SECONDS` to open at a moment); PDFs in the browser's viewer; Markdown and text as
//! escaped HTML. `/subtitles/{file_id}` serves a subtitle file as WebVTT after the same
//! access check as the files route.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::extract::{PageQuery, PageUser};
use super::format;
use super::{Chrome, PageError, pages};
use crate::accounts::SessionUser;
use crate::accounts::policy::{self, Denied};
use crate::app::AppState;
use crate::audit::{self, AuditEvent};
use crate::catalog::{self, FileInfo, Resource};
use crate::content::{self, Cue, Extraction, FileKind, FileStore};
use crate::loans;
use crate::recommend::Recommendation;
use crate::web::api::resources::resource_id;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/{id}", get(show_resource))
        .route("/subtitles/{file_id}", get(show_subtitles))
}

/// Most characters of a document shown on the page; the file itself has the rest.
const MAX_SHOWN_CHARS: usize = 200_000;

pub struct CopyView {
    pub barcode: String,
    pub location: String,
    pub condition: String,
    pub in_circulation: bool,
}

pub struct FileView {
    pub name: String,
    pub href: String,
    pub kind_label: &'static str,
    pub size: String,
}

pub struct VideoView {
    pub src: String,
    pub mime: String,
    pub track: Option<String>,
    /// Where the player starts (`?t=`), in seconds, for the script.
    pub start: String,
    pub start_label: String,
}

pub struct CueItem {
    pub seconds: String,
    pub time: String,
    pub text: String,
    pub href: String,
}

/// A block of a text document: `h` (heading), `p`, `li` or `quote`.
pub struct Block {
    pub kind: &'static str,
    pub text: String,
}

pub struct TextView {
    pub name: String,
    pub href: String,
    pub blocks: Vec<Block>,
    pub truncated: bool,
}

#[derive(Template)]
#[template(path = "resource.html")]
pub struct ResourcePage {
    chrome: Chrome,
    librarian: bool,
    id: String,
    title: String,
    kind_label: &'static str,
    summary: String,
    tags: Vec<String>,
    sectors: Vec<String>,
    violations: Vec<String>,
    region: String,
    date: String,
    source: String,
    duration: String,
    pages: String,
    access: &'static str,
    access_label: &'static str,
    status: &'static str,
    status_label: &'static str,
    licences: String,
    copies: Vec<CopyView>,
    copies_available: usize,
    files: Vec<FileView>,
    can_read: bool,
    denied: Option<String>,
    video: Option<VideoView>,
    cues: Vec<CueItem>,
    pdfs: Vec<FileView>,
    texts: Vec<TextView>,
    images: Vec<FileView>,
    /// "For your unit", this resource left out (`partials/recommendations.html`).
    recommendations: Vec<Recommendation>,
    /// The loan request form (borrowers, published resources).
    loan: Option<super::loans::LoanFormView>,
}
pages!(ResourcePage);

/// `?t=` and the loan request form's fields (the availability check reloads the page).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct ResourceQuery {
    pub t: Option<String>,
    pub format: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub purpose: Option<String>,
    pub audience: Option<String>,
    pub check: Option<String>,
}

fn file_kind(file: &FileInfo) -> Option<FileKind> {
    FileKind::ALL
        .into_iter()
        .find(|kind| kind.mime() == file.mime)
}

fn file_view(file: &FileInfo) -> FileView {
    FileView {
        name: file.name.clone(),
        href: format!("/api/v1/files/{}", file.id),
        kind_label: file_kind(file).map(FileKind::label).unwrap_or("文件"),
        size: format::size(file.size),
    }
}

/// Whether the viewer may open the resource's content; `on_loan` is whether the
/// viewer's unit holds an active digital loan of it (as in the files route).
fn content_decision(user: &SessionUser, resource: &Resource, on_loan: bool) -> Result<(), Denied> {
    policy::can_read_content(user, resource.access, resource.status, on_loan)
}

/// Whether the user's unit holds an active digital loan of the resource today.
fn unit_on_loan(
    conn: &rusqlite::Connection,
    user: &SessionUser,
    resource_id: &str,
    today: jiff::civil::Date,
) -> Result<bool, loans::LoanError> {
    match &user.unit {
        Some(unit) => loans::unit_has_active_loan(conn, unit, resource_id, today),
        None => Ok(false),
    }
}

/// Splits text into blocks; Markdown marks for headings, lists and quotes are read,
/// everything else stays literal text (the template escapes it).
fn blocks(text: &str, markdown: bool) -> Vec<Block> {
    let mut out = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |paragraph: &mut Vec<&str>, out: &mut Vec<Block>| {
        if !paragraph.is_empty() {
            out.push(Block {
                kind: "p",
                text: paragraph.join("\n"),
            });
            paragraph.clear();
        }
    };
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            flush(&mut paragraph, &mut out);
            continue;
        }
        if markdown {
            let plain = |s: &str| s.replace("**", "").replace('`', "").trim().to_owned();
            if let Some(rest) = trimmed.strip_prefix('#') {
                flush(&mut paragraph, &mut out);
                out.push(Block {
                    kind: "h",
                    text: plain(rest.trim_start_matches('#')),
                });
                continue;
            }
            let item = trimmed
                .strip_prefix("- ")
                .or_else(|| trimmed.strip_prefix("* "))
                .or_else(|| {
                    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
                    (digits > 0)
                        .then(|| trimmed[digits..].strip_prefix(". "))
                        .flatten()
                });
            if let Some(item) = item {
                flush(&mut paragraph, &mut out);
                out.push(Block {
                    kind: "li",
                    text: plain(item),
                });
                continue;
            }
            if let Some(quote) = trimmed.strip_prefix('>') {
                flush(&mut paragraph, &mut out);
                out.push(Block {
                    kind: "quote",
                    text: plain(quote),
                });
                continue;
            }
            paragraph.push(trimmed);
        } else {
            paragraph.push(line.trim_end());
        }
    }
    flush(&mut paragraph, &mut out);
    for block in &mut out {
        if markdown {
            block.text = block.text.replace("**", "");
        }
    }
    out
}

/// What the page shows from the stored files: document texts and subtitle cues.
struct Content {
    texts: Vec<TextView>,
    cues: Vec<Cue>,
}

/// Reads the documents and the first subtitle file (blocking: file reads, DOCX unzip).
fn read_content(store: &FileStore, files: &[FileInfo], subtitle: Option<&FileInfo>) -> Content {
    let mut texts = Vec::new();
    for file in files.iter().filter(|f| f.role == "document") {
        let Some(kind @ (FileKind::Markdown | FileKind::Text | FileKind::Docx)) = file_kind(file)
        else {
            continue;
        };
        let Ok(path) = store.path_of(&file.sha256) else {
            continue;
        };
        if let Extraction::Text(text) = content::extract(&path, kind) {
            let truncated = text.chars().count() > MAX_SHOWN_CHARS;
            let shown: String = text.chars().take(MAX_SHOWN_CHARS).collect();
            texts.push(TextView {
                name: file.name.clone(),
                href: format!("/api/v1/files/{}", file.id),
                blocks: blocks(&shown, kind == FileKind::Markdown),
                truncated,
            });
        }
    }
    let cues = subtitle
        .and_then(|file| {
            let kind = file_kind(file)?;
            let path = store.path_of(&file.sha256).ok()?;
            match content::extract(&path, kind) {
                Extraction::Cues(cues) => Some(cues),
                _ => None,
            }
        })
        .unwrap_or_default();
    Content { texts, cues }
}

async fn show_resource(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(raw_id): Path<String>,
    PageQuery(query): PageQuery<ResourceQuery>,
) -> Result<ResourcePage, PageError> {
    let shown = resource_page(state, user.clone(), raw_id, query, None).await;
    shown.map_err(|err| err.for_user(&user))
}

/// The resource page; `loan_error` is a refused loan request shown in its form.
pub(super) async fn resource_page(
    state: AppState,
    user: SessionUser,
    raw_id: String,
    query: ResourceQuery,
    loan_error: Option<String>,
) -> Result<ResourcePage, PageError> {
    let id = resource_id(&raw_id).map_err(PageError::from)?;
    let resource = state
        .with_conn(move |conn| catalog::get_resource(conn, &id))
        .await?;
    if !policy::can_see_resource(&user, resource.status) {
        return Err(PageError::not_found(format!(
            "没有编号为“{}”的资源",
            resource.id
        )));
    }
    let today = state.clock.today();
    let on_loan = {
        let (user, id) = (user.clone(), resource.id.clone());
        state
            .with_conn(move |conn| unit_on_loan(conn, &user, &id, today))
            .await?
    };
    let decision = content_decision(&user, &resource, on_loan);
    let can_read = decision.is_ok();
    let denied = match decision {
        Ok(()) => None,
        Err(Denied::Forbidden(message)) => Some(message),
        Err(Denied::Hidden) => {
            return Err(PageError::not_found(format!(
                "没有编号为“{}”的资源",
                resource.id
            )));
        }
    };
    let start = query
        .t
        .as_deref()
        .and_then(|t| t.trim().parse::<f64>().ok())
        .filter(|t| t.is_finite() && *t >= 0.0);

    let video_file = resource.files.iter().find(|f| f.role == "video").cloned();
    let subtitle_file = resource
        .files
        .iter()
        .find(|f| f.role == "subtitle")
        .cloned();
    let content = if can_read {
        let store = state.store.clone();
        let files = resource.files.clone();
        let subtitle = subtitle_file.clone();
        tokio::task::spawn_blocking(move || read_content(&store, &files, subtitle.as_ref())).await?
    } else {
        Content {
            texts: Vec::new(),
            cues: Vec::new(),
        }
    };
    if can_read {
        record_shown(&state, &user, &resource, &content, subtitle_file.as_ref()).await?;
    }

    let base = format!("/resources/{}", resource.id);
    let video = video_file.filter(|_| can_read).map(|file| VideoView {
        src: match start {
            // A media fragment starts the player there even without the script.
            Some(t) => format!("/api/v1/files/{}#t={t}", file.id),
            None => format!("/api/v1/files/{}", file.id),
        },
        mime: file.mime.clone(),
        track: subtitle_file
            .as_ref()
            .map(|sub| format!("/subtitles/{}", sub.id)),
        start: start.map(|t| t.to_string()).unwrap_or_default(),
        start_label: start.map(format::clock).unwrap_or_default(),
    });
    let cues = content
        .cues
        .iter()
        .map(|cue| {
            let seconds = cue.start_ms as f64 / 1000.0;
            CueItem {
                seconds: format!("{seconds:.3}"),
                time: format::clock(seconds),
                text: cue.text.clone(),
                href: format!("{base}?t={}#player", cue.start_ms / 1000),
            }
        })
        .collect();
    let by_role = |role: &str| -> Vec<FileView> {
        resource
            .files
            .iter()
            .filter(|f| f.role == role)
            .map(file_view)
            .collect()
    };
    let pdfs = if can_read {
        resource
            .files
            .iter()
            .filter(|f| f.mime == FileKind::Pdf.mime())
            .map(file_view)
            .collect()
    } else {
        Vec::new()
    };
    let images = if can_read {
        by_role("image")
    } else {
        Vec::new()
    };
    let copies: Vec<CopyView> = resource
        .holdings
        .copies
        .iter()
        .map(|copy| CopyView {
            barcode: copy.barcode.clone(),
            location: copy.location.clone(),
            condition: format::condition_label(&copy.condition),
            in_circulation: copy.in_circulation,
        })
        .collect();
    let recommendations = super::stats::recommendations(&state, &user, 3, Some(&resource.id)).await;
    let loan = super::loans::loan_form(&state, &user, &resource, &query, loan_error).await;
    Ok(ResourcePage {
        chrome: Chrome::for_user(&user, "search"),
        librarian: user.is_librarian(),
        id: resource.id.clone(),
        kind_label: resource.kind_label,
        summary: resource.summary.clone(),
        tags: resource.tags.clone(),
        sectors: resource.sectors.clone(),
        violations: resource.violations.clone(),
        region: resource.region.clone(),
        date: resource.date.clone().unwrap_or_default(),
        source: resource.source.clone(),
        duration: resource.duration.map(format::duration).unwrap_or_default(),
        pages: resource.pages.map(|p| p.to_string()).unwrap_or_default(),
        access: resource.access.as_str(),
        access_label: format::access_label(resource.access.as_str()),
        status: resource.status.as_str(),
        status_label: format::status_label(resource.status.as_str()),
        licences: match resource.holdings.licences {
            None => "不限".to_owned(),
            Some(n) => format!("{n} 个"),
        },
        copies_available: copies.iter().filter(|c| c.in_circulation).count(),
        copies,
        files: resource.files.iter().map(file_view).collect(),
        can_read,
        denied,
        video,
        cues,
        pdfs,
        texts: content.texts,
        images,
        recommendations,
        loan,
        title: resource.title,
    })
}

/// Writes an audit entry for each file whose content the page shows inline.
async fn record_shown(
    state: &AppState,
    user: &SessionUser,
    resource: &Resource,
    content: &Content,
    subtitle: Option<&FileInfo>,
) -> Result<(), PageError> {
    let mut shown: Vec<String> = resource
        .files
        .iter()
        .filter(|f| content.texts.iter().any(|t| t.href.ends_with(&f.id)))
        .map(|f| f.id.clone())
        .collect();
    if !content.cues.is_empty() {
        shown.extend(subtitle.map(|f| f.id.clone()));
    }
    if shown.is_empty() {
        return Ok(());
    }
    let (user, resource_id) = (user.clone(), resource.id.clone());
    state
        .with_conn(move |conn| {
            for file_id in &shown {
                audit::record(
                    conn,
                    &AuditEvent::by(&user, "file_access")
                        .resource(&resource_id)
                        .file(file_id)
                        .detail("granted; shown on the resource page"),
                )?;
            }
            Ok::<_, rusqlite::Error>(())
        })
        .await?;
    Ok(())
}

/// File ids are `f` plus 15 lowercase letters or digits.
fn is_file_id(raw: &str) -> bool {
    raw.len() == 16
        && raw.starts_with('f')
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// A subtitle file as WebVTT (SRT converted), for the player's `<track>`.
async fn show_subtitles(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(file_id): Path<String>,
) -> Result<Response, PageError> {
    let missing = || PageError::not_found("没有这个字幕文件");
    if !is_file_id(&file_id) {
        return Err(missing());
    }
    let auditor = user.clone();
    let today = state.clock.today();
    let found = state
        .with_conn(move |conn| {
            let Some(record) = catalog::find_file(conn, &file_id)? else {
                return Ok(None);
            };
            if record.role != "subtitle" {
                return Ok(None);
            }
            let on_loan = unit_on_loan(conn, &auditor, &record.resource_id, today)?;
            let decision =
                policy::can_read_content(&auditor, record.access, record.status, on_loan);
            let outcome = if decision.is_ok() {
                "granted; as WebVTT"
            } else {
                "denied; as WebVTT"
            };
            audit::record(
                conn,
                &AuditEvent::by(&auditor, "file_access")
                    .resource(&record.resource_id)
                    .file(&record.id)
                    .detail(outcome),
            )?;
            Ok::<_, crate::web::error::AppError>(Some((record, decision)))
        })
        .await?;
    let (record, decision) = found.ok_or_else(missing)?;
    match decision {
        Ok(()) => {}
        Err(Denied::Hidden) => return Err(missing()),
        Err(Denied::Forbidden(message)) => return Err(PageError::forbidden(message)),
    }
    let kind = if record.mime == FileKind::Srt.mime() {
        FileKind::Srt
    } else {
        FileKind::Vtt
    };
    let path = state.store.path_of(&record.sha256)?;
    let extraction = tokio::task::spawn_blocking(move || content::extract(&path, kind)).await?;
    let Extraction::Cues(cues) = extraction else {
        return Err(PageError::not_found("这个字幕文件无法读取"));
    };
    let mut response = content::cues_to_vtt(&cues).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/vtt; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_blocks_of_plain_text() {
        let text = "# 标题\n\n第一段**重点**\n续行\n\n- 一\n2. 二\n> 引用\n<script>x</script>";
        let blocks = blocks(text, true);
        let kinds: Vec<_> = blocks.iter().map(|b| b.kind).collect();
        assert_eq!(kinds, ["h", "p", "li", "li", "quote", "p"]);
        assert_eq!(blocks[0].text, "标题");
        assert_eq!(blocks[1].text, "第一段重点\n续行");
        // Tags stay text; the template escapes them.
        assert_eq!(blocks[5].text, "<script>x</script>");
        let plain = super::blocks("# 不是标题\n\n第二段", false);
        assert_eq!(plain[0].kind, "p");
        assert_eq!(plain[0].text, "# 不是标题");
    }
}
