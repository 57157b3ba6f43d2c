//! Start-up clean-up of the file store: blobs no file row references (left by a crash
//! between storing a file and committing its row) and stale temporary files.

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
    let mut referenced = conn.prepare("SELECT 1 FROM files WHERE sha256 = ?1 LIMIT 1")?;
    // File ages come from the file system's clock, so the grace period is measured
    // against it, not against the library's calendar.
    let now = SystemTime::now();
    let mut removed = 0;
    for sha256 in store.all_hashes()? {
        if referenced.exists([&sha256])? {
            continue;
        }
        let age = std::fs::metadata(store.path_of(&sha256)?)
            .and_then(|meta| meta.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .unwrap_or_default();
        if age < grace {
            continue;
        }
        if store.remove(&sha256)? {
            removed += 1;
        }
        // Its blob row, if any, goes too: nothing references it.
        conn.execute(
            "DELETE FROM blobs WHERE sha256 = ?1 AND NOT EXISTS (SELECT 1 FROM files WHERE sha256 = ?1)",
            [&sha256],
        )?;
    }
    Ok(removed)
}
