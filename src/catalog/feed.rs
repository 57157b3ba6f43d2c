//! What the search index reads from the catalogue: the change log and one search
//! document per resource. The loans figures of a document are not the catalogue's: the
//! indexer adds them.

use rusqlite::{Connection, params};

use super::CatalogError;
use super::model::{PartialDate, ResourceId};
use crate::search::{CueDoc, SearchDoc};

/// Changes after `after_seq`, oldest first: (sequence number, resource id).
pub fn changes_since(
    conn: &Connection,
    after_seq: i64,
    limit: usize,
) -> Result<Vec<(i64, String)>, CatalogError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, resource_id FROM catalog_changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let changes = stmt
        .query_map(params![after_seq, limit as i64], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(changes)
}

/// The resources changed after `after_seq` (what an index at that change has not
/// applied yet).
pub fn resources_changed_since(
    conn: &Connection,
    after_seq: i64,
) -> Result<std::collections::BTreeSet<String>, CatalogError> {
    let mut stmt =
        conn.prepare_cached("SELECT DISTINCT resource_id FROM catalog_changes WHERE seq > ?1")?;
    let ids = stmt
        .query_map([after_seq], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// The newest change's sequence number (0 when there is none).
pub fn max_change_seq(conn: &Connection) -> Result<i64, CatalogError> {
    Ok(conn.query_row(
        "SELECT coalesce(max(seq), 0) FROM catalog_changes",
        [],
        |row| row.get(0),
    )?)
}

/// The search document of a resource as the catalogue knows it (no loans figures), or
/// `None` when it no longer exists. A redacted copy stands in for its original: the
/// index, shared by everyone, never holds what redaction masked.
pub fn search_doc(conn: &Connection, id: &str) -> Result<Option<SearchDoc>, CatalogError> {
    let Ok(resource_id) = ResourceId::parse(id) else {
        return Ok(None);
    };
    let Some(fields) = super::read::load_fields(conn, &resource_id)? else {
        return Ok(None);
    };
    let mut texts = conn.prepare_cached(
        "SELECT f.text FROM files f WHERE f.resource_id = ?1 AND f.role IN ('document', 'image') AND f.text != ''
           AND NOT EXISTS (SELECT 1 FROM files c WHERE c.redacted_of = f.id)
         ORDER BY f.created_at, f.rowid",
    )?;
    let mut parts = texts
        .query_map([id], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    // A base is found by where it is and what a visit asks of the group.
    if let Some(base) = &fields.base {
        let about = [&base.address, &base.directions, &base.requirements];
        parts.splice(0..0, about.into_iter().filter(|t| !t.is_empty()).cloned());
    }
    let body = parts.join("\n\n");
    let mut cue_rows = conn.prepare_cached(
        "SELECT c.file_id, c.start_ms, c.text FROM cues c JOIN files f ON f.id = c.file_id
         WHERE f.resource_id = ?1
           AND NOT EXISTS (SELECT 1 FROM files r WHERE r.redacted_of = f.id)
         ORDER BY f.created_at, f.rowid, c.seq",
    )?;
    let cues = cue_rows
        .query_map([id], |row| {
            Ok(CueDoc {
                file_id: row.get(0)?,
                start_ms: row.get::<_, i64>(1)?.max(0) as u64,
                text: row.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let scope = super::read::visibility(conn, id)?.scope_terms();
    // Uncorrected machine reading in what is indexed (a redacted copy's text is not).
    let machine_read: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM files f WHERE f.resource_id = ?1 AND f.machine_read = 'ocr'
           AND (f.text != '' OR EXISTS (SELECT 1 FROM cues c WHERE c.file_id = f.id))
           AND NOT EXISTS (SELECT 1 FROM files r WHERE r.redacted_of = f.id))",
        [id],
        |row| row.get(0),
    )?;
    Ok(Some(SearchDoc {
        id: id.to_owned(),
        scope,
        kind: fields.kind.as_str().to_owned(),
        title: fields.title,
        summary: fields.summary,
        tags: fields.tags,
        sectors: fields.sectors,
        violations: fields.violations,
        region: fields.region,
        year: fields.date.as_ref().map(|d| d.year),
        date_key: fields.date.as_ref().map_or(0, PartialDate::sort_key),
        access: fields.access.as_str().to_owned(),
        status: fields.status.as_str().to_owned(),
        body,
        cues,
        borrow_count: 0,
        duration: fields.duration_seconds,
        machine_read,
    }))
}

/// Every resource id, for a full rebuild.
pub fn all_resource_ids(conn: &Connection) -> Result<Vec<String>, CatalogError> {
    let mut stmt = conn.prepare("SELECT id FROM resources ORDER BY id")?;
    let ids = stmt
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}
