//! Catalogue writes: create, update, attach files, publish and withdraw. Every write
//! records its edit history and appends to `catalog_changes` in the caller's
//! transaction, so the search index can follow.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde_json::{Map, Value, json};

use super::CatalogError;
use super::curation::Curated;
use super::model::{CopyInput, ResourceFields, ResourceId, Status, random_token};
use crate::clock::Moment;
use crate::content::{Extraction, ExtractionState, FileRole, StoredBlob};

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
    Unchanged,
}

/// Who makes a catalogue write and when: the history's author and every timestamp.
pub struct Edit<'a> {
    pub by: &'a str,
    pub at: Moment,
}

/// Appends to the change log the search index follows.
pub(crate) fn log_change(tx: &Connection, id: &ResourceId, at: Moment) -> Result<(), CatalogError> {
    tx.execute(
        "INSERT INTO catalog_changes (resource_id, changed_at) VALUES (?1, ?2)",
        params![id.as_str(), at.stamp()],
    )?;
    Ok(())
}

/// Appends a change-log row for every contribution of `unit`, in the caller's
/// transaction: who may find a `sector`-scoped contribution depends on its unit's
/// sector (`Visibility::scope_terms`), so the index follows a change of it. Answers
/// how many rows were appended.
pub fn log_unit_contributions(tx: &Connection, unit: &str, at: Moment) -> rusqlite::Result<usize> {
    tx.execute(
        "INSERT INTO catalog_changes (resource_id, changed_at)
         SELECT id, ?2 FROM resources WHERE contributed_by = ?1 ORDER BY id",
        params![unit, at.stamp()],
    )
}

pub(crate) fn record_history(
    tx: &Connection,
    id: &ResourceId,
    edit: &Edit<'_>,
    action: &str,
    changes: &Value,
) -> Result<(), CatalogError> {
    tx.execute(
        "INSERT INTO resource_history (resource_id, at, actor, action, changes) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id.as_str(), edit.at.stamp(), edit.by, action, changes.to_string()],
    )?;
    Ok(())
}

/// The editable fields as JSON, for history diffs.
fn snapshot(fields: &ResourceFields) -> Map<String, Value> {
    match serde_json::to_value(fields) {
        Ok(Value::Object(mut map)) => {
            // Only the date's text is meaningful to a reader of the history.
            let date = fields.date.as_ref().map(|d| d.text.clone());
            map.insert("date".into(), json!(date));
            map
        }
        _ => Map::new(),
    }
}

fn diff(before: &Map<String, Value>, after: &Map<String, Value>) -> Map<String, Value> {
    after
        .iter()
        .filter(|(key, value)| before.get(*key) != Some(*value))
        .map(|(key, value)| {
            let old = before.get(key).cloned().unwrap_or(Value::Null);
            (key.clone(), json!([old, value]))
        })
        .collect()
}

/// Runs the INSERT or UPDATE of a resource row: both number the columns the same
/// way, ?1 the id to ?13 the licences, and ?14 the time of the change.
fn write_row(
    tx: &Transaction<'_>,
    sql: &str,
    id: &ResourceId,
    fields: &ResourceFields,
    at: Moment,
) -> rusqlite::Result<usize> {
    tx.execute(
        sql,
        params![
            id.as_str(),
            fields.kind.as_str(),
            fields.title,
            fields.summary,
            fields.region,
            fields.date.as_ref().map(|d| d.text.as_str()),
            fields.date.as_ref().map(|d| d.year),
            fields.source,
            fields.duration_seconds,
            fields.pages,
            fields.access.as_str(),
            fields.status.as_str(),
            fields.licences,
            at.stamp(),
        ],
    )
}

/// Creates the resource, or updates it when the id exists, with history.
pub fn upsert_resource(
    tx: &Transaction<'_>,
    id: &ResourceId,
    fields: &ResourceFields,
    copies: Option<&[CopyInput]>,
    edit: &Edit<'_>,
) -> Result<Upserted, CatalogError> {
    let existing = super::read::load_fields(tx, id)?;
    let after = snapshot(fields);
    let outcome = match existing {
        None => {
            write_row(
                tx,
                "INSERT INTO resources (id, kind, title, summary, region, date, year, source,
                    duration_seconds, pages, access, status, licences, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
                id,
                fields,
                edit.at,
            )?;
            write_labels(tx, id, fields)?;
            super::base::store(tx, id, fields.base.as_ref())?;
            record_history(tx, id, edit, "create", &Value::Object(after))?;
            Upserted::Created
        }
        Some(before_fields) => {
            let changes = diff(&snapshot(&before_fields), &after);
            if changes.is_empty() {
                Upserted::Unchanged
            } else {
                write_row(
                    tx,
                    "UPDATE resources SET kind = ?2, title = ?3, summary = ?4, region = ?5, date = ?6,
                        year = ?7, source = ?8, duration_seconds = ?9, pages = ?10, access = ?11,
                        status = ?12, licences = ?13, updated_at = ?14
                     WHERE id = ?1",
                    id,
                    fields,
                    edit.at,
                )?;
                tx.execute(
                    "DELETE FROM resource_labels WHERE resource_id = ?1",
                    [id.as_str()],
                )?;
                write_labels(tx, id, fields)?;
                super::base::store(tx, id, fields.base.as_ref())?;
                record_history(tx, id, edit, "update", &Value::Object(changes))?;
                Upserted::Updated
            }
        }
    };
    let copies_changed = match copies {
        Some(copies) => sync_copies(tx, id, copies, edit)?,
        None => false,
    };
    log_change(tx, id, edit.at)?;
    Ok(match (outcome, copies_changed) {
        (Upserted::Unchanged, true) => Upserted::Updated,
        (outcome, _) => outcome,
    })
}

fn write_labels(
    tx: &Connection,
    id: &ResourceId,
    fields: &ResourceFields,
) -> Result<(), CatalogError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO resource_labels (resource_id, facet, position, value) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (facet, values) in [
        ("tag", &fields.tags),
        ("sector", &fields.sectors),
        ("violation", &fields.violations),
    ] {
        for (position, value) in values.iter().enumerate() {
            insert.execute(params![id.as_str(), facet, position as i64, value])?;
        }
    }
    Ok(())
}

/// Makes the resource's copies match the list: adds new barcodes, updates location
/// and condition, and takes copies no longer listed out of circulation (their loan
/// history stays). Returns whether anything changed.
fn sync_copies(
    tx: &Connection,
    id: &ResourceId,
    copies: &[CopyInput],
    edit: &Edit<'_>,
) -> Result<bool, CatalogError> {
    let mut changed = Vec::new();
    for copy in copies {
        let owner: Option<(String, String, String, bool)> = tx
            .query_row(
                "SELECT resource_id, location, condition, in_circulation FROM copies WHERE barcode = ?1",
                [&copy.barcode],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()?;
        let condition = copy.condition.clone().unwrap_or_else(|| "good".to_owned());
        match owner {
            Some((owner, ..)) if owner != id.as_str() => {
                return Err(CatalogError::DuplicateBarcode(copy.barcode.clone()));
            }
            Some((_, location, old_condition, in_circulation)) => {
                if location != copy.location || old_condition != condition || !in_circulation {
                    tx.execute(
                        "UPDATE copies SET location = ?2, condition = ?3, in_circulation = 1 WHERE barcode = ?1",
                        params![copy.barcode, copy.location, condition],
                    )?;
                    changed.push(json!({"barcode": copy.barcode, "location": copy.location, "condition": condition}));
                }
            }
            None => {
                tx.execute(
                    "INSERT INTO copies (resource_id, barcode, location, condition) VALUES (?1, ?2, ?3, ?4)",
                    params![id.as_str(), copy.barcode, copy.location, condition],
                )?;
                changed.push(json!({"barcode": copy.barcode, "added": true}));
            }
        }
    }
    let listed: Vec<&str> = copies.iter().map(|c| c.barcode.as_str()).collect();
    let mut stmt =
        tx.prepare("SELECT barcode FROM copies WHERE resource_id = ?1 AND in_circulation = 1")?;
    let current: Vec<String> = stmt
        .query_map([id.as_str()], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    for barcode in current.iter().filter(|b| !listed.contains(&b.as_str())) {
        tx.execute(
            "UPDATE copies SET in_circulation = 0 WHERE barcode = ?1",
            [barcode],
        )?;
        changed.push(json!({"barcode": barcode, "withdrawn": true}));
    }
    if changed.is_empty() {
        return Ok(false);
    }
    record_history(tx, id, edit, "copies", &json!({ "copies": changed }))?;
    Ok(true)
}

/// A stored file to attach to a resource.
pub struct NewFile<'a> {
    pub blob: &'a StoredBlob,
    pub original_name: &'a str,
    pub extraction: &'a Extraction,
    /// A video's length as read from its header (`content::video_duration`).
    pub duration: Option<std::time::Duration>,
}

impl NewFile<'_> {
    /// What the history says of the file.
    pub(crate) fn summary(&self, file_id: &str) -> Value {
        json!({"id": file_id, "name": self.original_name, "mime": self.blob.kind.mime(),
            "size": self.blob.size, "extraction": extraction_state(self.extraction)})
    }
}

fn extraction_state(extraction: &Extraction) -> ExtractionState {
    match extraction {
        Extraction::Text(_) | Extraction::Cues(_) => ExtractionState::Ok,
        Extraction::NoTextLayer => ExtractionState::NoTextLayer,
        Extraction::NotApplicable => ExtractionState::NotApplicable,
        Extraction::Failed(_) => ExtractionState::Failed,
    }
}

/// Attaches a stored file; attaching the same bytes twice to one resource returns the
/// existing file's id (so re-imports do not duplicate files).
pub fn attach_file(
    tx: &Transaction<'_>,
    id: &ResourceId,
    file: NewFile<'_>,
    edit: &Edit<'_>,
) -> Result<String, CatalogError> {
    if super::read::load_fields(tx, id)?.is_none() {
        return Err(CatalogError::NotFound(id.to_string()));
    }
    if let Some(existing) = file_with_bytes(tx, id, &file.blob.sha256)? {
        return Ok(existing);
    }
    let file_id = insert_file(tx, id, &file, &edit.at.stamp(), false)?;
    record_history(
        tx,
        id,
        edit,
        "attach_file",
        &json!({"file": file.summary(&file_id)}),
    )?;
    sync_duration(tx, id, &file_id, edit)?;
    log_change(tx, id, edit.at)?;
    Ok(file_id)
}

/// The resource's file holding the bytes `sha256`, if any.
pub(crate) fn file_with_bytes(
    tx: &Connection,
    id: &ResourceId,
    sha256: &str,
) -> Result<Option<String>, CatalogError> {
    Ok(tx
        .query_row(
            "SELECT id FROM files WHERE resource_id = ?1 AND sha256 = ?2",
            params![id.as_str(), sha256],
            |row| row.get::<_, String>(0),
        )
        .optional()?)
}

/// Writes a file row (with its blob row and cues) created at `created_at`; answers
/// its new id.
pub(crate) fn insert_file(
    tx: &Connection,
    id: &ResourceId,
    file: &NewFile<'_>,
    created_at: &str,
    is_default: bool,
) -> Result<String, CatalogError> {
    let blob = file.blob;
    tx.execute(
        "INSERT OR IGNORE INTO blobs (sha256, size, mime) VALUES (?1, ?2, ?3)",
        params![blob.sha256, blob.size as i64, blob.kind.mime()],
    )?;
    let file_id = format!("f{}", random_token(15));
    let (text, cues, error) = match file.extraction {
        Extraction::Text(text) => (text.as_str(), None, None),
        Extraction::Cues(cues) => ("", Some(cues), None),
        Extraction::Failed(reason) => ("", None, Some(reason.as_str())),
        Extraction::NoTextLayer | Extraction::NotApplicable => ("", None, None),
    };
    let duration_ms = file
        .duration
        .filter(|_| blob.kind.role() == FileRole::Video)
        .and_then(|d| i64::try_from(d.as_millis()).ok());
    tx.execute(
        "INSERT INTO files (id, resource_id, sha256, original_name, mime, size, role, extraction,
            extraction_error, text, created_at, duration_ms, is_default)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            file_id,
            id.as_str(),
            blob.sha256,
            file.original_name,
            blob.kind.mime(),
            blob.size as i64,
            blob.kind.role().code(),
            extraction_state(file.extraction).code(),
            error,
            text,
            created_at,
            duration_ms,
            is_default,
        ],
    )?;
    if let Some(cues) = cues {
        replace_cues(tx, &file_id, cues)?;
    }
    // A scan, a page image or a film is read by machine later (`ocr::queue`).
    crate::ocr::queue::enqueue_if_needed(tx, &file_id, blob.kind, file.extraction, created_at)?;
    Ok(file_id)
}

/// Makes `cues` the cues of file `file_id`, in order.
pub(crate) fn replace_cues(
    tx: &Connection,
    file_id: &str,
    cues: &[crate::content::Cue],
) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM cues WHERE file_id = ?1", [file_id])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO cues (file_id, seq, start_ms, end_ms, text) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (seq, cue) in cues.iter().enumerate() {
        insert.execute(params![
            file_id,
            seq as i64,
            cue.start_ms as i64,
            cue.end_ms as i64,
            cue.text
        ])?;
    }
    Ok(())
}

/// After file `file_id` was attached or put in another's place: when it is the
/// resource's first video (the one the player shows) and its length is known, the
/// resource's duration becomes that length, in whole seconds, with a history entry.
pub(crate) fn sync_duration(
    tx: &Connection,
    id: &ResourceId,
    file_id: &str,
    edit: &Edit<'_>,
) -> Result<(), CatalogError> {
    let first_video: Option<(String, Option<i64>)> = tx
        .query_row(
            "SELECT id, duration_ms FROM files WHERE resource_id = ?1 AND role = 'video'
             ORDER BY created_at, rowid LIMIT 1",
            [id.as_str()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let Some((first, Some(millis))) = first_video else {
        return Ok(());
    };
    if first != file_id {
        return Ok(());
    }
    set_duration(tx, id, whole_seconds(millis), edit)
}

/// Milliseconds as whole seconds, rounded to the nearest.
pub(crate) fn whole_seconds(millis: i64) -> i64 {
    (millis.max(0) + 500) / 1000
}

/// Sets the resource's duration to `seconds` unless it already is, with a history
/// entry and a change for the index.
pub(crate) fn set_duration(
    tx: &Connection,
    id: &ResourceId,
    seconds: i64,
    edit: &Edit<'_>,
) -> Result<(), CatalogError> {
    let before: Option<i64> = tx.query_row(
        "SELECT duration_seconds FROM resources WHERE id = ?1",
        [id.as_str()],
        |row| row.get(0),
    )?;
    if before == Some(seconds) {
        return Ok(());
    }
    tx.execute(
        "UPDATE resources SET duration_seconds = ?2, updated_at = ?3 WHERE id = ?1",
        params![id.as_str(), seconds, edit.at.stamp()],
    )?;
    record_history(
        tx,
        id,
        edit,
        "duration",
        &json!({"duration_seconds": [before, seconds]}),
    )?;
    log_change(tx, id, edit.at)
}

/// Publishes or withdraws a resource (or returns it to draft), in the caller's
/// transaction; `changed` is false when it already had that status.
pub fn set_status(
    tx: &Transaction<'_>,
    id: ResourceId,
    status: Status,
    edit: &Edit<'_>,
) -> Result<Curated, CatalogError> {
    let current: Option<String> = tx
        .query_row(
            "SELECT status FROM resources WHERE id = ?1",
            [id.as_str()],
            |row| row.get(0),
        )
        .optional()?;
    let current = current.ok_or_else(|| CatalogError::NotFound(id.to_string()))?;
    if current == status.as_str() {
        return Ok(Curated { id, changed: false });
    }
    tx.execute(
        "UPDATE resources SET status = ?2, updated_at = ?3 WHERE id = ?1",
        params![id.as_str(), status.as_str(), edit.at.stamp()],
    )?;
    record_history(
        tx,
        &id,
        edit,
        status.as_str(),
        &json!({"status": [current, status.as_str()]}),
    )?;
    log_change(tx, &id, edit.at)?;
    Ok(Curated { id, changed: true })
}
