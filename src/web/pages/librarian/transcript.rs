//! `/librarian/resources/{id}/files/{file_id}/transcript`: correcting what the machine
//! read (校对). A scan or page image shows beside its text in a text area; a film plays
//! beside its cues, one row per cue (start, end, text: clicking a time plays from
//! there, an emptied text drops the cue, the blank rows add cues). Saving replaces the
//! text or cues, audited, and the index follows at once; a refusal comes back with
//! what was typed and the reason. "重新识别" queues the file for a new reading.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::editor::load;
use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::app::AppState;
use crate::catalog::machine_read::{self, MachineRead};
use crate::catalog::{self, FileInfo, Resource};
use crate::content::{Cue, FileKind, FileRole, format_cue_time, parse_cue_time};
use crate::web::error::AppError;
use crate::web::pages::extract::{CsrfForm, PageLibrarian, PageQuery, librarians_only};
use crate::web::pages::{Chrome, PageError, Section, pages, see_other};
use crate::web::shared::resource_id;

/// How many empty rows the cue table offers for new cues.
const BLANK_ROWS: usize = 3;

/// One row of the cue table, as stored or as typed.
pub struct CueRow {
    pub start: String,
    pub end: String,
    pub text: String,
    /// Where the player jumps, in seconds ("" for a blank row).
    pub seek: String,
}

#[derive(Template)]
#[template(path = "librarian/transcript.html")]
pub struct TranscriptPage {
    chrome: Chrome,
    resource_id: String,
    resource_title: String,
    file_id: String,
    file_name: String,
    file_href: String,
    /// "pdf", "image" or "film": what is shown beside the text.
    shows: &'static str,
    machine_read: &'static str,
    /// What stands of the file's reading ("正在机器识别：第 2/5 页"), or "".
    reading: String,
    text: String,
    rows: Vec<CueRow>,
    notice: Option<&'static str>,
    error: Option<String>,
}
pages!(TranscriptPage);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TranscriptQuery {
    done: String,
}

fn machine_file(resource: &Resource, file_id: &str) -> Result<FileInfo, PageError> {
    resource
        .files
        .iter()
        .find(|f| f.id == file_id && f.machine_read.is_some())
        .cloned()
        .ok_or_else(|| PageError::not_found("这个文件没有机器识别的文本"))
}

fn rows_of(cues: &[Cue]) -> Vec<CueRow> {
    cues.iter()
        .map(|cue| CueRow {
            start: format_cue_time(cue.start_ms),
            end: format_cue_time(cue.end_ms),
            text: cue.text.clone(),
            seek: format!("{:.3}", cue.start_ms as f64 / 1000.0),
        })
        .chain((0..BLANK_ROWS).map(|_| CueRow {
            start: String::new(),
            end: String::new(),
            text: String::new(),
            seek: String::new(),
        }))
        .collect()
}

async fn page(
    state: &AppState,
    user: &SessionUser,
    raw_id: &str,
    file_id: &str,
) -> Result<TranscriptPage, PageError> {
    let resource = load(state, raw_id).await?;
    let file = machine_file(&resource, file_id)?;
    let (id, stored_id) = (file.id.clone(), file.id.clone());
    let (text, cues) = state
        .with_conn(move |conn| {
            let text = catalog::texts::stored_text(conn, &id, usize::MAX)?;
            let cues = catalog::texts::stored_cues(conn, &stored_id)?;
            Ok::<_, catalog::CatalogError>((text.map(|t| t.text).unwrap_or_default(), cues))
        })
        .await?;
    let shows = match (file.role, file.mime == FileKind::Pdf.mime()) {
        (FileRole::Video, _) => "film",
        (_, true) => "pdf",
        _ => "image",
    };
    Ok(TranscriptPage {
        chrome: Chrome::for_user(user, Section::Librarian),
        resource_id: resource.id.clone(),
        resource_title: resource.title.clone(),
        file_href: format!("/api/v1/files/{}", file.id),
        file_id: file.id.clone(),
        file_name: file.name.clone(),
        shows,
        machine_read: file.machine_read.map(MachineRead::label).unwrap_or(""),
        reading: file
            .reading
            .as_ref()
            .filter(|progress| !progress.state.finished())
            .map(|progress| progress.label(state.ocr.availability()))
            .unwrap_or_default(),
        text,
        rows: rows_of(&cues),
        notice: None,
        error: None,
    })
}

pub async fn show_transcript(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    Path((raw_id, file_id)): Path<(String, String)>,
    PageQuery(query): PageQuery<TranscriptQuery>,
) -> Result<TranscriptPage, PageError> {
    let mut shown = page(&state, &user, &raw_id, &file_id)
        .await
        .map_err(|err| err.for_user(&user))?;
    shown.notice = match query.done.as_str() {
        "saved" => Some("已保存校对，检索随即按新文本进行。"),
        "unchanged" => Some("内容没有变化。"),
        _ => None,
    };
    Ok(shown)
}

/// The cue table as posted: rows with an emptied text are dropped; a row with text
/// but a time that cannot be read is refused with its number.
fn posted_cues(form: &crate::web::pages::extract::FormData) -> Result<Vec<Cue>, String> {
    let (starts, ends, texts) = (form.all("start"), form.all("end"), form.all("text"));
    let mut cues = Vec::new();
    for (n, text) in texts.iter().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        let time = |list: &[String]| list.get(n).and_then(|t| parse_cue_time(t));
        let (Some(start_ms), Some(end_ms)) = (time(&starts), time(&ends)) else {
            return Err(format!(
                "第 {} 行的时间无法识别：请写成“分:秒.毫秒”，如 01:02.500",
                n + 1
            ));
        };
        cues.push(Cue {
            start_ms,
            end_ms,
            text: text.clone(),
        });
    }
    Ok(cues)
}

pub async fn save_transcript(
    State(state): State<AppState>,
    Path((raw_id, file_id)): Path<(String, String)>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    if !user.is_librarian() {
        return Err(librarians_only(&user));
    }
    let mut shown = page(&state, &user, &raw_id, &file_id)
        .await
        .map_err(|err| err.for_user(&user))?;
    let id = resource_id(&shown.resource_id).map_err(PageError::from)?;
    let (actor, at, indexing) = (Actor::user(&user), state.clock.moment(), state.clone());
    let film = shown.shows == "film";
    let saved: Result<bool, AppError> = if film {
        match posted_cues(&form) {
            Ok(cues) => {
                let file = file_id.clone();
                state
                    .with_conn(move |conn| {
                        machine_read::correct_cues(conn, &actor, &id, &file, &cues, at)
                    })
                    .await
            }
            Err(why) => Err(AppError::bad_request(why)),
        }
    } else {
        let (file, text) = (file_id.clone(), form.get("text").to_owned());
        state
            .with_conn(move |conn| machine_read::correct_text(conn, &actor, &id, &file, &text, at))
            .await
    };
    match saved {
        Ok(changed) => {
            indexing.refresh_index_now();
            let done = if changed { "saved" } else { "unchanged" };
            Ok(see_other(&format!(
                "/librarian/resources/{}/files/{file_id}/transcript?done={done}",
                shown.resource_id
            )))
        }
        Err(error) if error.status.is_server_error() => Err(PageError::from(error).for_user(&user)),
        Err(error) => {
            // What was typed comes back, with the reason.
            if film {
                shown.rows = typed_rows(&form);
            } else {
                shown.text = form.get("text").to_owned();
            }
            shown.error = Some(error.message.clone());
            Ok((error.status, shown).into_response())
        }
    }
}

fn typed_rows(form: &crate::web::pages::extract::FormData) -> Vec<CueRow> {
    let (starts, ends, texts) = (form.all("start"), form.all("end"), form.all("text"));
    texts
        .into_iter()
        .enumerate()
        .map(|(n, text)| CueRow {
            start: starts.get(n).cloned().unwrap_or_default(),
            end: ends.get(n).cloned().unwrap_or_default(),
            text,
            seek: String::new(),
        })
        .collect()
}

/// "重新识别": queues the file again; back to the editor with the outcome.
pub async fn read_again(
    State(state): State<AppState>,
    Path((raw_id, file_id)): Path<(String, String)>,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<Response, PageError> {
    if !user.is_librarian() {
        return Err(librarians_only(&user));
    }
    let id = resource_id(&raw_id).map_err(PageError::from)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let back = format!("/librarian/resources/{}", id.as_str());
    let queued = state
        .with_conn(move |conn| machine_read::read_again(conn, &actor, &id, &file_id, at))
        .await;
    match queued {
        Ok(_) => Ok(see_other(&format!(
            "{back}?notice=read_again#files-heading"
        ))),
        Err(error) => Err(PageError::from(error).for_user(&user)),
    }
}
