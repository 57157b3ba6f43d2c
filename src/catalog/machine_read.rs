//! Text and cues read by machine (OCR): a librarian corrects them, or has a file read
//! again. Each is one librarian action in one transaction with its history, audit
//! and change-log rows, so the index follows at once.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;

use super::CatalogError;
use super::files::{librarian, stored_file};
use super::model::ResourceId;
use super::write::{Edit, log_change, record_history, replace_cues};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;
use crate::content::{Cue, Extraction, FileKind, FileRole, MAX_TEXT_BYTES};
use crate::ocr::queue::JobKind;

/// Where a file's text or cues came from when not from the file itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MachineRead {
    /// Read by machine, as read.
    Ocr,
    /// Read by machine, then corrected by a librarian.
    Corrected,
}

impl MachineRead {
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "ocr" => Some(MachineRead::Ocr),
            "corrected" => Some(MachineRead::Corrected),
            _ => None,
        }
    }

    /// What readers are told beside the text.
    pub fn label(self) -> &'static str {
        match self {
            MachineRead::Ocr => "机器识别文本，可能有误",
            MachineRead::Corrected => "机器识别文本，已经馆员校对",
        }
    }
}

/// The largest request that can carry a correction: the longest text, percent-encoded
/// in a form (a Chinese character's 3 bytes become 9), with room for the rest.
pub const MAX_CORRECTION_BODY: usize = 3 * MAX_TEXT_BYTES + 1024 * 1024;

/// The most cues a corrected transcript may have, and characters in one cue.
pub const MAX_CUES: usize = 10_000;
pub const MAX_CUE_CHARS: usize = 500;
/// No cue starts or ends later than this (24 hours).
const MAX_CUE_MS: u64 = 24 * 3600 * 1000;

/// File `file_id` of resource `id` with machine-read content, as `role` expects.
fn machine_read_file(
    tx: &Connection,
    id: &ResourceId,
    file_id: &str,
) -> Result<(super::files::StoredFile, MachineRead), CatalogError> {
    let file = stored_file(tx, id, file_id)?;
    let code: Option<String> = tx.query_row(
        "SELECT machine_read FROM files WHERE id = ?1",
        [file_id],
        |row| row.get(0),
    )?;
    let read = code
        .as_deref()
        .and_then(MachineRead::parse)
        .ok_or_else(|| {
            CatalogError::invalid(
                "file",
                format!("“{}”没有机器识别的文本，无需校对", file.name),
            )
        })?;
    Ok((file, read))
}

/// A correction replaces what an unfinished reading would bring: the job stops.
fn stop_reading(tx: &Connection, file_id: &str, at: Moment) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE ocr_jobs SET state = 'skipped', error = '馆员已校对', finished_at = ?2
         WHERE file_id = ?1 AND state IN ('queued', 'running')",
        params![file_id, at.stamp()],
    )?;
    tx.execute("DELETE FROM ocr_units WHERE file_id = ?1", [file_id])?;
    Ok(())
}

/// Replaces the machine-read text of a scan or page image with `text` (a librarian's
/// correction). Answers whether anything changed.
pub fn correct_text(
    conn: &mut Connection,
    actor: &Actor,
    id: &ResourceId,
    file_id: &str,
    text: &str,
    at: Moment,
) -> Result<bool, CatalogError> {
    librarian(actor)?;
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim();
    if text.len() > MAX_TEXT_BYTES {
        return Err(CatalogError::invalid(
            "text",
            format!("文本过长（最多 {} MB）", MAX_TEXT_BYTES / 1024 / 1024),
        ));
    }
    if text.contains('\0') {
        return Err(CatalogError::invalid("text", "文本含有不可见的控制字符"));
    }
    let tx = crate::db::begin_write(conn)?;
    let (file, read) = machine_read_file(&tx, id, file_id)?;
    if file.role == FileRole::Video {
        return Err(CatalogError::invalid(
            "file",
            "影片的字幕请在字幕校对中修改",
        ));
    }
    let before: String =
        tx.query_row("SELECT text FROM files WHERE id = ?1", [file_id], |row| {
            row.get(0)
        })?;
    if before == text && read == MachineRead::Corrected {
        return Ok(false);
    }
    tx.execute(
        "UPDATE files SET text = ?2, machine_read = 'corrected',
            extraction = CASE WHEN ?2 = '' THEN extraction ELSE 'ok' END
         WHERE id = ?1",
        params![file_id, text],
    )?;
    stop_reading(&tx, file_id, at)?;
    let edit = Edit {
        by: &actor.username,
        at,
    };
    let summary = json!({"file": file.summary(file_id),
        "chars": [before.chars().count(), text.chars().count()]});
    record_history(&tx, id, &edit, "correct_text", &summary)?;
    AuditEvent::by(actor, AuditAction::MachineTextCorrected)
        .resource(id.as_str())
        .file(file_id)
        .detail(format!("{}：{} 字", file.name, text.chars().count()))
        .record(&tx, at)?;
    log_change(&tx, id, at)?;
    tx.commit()?;
    Ok(true)
}

/// Checks a corrected transcript and puts it in time order.
fn checked_cues(cues: &[Cue]) -> Result<Vec<Cue>, CatalogError> {
    if cues.len() > MAX_CUES {
        return Err(CatalogError::invalid(
            "cues",
            format!("字幕条数过多（最多 {MAX_CUES} 条）"),
        ));
    }
    let mut checked = Vec::with_capacity(cues.len());
    for (n, cue) in cues.iter().enumerate() {
        let row = n + 1;
        let text = cue.text.replace("\r\n", "\n").trim().to_owned();
        if text.is_empty() {
            return Err(CatalogError::invalid(
                "cues",
                format!("第 {row} 条字幕没有文字"),
            ));
        }
        if text.chars().count() > MAX_CUE_CHARS || text.contains('\0') {
            return Err(CatalogError::invalid(
                "cues",
                format!("第 {row} 条字幕过长或含有控制字符（最多 {MAX_CUE_CHARS} 字）"),
            ));
        }
        if cue.start_ms >= cue.end_ms || cue.end_ms > MAX_CUE_MS {
            return Err(CatalogError::invalid(
                "cues",
                format!("第 {row} 条字幕的时间不对：结束须晚于开始，且不超过 24 小时"),
            ));
        }
        checked.push(Cue {
            text,
            ..cue.clone()
        });
    }
    checked.sort_by_key(|cue| (cue.start_ms, cue.end_ms));
    Ok(checked)
}

/// Replaces the machine-read cues of a film with `cues` (the transcript editor).
/// Answers whether anything changed.
pub fn correct_cues(
    conn: &mut Connection,
    actor: &Actor,
    id: &ResourceId,
    file_id: &str,
    cues: &[Cue],
    at: Moment,
) -> Result<bool, CatalogError> {
    librarian(actor)?;
    let cues = checked_cues(cues)?;
    let tx = crate::db::begin_write(conn)?;
    let (file, read) = machine_read_file(&tx, id, file_id)?;
    if file.role != FileRole::Video {
        return Err(CatalogError::invalid("file", "只有影片有机器识别的字幕"));
    }
    let before = super::texts::stored_cues(&tx, file_id)?;
    if before == cues && read == MachineRead::Corrected {
        return Ok(false);
    }
    replace_cues(&tx, file_id, &cues)?;
    tx.execute(
        "UPDATE files SET machine_read = 'corrected' WHERE id = ?1",
        [file_id],
    )?;
    stop_reading(&tx, file_id, at)?;
    let edit = Edit {
        by: &actor.username,
        at,
    };
    let summary = json!({"file": file.summary(file_id), "cues": [before.len(), cues.len()]});
    record_history(&tx, id, &edit, "correct_cues", &summary)?;
    AuditEvent::by(actor, AuditAction::MachineTextCorrected)
        .resource(id.as_str())
        .file(file_id)
        .detail(format!("{}：{} 条字幕", file.name, cues.len()))
        .record(&tx, at)?;
    log_change(&tx, id, at)?;
    tx.commit()?;
    Ok(true)
}

/// Queues file `file_id` to be read by machine again (after Tesseract was installed,
/// after a failure, or to drop a correction). The text stays until the new reading
/// replaces it. Answers the job's kind.
pub fn read_again(
    conn: &mut Connection,
    actor: &Actor,
    id: &ResourceId,
    file_id: &str,
    at: Moment,
) -> Result<JobKind, CatalogError> {
    librarian(actor)?;
    let tx = crate::db::begin_write(conn)?;
    let file = stored_file(&tx, id, file_id)?;
    let machine_read: Option<String> = tx.query_row(
        "SELECT machine_read FROM files WHERE id = ?1",
        [file_id],
        |row| row.get(0),
    )?;
    // A PDF with its own text layer is not read by machine, unless it was before.
    let extraction = match (file.extraction.as_str(), machine_read) {
        ("no_text_layer", _) | (_, Some(_)) => Extraction::NoTextLayer,
        _ => Extraction::NotApplicable,
    };
    let (kind, job) = FileKind::ALL
        .into_iter()
        .find(|kind| kind.mime() == file.mime)
        .and_then(|kind| Some((kind, JobKind::for_file(kind, &extraction)?)))
        .ok_or_else(|| {
            CatalogError::invalid(
                "file",
                format!("“{}”不是扫描件、图片或影片，无需机器识别", file.name),
            )
        })?;
    let running: Option<String> = tx
        .query_row(
            "SELECT state FROM ocr_jobs WHERE file_id = ?1 AND state IN ('queued', 'running')",
            [file_id],
            |row| row.get(0),
        )
        .optional()?;
    if running.is_some() {
        return Err(CatalogError::Conflict(format!(
            "“{}”正在排队或识别中",
            file.name
        )));
    }
    tx.execute("DELETE FROM ocr_jobs WHERE file_id = ?1", [file_id])?;
    crate::ocr::queue::enqueue_if_needed(&tx, file_id, kind, &extraction, &at.stamp())?;
    let edit = Edit {
        by: &actor.username,
        at,
    };
    record_history(
        &tx,
        id,
        &edit,
        "read_again",
        &json!({"file": file.summary(file_id)}),
    )?;
    AuditEvent::by(actor, AuditAction::MachineReadingRequested)
        .resource(id.as_str())
        .file(file_id)
        .detail(file.name)
        .record(&tx, at)?;
    tx.commit()?;
    Ok(job)
}
