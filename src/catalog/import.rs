//! Bulk import of a manifest and its files: each row is stored and written in its own
//! transaction, so a bad row leaves nothing behind and the good rows still land.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::CatalogError;
use super::manifest::{ManifestRow, read_manifest};
use super::model::{CopyInput, ResourceFields, ResourceId, ResourceInput};
use super::write::{Edit, NewFile, Upserted, attach_file, upsert_resource};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;
use crate::content::{self, FileStore, StoredBlob};
use crate::db::Database;

/// A row that could not be imported, and why.
#[derive(Debug, Clone, Serialize)]
pub struct RowFailure {
    pub position: String,
    pub id: Option<String>,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportSummary {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub files_attached: usize,
    pub failures: Vec<RowFailure>,
}

impl ImportSummary {
    pub fn succeeded(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Rows whose files are stored in parallel before their transactions run in order.
const CHUNK: usize = 32;

/// Imports every row of the manifest at `manifest_path`. `on_row` is called after each
/// row with (rows done, rows total). Fails as a whole only when the manifest itself
/// cannot be read.
pub fn import_manifest(
    db: &Database,
    store: &FileStore,
    manifest_path: &Path,
    actor: &Actor,
    at: Moment,
    on_row: &mut dyn FnMut(usize, usize),
) -> Result<ImportSummary, CatalogError> {
    let rows = read_manifest(manifest_path)?;
    let base = manifest_folder(manifest_path)?;
    let total = rows.len();
    let mut summary = ImportSummary {
        rows: total,
        ..Default::default()
    };
    // Duplicate ids are decided in manifest order, before any work is done.
    let mut seen_ids = std::collections::HashSet::new();
    let rows: Vec<(String, Option<String>, Result<ResourceInput, CatalogError>)> = rows
        .into_iter()
        .map(|ManifestRow { position, input }| {
            let id_hint = input.as_ref().ok().and_then(|i| i.id.clone());
            let input = match input {
                Err(reason) => Err(CatalogError::invalid("manifest", reason)),
                Ok(input) => match &input.id {
                    Some(id) if !seen_ids.insert(id.clone()) => Err(CatalogError::invalid(
                        "id",
                        format!("编号“{id}”在清单中重复出现"),
                    )),
                    _ => Ok(input),
                },
            };
            (position, id_hint, input)
        })
        .collect();
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 4);
    let mut done = 0;
    for chunk in rows.chunks(CHUNK) {
        // Storing files is mostly waiting for fsync, so it runs on several threads.
        let prepared = parallel_map(chunk, workers, |(_, _, input)| match input {
            Ok(input) => prepare_row(store, &base, input),
            Err(err) => Err((
                CatalogError::invalid("manifest", err.to_string()),
                Vec::new(),
            )),
        });
        let mut written = Vec::new();
        for ((position, id_hint, input), prepared) in chunk.iter().zip(prepared) {
            let outcome = match (input, prepared) {
                (Err(err), _) => Err(CatalogError::invalid(field_of(err), message_of(err))),
                (Ok(_), Err((err, blobs))) => {
                    written.extend(blobs);
                    Err(err)
                }
                (Ok(_), Ok(row)) => {
                    let result = write_row(db, &row, actor, at);
                    written.extend(row.stored.into_iter().map(|(_, blob, ..)| blob));
                    result
                }
            };
            match outcome {
                Ok(row) => {
                    match row.upserted {
                        Upserted::Created => summary.created += 1,
                        Upserted::Updated => summary.updated += 1,
                        Upserted::Unchanged => summary.unchanged += 1,
                    }
                    summary.files_attached += row.new_files;
                }
                Err(err) => summary.failures.push(RowFailure {
                    position: position.clone(),
                    id: id_hint.clone(),
                    reason: err.to_string(),
                }),
            }
            done += 1;
            on_row(done, total);
        }
        // Only after the whole chunk is written: another row may share a blob.
        discard_unreferenced(db, store, written.iter());
    }
    Ok(summary)
}

fn field_of(err: &CatalogError) -> &str {
    match err {
        CatalogError::Invalid { field, .. } => field,
        _ => "manifest",
    }
}

fn message_of(err: &CatalogError) -> String {
    match err {
        CatalogError::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Maps `work` over `items` on `workers` threads, keeping the order.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<R>>> =
        items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers.min(items.len()) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(item) = items.get(index) else { break };
                    let result = work(item);
                    *slots[index].lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
                }
            });
        }
    });
    slots
        .into_iter()
        .filter_map(|slot| slot.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect()
}

struct RowOutcome {
    upserted: Upserted,
    new_files: usize,
}

/// The manifest's folder with every symlink resolved: the one folder its rows may
/// read from.
fn manifest_folder(manifest_path: &Path) -> Result<PathBuf, CatalogError> {
    let parent = manifest_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    parent.canonicalize().map_err(|err| {
        CatalogError::invalid(
            "manifest",
            format!("无法打开清单所在文件夹 {}：{err}", parent.display()),
        )
    })
}

/// Resolves a manifest file path to the real file inside `base` (the canonical
/// manifest folder). A manifest may come from anyone, and whatever it names is
/// stored and served to borrowers: so `..`, absolute paths and symlinks that lead out
/// of the folder are refused; a symlink that stays inside is followed.
fn resolve_file(base: &Path, relative: &str) -> Result<PathBuf, CatalogError> {
    let path = Path::new(relative);
    if relative.trim().is_empty()
        || !path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(CatalogError::invalid(
            "files",
            format!(
                "文件路径“{relative}”必须是清单所在文件夹之内的相对路径（不能以“/”开头，也不能含“..”）"
            ),
        ));
    }
    let not_found = || CatalogError::invalid("files", format!("找不到文件“{relative}”"));
    let real = base.join(path).canonicalize().map_err(|_| not_found())?;
    if !real.starts_with(base) {
        return Err(CatalogError::invalid(
            "files",
            format!("文件“{relative}”是指向清单所在文件夹之外的链接，已拒绝"),
        ));
    }
    if !real.is_file() {
        return Err(not_found());
    }
    Ok(real)
}

/// Stores and extracts one file; returns the blob and its extraction.
pub fn store_and_extract(
    store: &FileStore,
    path: &Path,
    claimed_name: &str,
) -> Result<(StoredBlob, content::Extraction), CatalogError> {
    let blob = store.put_path(path, claimed_name)?;
    let stored_at = store.path_of(&blob.sha256)?;
    let extraction = content::extract(&stored_at, blob.kind);
    Ok((blob, extraction))
}

/// A row whose input is valid and whose files are stored and extracted.
struct PreparedRow {
    id: ResourceId,
    fields: ResourceFields,
    copies: Option<Vec<CopyInput>>,
    /// Each file's name, bytes, extraction and (a video's) length.
    stored: Vec<(String, StoredBlob, content::Extraction, Option<Duration>)>,
}

/// Validates a row and stores its files. On failure, the blobs it wrote are handed
/// back so the caller can discard them once nothing references them.
fn prepare_row(
    store: &FileStore,
    base: &Path,
    input: &ResourceInput,
) -> Result<PreparedRow, (CatalogError, Vec<StoredBlob>)> {
    let checked = (|| {
        let (fields, id, copies) = input.checked()?;
        let paths = input
            .files
            .iter()
            .map(|relative| resolve_file(base, relative).map(|path| (relative.clone(), path)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok::<_, CatalogError>((fields, id, copies, paths))
    })();
    let (fields, id, copies, paths) = checked.map_err(|err| (err, Vec::new()))?;
    let mut stored = Vec::with_capacity(paths.len());
    for (relative, path) in &paths {
        let name = Path::new(relative.as_str())
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(relative.as_str())
            .to_owned();
        match store_and_extract(store, path, &name) {
            Ok((blob, extraction)) => {
                let duration = store
                    .path_of(&blob.sha256)
                    .ok()
                    .and_then(|path| content::video_duration(&path, blob.kind));
                stored.push((name, blob, extraction, duration));
            }
            Err(err) => {
                let err = match err {
                    CatalogError::File(err) => {
                        CatalogError::invalid("files", format!("{relative}: {err}"))
                    }
                    other => other,
                };
                return Err((err, stored.into_iter().map(|(_, blob, ..)| blob).collect()));
            }
        }
    }
    Ok(PreparedRow {
        id,
        fields,
        copies,
        stored,
    })
}

/// Writes a prepared row in one transaction.
/// Writes a prepared row, with its audit row, in one transaction.
fn write_row(
    db: &Database,
    row: &PreparedRow,
    actor: &Actor,
    at: Moment,
) -> Result<RowOutcome, CatalogError> {
    let mut conn = db.get()?;
    let tx = crate::db::begin_write(&mut conn)?;
    let edit = Edit {
        by: &actor.username,
        at,
    };
    let upserted = upsert_resource(&tx, &row.id, &row.fields, row.copies.as_deref(), &edit)?;
    let count_files = |tx: &rusqlite::Transaction<'_>| -> Result<i64, CatalogError> {
        Ok(tx.query_row(
            "SELECT count(*) FROM files WHERE resource_id = ?1",
            [row.id.as_str()],
            |r| r.get(0),
        )?)
    };
    let before = count_files(&tx)?;
    for (name, blob, extraction, duration) in &row.stored {
        attach_file(
            &tx,
            &row.id,
            NewFile {
                blob,
                original_name: name,
                extraction,
                duration: *duration,
            },
            &edit,
        )?;
    }
    let after = count_files(&tx)?;
    let new_files = (after - before).max(0) as usize;
    let upserted = if upserted == Upserted::Unchanged && new_files > 0 {
        Upserted::Updated
    } else {
        upserted
    };
    let action = match upserted {
        Upserted::Created => Some(AuditAction::ResourceCreated),
        Upserted::Updated => Some(AuditAction::ResourceUpdated),
        Upserted::Unchanged => None,
    };
    if let Some(action) = action {
        AuditEvent::by(actor, action)
            .resource(row.id.as_str())
            .detail("导入")
            .record(&tx, at)?;
    }
    tx.commit()?;
    Ok(RowOutcome {
        upserted,
        new_files,
    })
}

/// Removes newly written blobs that no file row references (after a failed row).
pub fn discard_unreferenced<'a>(
    db: &Database,
    store: &FileStore,
    blobs: impl Iterator<Item = &'a StoredBlob>,
) {
    if let Ok(conn) = db.get() {
        discard_unreferenced_conn(&conn, store, blobs);
    }
}

/// [`discard_unreferenced`] on an open connection.
pub fn discard_unreferenced_conn<'a>(
    conn: &rusqlite::Connection,
    store: &FileStore,
    blobs: impl Iterator<Item = &'a StoredBlob>,
) {
    for blob in blobs.filter(|blob| blob.newly_written) {
        let referenced: Result<bool, _> = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM files WHERE sha256 = ?1)",
            [&blob.sha256],
            |row| row.get(0),
        );
        if let Ok(false) = referenced
            && let Err(err) = store.remove(&blob.sha256)
        {
            tracing::warn!(sha256 = %blob.sha256, %err, "could not remove an unreferenced file");
        }
    }
}
