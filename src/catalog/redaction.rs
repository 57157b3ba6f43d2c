//! Redacted copies of a contribution (SPEC §9): for Markdown, text and DOCX files and
//! for subtitles, a copy with the open findings of the privacy check masked is
//! written to the store and attached in place of the original for everyone but
//! librarians; the record's fields are masked in place. PDF and video files are
//! flagged, not rewritten. Findings a librarian acknowledged stay as they are.

use std::collections::HashSet;
use std::io::Write;

use rusqlite::{Connection, params};
use serde::Serialize;

use super::CatalogError;
use super::curation::{ResourcePatch, update_resource};
use super::model::ResourceId;
use super::write::{Edit, NewFile, insert_file, log_change, record_history};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;
use crate::content::{self, FileKind, FileStore, StoredBlob};
use crate::privacy::{self, Finding, FindingKind, Redaction};

/// What a redaction did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Redacted {
    /// The files given a redacted copy (their names).
    pub files: Vec<String>,
    /// Files with open findings that are not rewritten (PDF, video, images): they
    /// need an acknowledgement per finding, or to be replaced.
    pub flagged: Vec<String>,
    /// The record's fields masked in place.
    pub fields: Vec<String>,
    /// Findings still open afterwards.
    pub open_findings: usize,
}

/// A borrower-visible file with open findings.
struct Candidate {
    id: String,
    name: String,
    mime: String,
    sha256: String,
    text: String,
}

fn candidates(conn: &Connection, id: &ResourceId) -> Result<Vec<Candidate>, CatalogError> {
    let mut stmt = conn.prepare_cached(
        "SELECT f.id, f.original_name, f.mime, f.sha256, f.text FROM files f
         WHERE f.resource_id = ?1
           AND NOT EXISTS (SELECT 1 FROM files c WHERE c.redacted_of = f.id)
           AND EXISTS (SELECT 1 FROM privacy_findings p WHERE p.file_id = f.id
                       AND p.ack_reason IS NULL)
         ORDER BY f.created_at, f.rowid",
    )?;
    let found = stmt
        .query_map([id.as_str()], |row| {
            Ok(Candidate {
                id: row.get(0)?,
                name: row.get(1)?,
                mime: row.get(2)?,
                sha256: row.get(3)?,
                text: row.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(found)
}

/// The open findings of one field (`file_id` NULL) or of a file's text.
fn open_findings(
    conn: &Connection,
    id: &ResourceId,
    file_id: Option<&str>,
    field: &str,
) -> Result<Vec<Finding>, CatalogError> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, start_char, end_char, text FROM privacy_findings
         WHERE resource_id = ?1 AND file_id IS ?2 AND field = ?3 AND ack_reason IS NULL
         ORDER BY start_char",
    )?;
    let rows = stmt
        .query_map(params![id.as_str(), file_id, field], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, String>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, start, end, text)| {
            Some(Finding {
                kind: FindingKind::parse(&kind)?,
                start: usize::try_from(start).ok()?,
                end: usize::try_from(end).ok()?,
                text,
            })
        })
        .collect())
}

/// The (kind, text) pairs librarians acknowledged: a rewrite leaves them alone.
fn acknowledged(
    conn: &Connection,
    id: &ResourceId,
) -> Result<HashSet<(String, String)>, CatalogError> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, text FROM privacy_findings WHERE resource_id = ?1 AND ack_reason IS NOT NULL",
    )?;
    let pairs = stmt
        .query_map([id.as_str()], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(pairs)
}

/// The redacted bytes of a file, or `None` for a kind that is flagged, not rewritten.
fn redacted_bytes(
    store: &FileStore,
    file: &Candidate,
    kind: FileKind,
    findings: &[Finding],
    keep: &HashSet<(String, String)>,
    how: Redaction,
) -> Result<Option<Vec<u8>>, CatalogError> {
    let scan = |text: &str| -> Vec<Finding> {
        privacy::scan(text)
            .into_iter()
            .filter(|f| !keep.contains(&(f.kind.as_str().to_owned(), f.text.clone())))
            .collect()
    };
    let read = || -> Result<Vec<u8>, CatalogError> {
        Ok(std::fs::read(store.path_of(&file.sha256)?).map_err(content::ContentError::from)?)
    };
    let unreadable = |err: privacy::RedactError| {
        CatalogError::invalid("file", format!("“{}”：{err}", file.name))
    };
    Ok(match kind {
        // The stored text is what the reviewer saw the findings in.
        FileKind::Markdown | FileKind::Text => {
            Some(privacy::redact_text(&file.text, findings, how).into_bytes())
        }
        FileKind::Docx => Some(privacy::redact_docx(&read()?, &scan, how).map_err(unreadable)?),
        FileKind::Vtt | FileKind::Srt => {
            Some(privacy::redact_subtitle(&read()?, &scan, how).map_err(unreadable)?)
        }
        _ => None,
    })
}

/// The name of a redacted copy: 案例通报.docx → 案例通报（脱敏）.docx.
fn copy_name(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}（脱敏）.{ext}"),
        _ => format!("{name}（脱敏）"),
    }
}

/// A librarian redacts contribution `id`: masked copies of its rewritable files,
/// masked fields, a rescan, one audit row. Bytes written for a step that then fails
/// are removed again.
pub fn redact(
    conn: &mut Connection,
    store: &FileStore,
    actor: &Actor,
    id: &ResourceId,
    how: Redaction,
    at: Moment,
) -> Result<Redacted, CatalogError> {
    if !actor.librarian {
        return Err(CatalogError::LibrariansOnly);
    }
    if !super::contributions::is_contribution(conn, id)? {
        return Err(CatalogError::invalid(
            "id",
            "只有单位投稿需要脱敏；工委自己的资料请直接编辑",
        ));
    }
    let keep = acknowledged(conn, id)?;
    let mut outcome = Redacted::default();
    let mut copies: Vec<(Candidate, FileKind, StoredBlob, content::Extraction)> = Vec::new();
    for file in candidates(conn, id)? {
        let Some(kind) = FileKind::ALL.into_iter().find(|k| k.mime() == file.mime) else {
            outcome.flagged.push(file.name.clone());
            continue;
        };
        let findings = open_findings(conn, id, Some(&file.id), "text")?;
        let written = redacted_bytes(store, &file, kind, &findings, &keep, how);
        let bytes = match written {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                outcome.flagged.push(file.name.clone());
                continue;
            }
            Err(err) => {
                discard(conn, store, &copies);
                return Err(err);
            }
        };
        let stored = store_bytes(store, &copy_name(&file.name), &bytes);
        match stored {
            Ok(blob) => {
                let extraction = match store.path_of(&blob.sha256) {
                    Ok(path) => content::extract(&path, kind),
                    Err(err) => content::Extraction::Failed(err.to_string()),
                };
                copies.push((file, kind, blob, extraction));
            }
            Err(err) => {
                discard(conn, store, &copies);
                return Err(err);
            }
        }
    }
    let written = attach_copies(conn, actor, id, &copies, how, at, &mut outcome);
    if written.is_err() {
        discard(conn, store, &copies);
    }
    written.map(|()| outcome)
}

fn discard(
    conn: &Connection,
    store: &FileStore,
    copies: &[(Candidate, FileKind, StoredBlob, content::Extraction)],
) {
    super::import::discard_unreferenced_conn(
        conn,
        store,
        copies.iter().map(|(_, _, blob, _)| blob),
    );
}

fn store_bytes(store: &FileStore, name: &str, bytes: &[u8]) -> Result<StoredBlob, CatalogError> {
    let mut staged = store.stage()?;
    staged
        .write_all(bytes)
        .map_err(content::ContentError::from)?;
    Ok(store.commit(staged, name)?)
}

/// The transaction of a redaction: the copies attached, the fields masked, the
/// rescan and the audit row.
fn attach_copies(
    conn: &mut Connection,
    actor: &Actor,
    id: &ResourceId,
    copies: &[(Candidate, FileKind, StoredBlob, content::Extraction)],
    how: Redaction,
    at: Moment,
    outcome: &mut Redacted,
) -> Result<(), CatalogError> {
    let tx = crate::db::begin_write(conn)?;
    let edit = Edit {
        by: &actor.username,
        at,
    };
    for (original, _, blob, extraction) in copies {
        if blob.sha256 == original.sha256 {
            continue;
        }
        let name = copy_name(&original.name);
        let new_file = NewFile {
            blob,
            original_name: &name,
            extraction,
            duration: None,
        };
        let copy_id = insert_file(&tx, id, &new_file, &at.stamp(), false)?;
        tx.execute(
            "UPDATE files SET redacted_of = ?2 WHERE id = ?1",
            params![copy_id, original.id],
        )?;
        record_history(
            &tx,
            id,
            &edit,
            "redact_file",
            &serde_json::json!({"file": original.id, "copy": new_file.summary(&copy_id)}),
        )?;
        outcome.files.push(original.name.clone());
    }
    let patch = masked_fields(&tx, id, how, outcome)?;
    update_resource(&tx, id.clone(), patch, &edit)?;
    log_change(&tx, id, at)?;
    outcome.open_findings = super::privacy::rescan(&tx, id)?;
    AuditEvent::by(actor, AuditAction::ContributionRedacted)
        .resource(id.as_str())
        .detail(format!(
            "脱敏副本：{}；字段：{}；未改写（需逐条确认）：{}",
            join_or_none(&outcome.files),
            join_or_none(&outcome.fields),
            join_or_none(&outcome.flagged)
        ))
        .record(&tx, at)?;
    tx.commit()?;
    Ok(())
}

fn join_or_none(list: &[String]) -> String {
    if list.is_empty() {
        "无".to_owned()
    } else {
        list.join("、")
    }
}

/// The record's fields with their open findings masked, as a patch.
fn masked_fields(
    tx: &Connection,
    id: &ResourceId,
    how: Redaction,
    outcome: &mut Redacted,
) -> Result<ResourcePatch, CatalogError> {
    let mut patch = ResourcePatch::default();
    let current =
        super::read::load_fields(tx, id)?.ok_or_else(|| CatalogError::NotFound(id.to_string()))?;
    let mut mask = |field: &str, text: &str| -> Result<Option<String>, CatalogError> {
        let findings = open_findings(tx, id, None, field)?;
        if findings.is_empty() {
            return Ok(None);
        }
        outcome.fields.push(field.to_owned());
        Ok(Some(privacy::redact_text(text, &findings, how)))
    };
    patch.title = mask("title", &current.title)?;
    patch.summary = mask("summary", &current.summary)?;
    patch.source = mask("source", &current.source)?;
    patch.region = mask("region", &current.region)?;
    patch.tags = mask("tags", &current.tags.join("\n"))?
        .map(|tags| tags.split('\n').map(str::to_owned).collect());
    Ok(patch)
}
