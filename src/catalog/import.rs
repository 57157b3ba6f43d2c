//! Bulk import of a manifest and its files: each row is stored and written in its own
//! transaction, so a bad row leaves nothing behind and the good rows still land.

use std::path::{Component, Path, PathBuf};

use rusqlite::TransactionBehavior;
use serde::Serialize;

use super::CatalogError;
use super::manifest::{ManifestRow, read_manifest};
use super::model::{ResourceId, ResourceInput};
use super::write::{NewFile, Upserted, attach_file, upsert_resource};
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

/// Imports every row of the manifest at `manifest_path`. `on_row` is called after each
/// row with (rows done, rows total). Fails as a whole only when the manifest itself
/// cannot be read.
pub fn import_manifest(
    db: &Database,
    store: &FileStore,
    manifest_path: &Path,
    actor: &str,
    on_row: &mut dyn FnMut(usize, usize),
) -> Result<ImportSummary, CatalogError> {
    let rows = read_manifest(manifest_path)?;
    let base = manifest_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut summary = ImportSummary {
        rows: rows.len(),
        ..Default::default()
    };
    let total = rows.len();
    let mut seen_ids = std::collections::HashSet::new();
    for (done, ManifestRow { position, input }) in rows.into_iter().enumerate() {
        let id_hint = input.as_ref().ok().and_then(|i| i.id.clone());
        let outcome = match input {
            Err(reason) => Err(CatalogError::invalid("manifest", reason)),
            Ok(input) => match &input.id {
                Some(id) if !seen_ids.insert(id.clone()) => Err(CatalogError::invalid(
                    "id",
                    format!("编号“{id}”在清单中重复出现"),
                )),
                _ => import_row(db, store, &base, &input, actor),
            },
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
                position,
                id: id_hint,
                reason: err.to_string(),
            }),
        }
        on_row(done + 1, total);
    }
    Ok(summary)
}

struct RowOutcome {
    upserted: Upserted,
    new_files: usize,
}

/// Resolves a manifest file path; it must be relative to the manifest's folder.
fn resolve_file(base: &Path, relative: &str) -> Result<PathBuf, CatalogError> {
    let path = Path::new(relative);
    if relative.trim().is_empty()
        || path.is_absolute()
        || path
            .components()
            .any(|c| matches!(c, Component::Prefix(_) | Component::RootDir))
    {
        return Err(CatalogError::invalid(
            "files",
            format!("文件路径“{relative}”必须是相对于清单所在文件夹的路径"),
        ));
    }
    let full = base.join(path);
    if !full.is_file() {
        return Err(CatalogError::invalid(
            "files",
            format!("找不到文件“{relative}”"),
        ));
    }
    Ok(full)
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

fn import_row(
    db: &Database,
    store: &FileStore,
    base: &Path,
    input: &ResourceInput,
    actor: &str,
) -> Result<RowOutcome, CatalogError> {
    let fields = input.validate()?;
    let id = match &input.id {
        Some(id) => ResourceId::parse(id.trim())?,
        None => ResourceId::generate(fields.kind),
    };
    let copies = input
        .copies
        .as_ref()
        .map(|_| input.copy_list(&id))
        .transpose()?;
    let paths = input
        .files
        .iter()
        .map(|relative| resolve_file(base, relative).map(|path| (relative, path)))
        .collect::<Result<Vec<_>, _>>()?;

    // Files go to the store before the transaction; blobs written for this row are
    // removed again if the row fails, unless another row already references them.
    let mut stored = Vec::with_capacity(paths.len());
    let result = (|| {
        for (relative, path) in &paths {
            let name = Path::new(relative.as_str())
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or(relative.as_str())
                .to_owned();
            let (blob, extraction) =
                store_and_extract(store, path, &name).map_err(|err| match err {
                    CatalogError::File(err) => {
                        CatalogError::invalid("files", format!("{relative}: {err}"))
                    }
                    other => other,
                })?;
            stored.push((name, blob, extraction));
        }
        let mut conn = db.get()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let upserted = upsert_resource(&tx, &id, &fields, copies.as_deref(), actor)?;
        let before: i64 = tx.query_row(
            "SELECT count(*) FROM files WHERE resource_id = ?1",
            [id.as_str()],
            |r| r.get(0),
        )?;
        for (name, blob, extraction) in &stored {
            attach_file(
                &tx,
                &id,
                NewFile {
                    blob,
                    original_name: name,
                    extraction,
                },
                actor,
            )?;
        }
        let after: i64 = tx.query_row(
            "SELECT count(*) FROM files WHERE resource_id = ?1",
            [id.as_str()],
            |r| r.get(0),
        )?;
        tx.commit()?;
        let new_files = (after - before).max(0) as usize;
        let upserted = if upserted == Upserted::Unchanged && new_files > 0 {
            Upserted::Updated
        } else {
            upserted
        };
        Ok(RowOutcome {
            upserted,
            new_files,
        })
    })();
    if result.is_err() {
        discard_unreferenced(db, store, stored.iter().map(|(_, blob, _)| blob));
    }
    result
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
