//! Dropping stored bytes nothing refers to: at start-up, blobs no file row references
//! (left by a crash between storing a file and committing its row, or by a removed
//! file whose bytes were still fresh) and stale temporary files; and right after a
//! file is removed or replaced, its bytes when nothing else refers to them.
//!
//! What may refer to a blob: file rows of any resource (the same bytes attached to
//! several resources are stored once), and an upload or import in progress that found
//! the bytes already stored and has not committed its row yet (the store touches the
//! blob then, so a blob modified within [`ORPHAN_GRACE`] is kept). A file's extracted
//! text and cues live in its row and go with it. Backups hold their own copies (hard
//! links or copies in the backup's store), so dropping a blob here never touches one;
//! a backup running at that very moment, whose snapshot still names the file, stops
//! with an error before writing its `backup.json` (so it is never taken for whole).

use std::time::{Duration, SystemTime};

use rusqlite::Connection;

use super::CatalogError;
use crate::content::FileStore;

/// Blobs younger than this are left alone: another process (`jingshi import`) may
/// have stored them and not yet committed their rows.
pub const ORPHAN_GRACE: Duration = Duration::from_secs(10 * 60);

/// Removes unreferenced blobs older than `grace` and temporary files; returns how
/// many blobs were removed.
pub fn remove_orphans(
    conn: &Connection,
    store: &FileStore,
    grace: Duration,
) -> Result<usize, CatalogError> {
    store.clean_temp()?;
    let mut removed = 0;
    for sha256 in store.all_hashes()? {
        if drop_if_unreferenced(conn, store, &sha256, grace)? {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Whether a file row of any resource refers to the bytes `sha256`.
pub fn is_referenced(conn: &Connection, sha256: &str) -> Result<bool, CatalogError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM files WHERE sha256 = ?1 LIMIT 1")?
        .exists([sha256])?)
}

/// Deletes the blob `sha256` (bytes and `blobs` row) when no file row refers to it
/// and it was not modified within `grace`; answers whether the bytes were deleted.
/// Call it after the transaction that let go of the blob has committed.
pub fn drop_if_unreferenced(
    conn: &Connection,
    store: &FileStore,
    sha256: &str,
    grace: Duration,
) -> Result<bool, CatalogError> {
    if is_referenced(conn, sha256)? {
        return Ok(false);
    }
    // File ages come from the file system's clock, so the grace period is measured
    // against it, not against the library's calendar.
    let age = std::fs::metadata(store.path_of(sha256)?)
        .and_then(|meta| meta.modified())
        .ok()
        .and_then(|modified| SystemTime::now().duration_since(modified).ok())
        .unwrap_or_default();
    if age < grace {
        return Ok(false);
    }
    let removed = store.remove(sha256)?;
    // Its blob row, if any, goes too: nothing references it.
    conn.execute(
        "DELETE FROM blobs WHERE sha256 = ?1 AND NOT EXISTS (SELECT 1 FROM files WHERE sha256 = ?1)",
        [sha256],
    )?;
    Ok(removed)
}
