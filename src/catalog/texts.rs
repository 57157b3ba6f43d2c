//! The text and cues stored with each file when it was attached (upload or import):
//! what the resource page shows, the subtitle track serves and the index reads. A view
//! never opens the original again, so a costly document (a DOCX bomb, a slow PDF) costs
//! its extraction once, at attach.

use rusqlite::{Connection, OptionalExtension, params};

use super::CatalogError;
use crate::content::Cue;

/// A document's stored text, cut for showing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredText {
    pub text: String,
    /// The stored text is longer than what was asked for.
    pub truncated: bool,
}

/// The first `max_chars` characters of file `file_id`'s extracted text, or `None` when
/// no text was extracted from it (no such file, a scan, a failed extraction). Only
/// what is shown is read: SQLite cuts the text by characters.
pub fn stored_text(
    conn: &Connection,
    file_id: &str,
    max_chars: usize,
) -> Result<Option<StoredText>, CatalogError> {
    let max = i64::try_from(max_chars).unwrap_or(i64::MAX);
    let found = conn
        .query_row(
            "SELECT substr(text, 1, ?2), length(text) > ?2 FROM files
             WHERE id = ?1 AND extraction = 'ok'",
            params![file_id, max],
            |row| {
                Ok(StoredText {
                    text: row.get(0)?,
                    truncated: row.get(1)?,
                })
            },
        )
        .optional()?;
    Ok(found)
}

/// The cues stored for subtitle file `file_id`, in order (none when it has none).
pub fn stored_cues(conn: &Connection, file_id: &str) -> Result<Vec<Cue>, CatalogError> {
    let mut stmt = conn.prepare_cached(
        "SELECT start_ms, end_ms, text FROM cues WHERE file_id = ?1 ORDER BY seq",
    )?;
    let cues = stmt
        .query_map([file_id], |row| {
            Ok(Cue {
                start_ms: row.get::<_, i64>(0)?.max(0) as u64,
                end_ms: row.get::<_, i64>(1)?.max(0) as u64,
                text: row.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(cues)
}
