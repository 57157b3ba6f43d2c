//! A resource's files after upload: replacing one with a new version (same role: the
//! film stays the film, a subtitle a subtitle), removing one, choosing the subtitle
//! track the player shows by default, and reading the length of videos stored before
//! lengths were read at upload. Each is one librarian action in one transaction with
//! its history, change-log and audit rows; the bytes a change lets go of are dropped
//! afterwards, only when nothing else refers to them (`orphans`).

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde_json::json;

use super::CatalogError;
use super::model::ResourceId;
use super::orphans::{ORPHAN_GRACE, drop_if_unreferenced};
use super::write::{
    Edit, NewFile, file_with_bytes, insert_file, log_change, record_history, set_duration,
    sync_duration, whole_seconds,
};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;
use crate::content::{FileRole, FileStore};

/// A file row as a change needs it.
pub(super) struct StoredFile {
    pub(super) sha256: String,
    pub(super) name: String,
    pub(super) mime: String,
    pub(super) size: u64,
    pub(super) role: FileRole,
    pub(super) extraction: String,
    pub(super) created_at: String,
    pub(super) is_default: bool,
}

impl StoredFile {
    pub(super) fn summary(&self, file_id: &str) -> serde_json::Value {
        json!({"id": file_id, "name": self.name, "mime": self.mime, "size": self.size,
            "extraction": self.extraction})
    }
}

/// File `file_id` of resource `id`, or `FileNotFound` (also for another resource's file).
pub(super) fn stored_file(
    tx: &Connection,
    id: &ResourceId,
    file_id: &str,
) -> Result<StoredFile, CatalogError> {
    if super::read::load_fields(tx, id)?.is_none() {
        return Err(CatalogError::NotFound(id.to_string()));
    }
    let row = tx
        .query_row(
            "SELECT sha256, original_name, mime, size, role, extraction, created_at, is_default
             FROM files WHERE id = ?1 AND resource_id = ?2",
            params![file_id, id.as_str()],
            |row| {
                Ok((
                    StoredFile {
                        sha256: row.get(0)?,
                        name: row.get(1)?,
                        mime: row.get(2)?,
                        size: row.get(3)?,
                        role: FileRole::Video,
                        extraction: row.get(5)?,
                        created_at: row.get(6)?,
                        is_default: row.get(7)?,
                    },
                    row.get::<_, String>(4)?,
                ))
            },
        )
        .optional()?;
    let (mut file, role) = row.ok_or(CatalogError::FileNotFound)?;
    file.role = FileRole::parse(&role)
        .ok_or_else(|| CatalogError::Conflict(format!("stored role {role:?} is invalid")))?;
    Ok(file)
}

pub(super) fn librarian(actor: &Actor) -> Result<(), CatalogError> {
    if actor.librarian {
        Ok(())
    } else {
        Err(CatalogError::LibrariansOnly)
    }
}

/// Drops the bytes a committed change let go of, when nothing refers to them any more
/// and they were not in use a moment ago; a blob kept now goes at the next start.
/// Answers whether the bytes were dropped.
fn release(conn: &Connection, store: &FileStore, sha256: &str) -> bool {
    drop_if_unreferenced(conn, store, sha256, ORPHAN_GRACE).unwrap_or_else(|err| {
        tracing::warn!(%sha256, %err, "could not drop the bytes of a removed file; the next start will");
        false
    })
}

/// What replacing a file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaced {
    /// The id of the file now in its place (the old id is gone).
    pub file_id: String,
    /// False when the new version holds the same bytes as the old one.
    pub changed: bool,
}

/// A librarian puts an uploaded, already stored file in the place of file `file_id` of
/// resource `id`: the new version takes its role, position and default-track flag,
/// and its text and cues replace the old ones in the index. The new file gets a new
/// id; the old one is gone (its audit rows stay). On refusal nothing changes and the
/// caller discards the new bytes; after success the old bytes are dropped unless
/// something else refers to them.
pub fn replace_upload(
    conn: &mut Connection,
    store: &FileStore,
    actor: &Actor,
    id: &ResourceId,
    file_id: &str,
    file: NewFile<'_>,
    at: Moment,
) -> Result<Replaced, CatalogError> {
    librarian(actor)?;
    let tx = crate::db::begin_write(conn)?;
    let old = stored_file(&tx, id, file_id)?;
    let role = file.blob.kind.role();
    if role != old.role {
        return Err(CatalogError::invalid(
            "file",
            format!(
                "“{}”是{}，不能替换{}“{}”；请上传同一用途的文件，或另行上传",
                file.original_name,
                role.label(),
                old.role.label(),
                old.name
            ),
        ));
    }
    if old.sha256 == file.blob.sha256 {
        return Ok(Replaced {
            file_id: file_id.to_owned(),
            changed: false,
        });
    }
    if let Some(twin) = file_with_bytes(&tx, id, &file.blob.sha256)? {
        let twin_name: String = tx.query_row(
            "SELECT original_name FROM files WHERE id = ?1",
            [&twin],
            |row| row.get(0),
        )?;
        return Err(CatalogError::Conflict(format!(
            "该资源已有内容完全相同的文件“{twin_name}”"
        )));
    }
    let edit = Edit {
        by: &actor.username,
        at,
    };
    tx.execute("DELETE FROM files WHERE id = ?1", [file_id])?;
    // The new version takes the old one's place in the order and its default flag.
    let new_id = insert_file(&tx, id, &file, &old.created_at, old.is_default)?;
    record_history(
        &tx,
        id,
        &edit,
        "replace_file",
        &json!({"file": [old.summary(file_id), file.summary(&new_id)]}),
    )?;
    sync_duration(&tx, id, &new_id, &edit)?;
    log_change(&tx, id, at)?;
    AuditEvent::by(actor, AuditAction::FileReplaced)
        .resource(id.as_str())
        .file(&new_id)
        .detail(format!("{}（{file_id}）→ {}", old.name, file.original_name))
        .record(&tx, at)?;
    tx.commit()?;
    release(conn, store, &old.sha256);
    Ok(Replaced {
        file_id: new_id,
        changed: true,
    })
}

/// What removing a file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub name: String,
    /// Whether the stored bytes were dropped now (false: another file still holds the
    /// same bytes, or they were in use a moment ago and go at the next start).
    pub bytes_dropped: bool,
}

/// A librarian removes file `file_id` from resource `id`: its row, text and cues go
/// (so its words no longer find the resource), with history, change-log and audit rows.
/// After the commit the bytes are dropped unless something else refers to them.
pub fn remove_file(
    conn: &mut Connection,
    store: &FileStore,
    actor: &Actor,
    id: &ResourceId,
    file_id: &str,
    at: Moment,
) -> Result<Removed, CatalogError> {
    librarian(actor)?;
    let tx = crate::db::begin_write(conn)?;
    let old = stored_file(&tx, id, file_id)?;
    let edit = Edit {
        by: &actor.username,
        at,
    };
    tx.execute("DELETE FROM files WHERE id = ?1", [file_id])?;
    record_history(
        &tx,
        id,
        &edit,
        "remove_file",
        &json!({"file": old.summary(file_id)}),
    )?;
    log_change(&tx, id, at)?;
    AuditEvent::by(actor, AuditAction::FileRemoved)
        .resource(id.as_str())
        .file(file_id)
        .detail(old.name.clone())
        .record(&tx, at)?;
    tx.commit()?;
    let bytes_dropped = release(conn, store, &old.sha256);
    Ok(Removed {
        name: old.name,
        bytes_dropped,
    })
}

/// A librarian makes subtitle file `file_id` the track the player of resource `id`
/// shows by default (the other subtitle files stay selectable). Answers false when it
/// already was the chosen one.
pub fn set_default_subtitle(
    conn: &mut Connection,
    actor: &Actor,
    id: &ResourceId,
    file_id: &str,
    at: Moment,
) -> Result<bool, CatalogError> {
    librarian(actor)?;
    let tx = crate::db::begin_write(conn)?;
    let file = stored_file(&tx, id, file_id)?;
    if file.role != FileRole::Subtitle {
        return Err(CatalogError::invalid(
            "file",
            format!("“{}”不是字幕文件，不能设为默认字幕", file.name),
        ));
    }
    if file.is_default {
        return Ok(false);
    }
    tx.execute(
        "UPDATE files SET is_default = 0 WHERE resource_id = ?1 AND is_default = 1",
        [id.as_str()],
    )?;
    tx.execute("UPDATE files SET is_default = 1 WHERE id = ?1", [file_id])?;
    let edit = Edit {
        by: &actor.username,
        at,
    };
    record_history(
        &tx,
        id,
        &edit,
        "default_subtitle",
        &json!({"file": file.summary(file_id)}),
    )?;
    AuditEvent::by(actor, AuditAction::SubtitleDefaultSet)
        .resource(id.as_str())
        .file(file_id)
        .detail(file.name)
        .record(&tx, at)?;
    tx.commit()?;
    Ok(true)
}

/// Reads the length of every stored video not yet measured (files attached before
/// lengths were read at upload), and gives resources without a duration their first
/// video's. Cheap: only the header of each such file is read, once. Answers how many
/// resources got a duration.
pub fn fill_missing_durations(
    conn: &mut Connection,
    store: &FileStore,
    at: Moment,
) -> Result<usize, CatalogError> {
    let pending: Vec<(String, String, String)> = conn
        .prepare("SELECT id, sha256, mime FROM files WHERE role = 'video' AND duration_ms IS NULL")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut measured = Vec::new();
    for (file_id, sha256, mime) in pending {
        let Some(kind) = crate::content::FileKind::ALL
            .into_iter()
            .find(|kind| kind.mime() == mime)
        else {
            continue;
        };
        let Ok(path) = store.path_of(&sha256) else {
            continue;
        };
        if let Some(length) = crate::content::video_duration(&path, kind) {
            measured.push((
                file_id,
                i64::try_from(length.as_millis()).unwrap_or(i64::MAX),
            ));
        }
    }
    let tx = crate::db::begin_write(conn)?;
    for (file_id, millis) in &measured {
        tx.execute(
            "UPDATE files SET duration_ms = ?2 WHERE id = ?1 AND duration_ms IS NULL",
            params![file_id, millis],
        )?;
    }
    let filled = fill_resource_durations(&tx, at)?;
    tx.commit()?;
    Ok(filled)
}

/// Resources without a duration whose first video's length is known get it.
fn fill_resource_durations(tx: &Transaction<'_>, at: Moment) -> Result<usize, CatalogError> {
    let missing: Vec<(String, i64)> = tx
        .prepare(
            "SELECT r.id, f.duration_ms FROM resources r
             JOIN files f ON f.id = (SELECT id FROM files WHERE resource_id = r.id
                                     AND role = 'video' ORDER BY created_at, rowid LIMIT 1)
             WHERE r.duration_seconds IS NULL AND f.duration_ms IS NOT NULL",
        )?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let edit = Edit { by: "system", at };
    for (id, millis) in &missing {
        let id = ResourceId::parse(id)?;
        set_duration(tx, &id, whole_seconds(*millis), &edit)?;
    }
    Ok(missing.len())
}
