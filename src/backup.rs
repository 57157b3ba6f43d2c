//! `jingshi backup DIR` and `jingshi restore DIR`: a consistent copy of the database
//! (SQLite online backup, safe while the server runs), the files it references, and an
//! empty index folder, which makes the next start rebuild the index from the copy.

use crate::clock::Moment;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use rusqlite::Connection;
use rusqlite::backup::Backup;
use serde::{Deserialize, Serialize};

use crate::config::DataDir;
use crate::content::FileStore;

/// What a backup folder says about itself (`backup.json`).
#[derive(Debug, Serialize, Deserialize)]
pub struct BackupInfo {
    pub created_at: String,
    pub schema_version: i64,
    pub resources: i64,
    pub files: usize,
}

const INFO_FILE: &str = "backup.json";

/// Copies the whole database of `from` into the database file `to` in one step, so the
/// copy is a single consistent snapshot even while others write.
fn copy_database(from: &Connection, to: &Path) -> anyhow::Result<()> {
    let mut target =
        Connection::open(to).with_context(|| format!("cannot create {}", to.display()))?;
    let backup = Backup::new(from, &mut target)?;
    backup.step(-1)?;
    drop(backup);
    target.pragma_update(None, "journal_mode", "DELETE")?;
    Ok(())
}

fn referenced_blobs(conn: &Connection) -> anyhow::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT DISTINCT sha256 FROM files ORDER BY sha256")?;
    let hashes = stmt
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(hashes)
}

/// Copies a blob, hard-linking when both stores share a file system (blobs never change).
fn copy_blob(from: &FileStore, to: &FileStore, sha256: &str) -> anyhow::Result<()> {
    let source = from.path_of(sha256)?;
    let target = to.path_of(sha256)?;
    if target.exists() {
        return Ok(());
    }
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    if std::fs::hard_link(&source, &target).is_err() {
        let temp = target.with_extension("part");
        std::fs::copy(&source, &temp)
            .with_context(|| format!("cannot copy {}", source.display()))?;
        std::fs::File::open(&temp)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("cannot sync {}", temp.display()))?;
        std::fs::rename(&temp, &target)
            .with_context(|| format!("cannot rename {} into place", temp.display()))?;
    }
    Ok(())
}

/// Writes a consistent copy of the data folder into `dest` (which must be new or empty).
pub fn backup(data: &DataDir, dest: &Path, at: Moment) -> anyhow::Result<BackupInfo> {
    if dest.exists() && std::fs::read_dir(dest)?.next().is_some() {
        bail!("备份目录 {} 不是空的；请指定一个新目录", dest.display());
    }
    let source_db = data.database();
    if !source_db.is_file() {
        bail!("数据目录 {} 中没有数据库", data.root().display());
    }
    let copy = DataDir::new(dest);
    std::fs::create_dir_all(copy.database().parent().unwrap_or(dest))?;
    std::fs::create_dir_all(copy.index())?;
    let source = Connection::open(&source_db)
        .with_context(|| format!("cannot open {}", source_db.display()))?;
    source.busy_timeout(std::time::Duration::from_secs(30))?;
    copy_database(&source, &copy.database()).with_context(|| {
        format!(
            "cannot copy the database into {}",
            copy.database().display()
        )
    })?;

    // The copy decides which files belong to the backup; blobs are immutable, so any
    // file it references is complete in the store.
    let snapshot = Connection::open(copy.database())?;
    let hashes = referenced_blobs(&snapshot)?;
    let from = FileStore::open(data.store())
        .with_context(|| format!("cannot open the file store {}", data.store().display()))?;
    let to = FileStore::open(copy.store())
        .with_context(|| format!("cannot create the file store {}", copy.store().display()))?;
    for sha256 in &hashes {
        copy_blob(&from, &to, sha256)?;
    }
    let info = BackupInfo {
        created_at: at.stamp(),
        schema_version: snapshot.pragma_query_value(None, "user_version", |r| r.get(0))?,
        resources: snapshot.query_row("SELECT count(*) FROM resources", [], |r| r.get(0))?,
        files: hashes.len(),
    };
    std::fs::write(dest.join(INFO_FILE), serde_json::to_vec_pretty(&info)?)
        .with_context(|| format!("cannot write {}", dest.join(INFO_FILE).display()))?;
    Ok(info)
}

/// Makes the data folder a copy of the backup in `src`. Stop the server first.
pub fn restore(data: &DataDir, src: &Path) -> anyhow::Result<BackupInfo> {
    let info: BackupInfo =
        serde_json::from_slice(&std::fs::read(src.join(INFO_FILE)).with_context(|| {
            format!(
                "{} 不是 jingshi 备份目录（缺少 {INFO_FILE}）",
                src.display()
            )
        })?)?;
    let backup = DataDir::new(src);
    let backup_db = Connection::open(backup.database())
        .with_context(|| format!("cannot open {}", backup.database().display()))?;
    let folder = data
        .database()
        .parent()
        .unwrap_or(data.root())
        .to_path_buf();
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;

    // Write the database beside the live one, then swap it in.
    let staged: PathBuf = data.database().with_extension("db.restore");
    remove_if_present(&staged)?;
    copy_database(&backup_db, &staged)
        .with_context(|| format!("cannot copy the database into {}", staged.display()))?;
    for suffix in ["-wal", "-shm"] {
        // SQLite removes these itself when the last connection closes, which a server
        // that has just stopped may still be doing: gone is as good as removed.
        remove_if_present(&PathBuf::from(format!(
            "{}{suffix}",
            data.database().display()
        )))?;
    }
    std::fs::rename(&staged, data.database())
        .with_context(|| format!("cannot move {} into place", staged.display()))?;

    let from = FileStore::open(backup.store())
        .with_context(|| format!("cannot open the file store {}", backup.store().display()))?;
    let to = FileStore::open(data.store())
        .with_context(|| format!("cannot open the file store {}", data.store().display()))?;
    let wanted = referenced_blobs(&backup_db)?;
    for sha256 in &wanted {
        copy_blob(&from, &to, sha256)?;
    }
    for sha256 in to.all_hashes()? {
        if wanted.binary_search(&sha256).is_err() {
            to.remove(&sha256)
                .with_context(|| format!("cannot remove the file {sha256} not in the backup"))?;
        }
    }
    clear_index(&data.index())
        .with_context(|| format!("cannot empty the index folder {}", data.index().display()))?;
    Ok(info)
}

/// Removes a file; one that is already gone is fine.
fn remove_if_present(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err).with_context(|| format!("cannot remove {}", path.display())),
    }
}

/// Empties the index folder (keeping dot-files such as a tracked `.gitkeep`), so the
/// next start rebuilds it.
fn clear_index(dir: &Path) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        // A server that has just stopped may still be merging (tantivy removes its
        // own old files), so a file gone by now is as good as removed.
        let path = entry.path();
        if path.is_dir() {
            match std::fs::remove_dir_all(&path) {
                Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                    return Err(err).with_context(|| format!("cannot remove {}", path.display()));
                }
                _ => {}
            }
        } else {
            remove_if_present(&path)?;
        }
    }
    Ok(())
}
