//! Catalogue reads: a resource with its holdings and files, its history, file lookups.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::CatalogError;
use super::base::BaseDetails;
use super::model::{
    Access, Kind, PartialDate, ResourceFields, ResourceId, Share, Status, Visibility,
};
use crate::content::{ExtractionState, FileRole};

/// A physical copy of a resource.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Copy {
    pub barcode: String,
    pub location: String,
    pub condition: String,
    pub in_circulation: bool,
}

/// A file attached to a resource.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FileInfo {
    pub id: String,
    pub name: String,
    pub mime: String,
    pub size: u64,
    pub sha256: String,
    /// `document`, `video`, `subtitle` or `image`.
    pub role: FileRole,
    /// `ok`, `no_text_layer`, `failed`, `not_applicable` or `pending`.
    pub extraction: ExtractionState,
    pub extraction_error: Option<String>,
    pub text_chars: u64,
    pub cue_count: u64,
    /// A video's length in milliseconds, read from its header (`null` when unknown).
    pub duration_ms: Option<u64>,
    /// A subtitle file: the track the player shows by default (the one the librarian
    /// chose, or else the first subtitle file). Always false for other files.
    pub default: bool,
    /// A redacted copy (SPEC §9): the id of the original it stands in for. Borrowers
    /// see the copy in place of the original; librarians see both.
    pub redacted_of: Option<String>,
    /// An original with a redacted copy: only librarians see it.
    pub has_redacted_copy: bool,
    /// The text or cues were read by machine (OCR): `ocr`, or `corrected` by a
    /// librarian; `null` for the file's own text.
    pub machine_read: Option<super::machine_read::MachineRead>,
    /// Its machine-reading job, when it has one: queued, in progress (units done of
    /// total), done, failed or skipped.
    pub reading: Option<crate::ocr::queue::Progress>,
}

/// Digital licences and physical copies.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Holdings {
    /// `null` means unlimited.
    pub licences: Option<u32>,
    pub copies: Vec<Copy>,
}

/// A resource as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Resource {
    pub id: String,
    pub kind: Kind,
    pub kind_label: &'static str,
    pub title: String,
    pub summary: String,
    pub tags: Vec<String>,
    pub sectors: Vec<String>,
    pub violations: Vec<String>,
    pub region: String,
    pub date: Option<String>,
    pub year: Option<i32>,
    pub source: String,
    pub duration: Option<u32>,
    pub pages: Option<u32>,
    pub access: Access,
    pub status: Status,
    pub holdings: Holdings,
    pub files: Vec<FileInfo>,
    /// What a base is like for a visiting group (SPEC §8); only for kind `base`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<BaseDetails>,
    /// The unit that contributed it (SPEC §9); `null` for the committee's own material.
    pub contributed_by: Option<String>,
    /// The contributing unit's name, shown as "由 … 提供".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contributor_name: Option<String>,
    /// Who may see it once published: `all`, `sector` or `committee`.
    pub share: Share,
    /// The contributing unit's sector (what `share = sector` means).
    #[serde(skip)]
    pub contributor_sector: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Resource {
    /// What the access policy decides on.
    pub fn visibility(&self) -> Visibility {
        Visibility {
            status: self.status,
            share: self.share,
            contributed_by: self.contributed_by.clone(),
            contributor_sector: self.contributor_sector.clone(),
        }
    }

    /// The files as a borrower sees them: a redacted copy in place of its original
    /// (and the player's default track passed on to it).
    pub fn files_for_borrowers(&mut self) {
        let hidden_default = self
            .files
            .iter()
            .filter(|f| f.has_redacted_copy && f.default)
            .map(|f| f.id.clone())
            .collect::<Vec<_>>();
        self.files.retain(|f| !f.has_redacted_copy);
        for file in &mut self.files {
            if file
                .redacted_of
                .as_ref()
                .is_some_and(|of| hidden_default.contains(of))
            {
                file.default = true;
            }
        }
    }
}

/// One entry of a resource's edit history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub changes: serde_json::Value,
}

/// A file with what an access check needs to know about its resource.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FileRecord {
    pub id: String,
    pub resource_id: String,
    pub sha256: String,
    pub mime: String,
    pub name: String,
    pub size: u64,
    pub role: FileRole,
    pub access: Access,
    /// Who may see the resource the file belongs to.
    pub visibility: Visibility,
    /// An original with a redacted copy: only librarians may open it.
    pub has_redacted_copy: bool,
}

fn labels(conn: &Connection, id: &str, facet: &str) -> Result<Vec<String>, CatalogError> {
    let mut stmt = conn.prepare_cached(
        "SELECT value FROM resource_labels WHERE resource_id = ?1 AND facet = ?2 ORDER BY position",
    )?;
    let values = stmt
        .query_map(params![id, facet], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(values)
}

fn parse_stored<T>(parsed: Result<T, CatalogError>) -> Result<T, CatalogError> {
    // The CHECK constraints make stored values valid; a failure here is corruption.
    parsed.map_err(|err| CatalogError::Conflict(format!("stored value is invalid: {err}")))
}

/// The editable fields of a resource, or `None` when it does not exist.
pub fn load_fields(
    conn: &Connection,
    id: &ResourceId,
) -> Result<Option<ResourceFields>, CatalogError> {
    let row = conn
        .query_row(
            "SELECT kind, title, summary, region, date, source, access, status, licences,
                    duration_seconds, pages
             FROM resources WHERE id = ?1",
            [id.as_str()],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, String>(6)?,
                    row.get::<_, String>(7)?,
                    row.get::<_, Option<u32>>(8)?,
                    row.get::<_, Option<u32>>(9)?,
                    row.get::<_, Option<u32>>(10)?,
                ))
            },
        )
        .optional()?;
    let Some((
        kind,
        title,
        summary,
        region,
        date,
        source,
        access,
        status,
        licences,
        duration,
        pages,
    )) = row
    else {
        return Ok(None);
    };
    let kind = parse_stored(Kind::parse(&kind))?;
    let base = match kind {
        Kind::Base => super::base::load(conn, id)?,
        _ => None,
    };
    Ok(Some(ResourceFields {
        kind,
        title,
        summary,
        tags: labels(conn, id.as_str(), "tag")?,
        sectors: labels(conn, id.as_str(), "sector")?,
        violations: labels(conn, id.as_str(), "violation")?,
        region,
        date: date
            .map(|d| parse_stored(PartialDate::parse(&d)))
            .transpose()?,
        source,
        access: parse_stored(Access::parse(&access))?,
        status: parse_stored(Status::parse(&status))?,
        licences,
        duration_seconds: duration,
        pages,
        base,
    }))
}

/// A resource with holdings and files.
pub fn get_resource(conn: &Connection, id: &ResourceId) -> Result<Resource, CatalogError> {
    let fields = load_fields(conn, id)?.ok_or_else(|| CatalogError::NotFound(id.to_string()))?;
    let (created_at, updated_at): (String, String) = conn.query_row(
        "SELECT created_at, updated_at FROM resources WHERE id = ?1",
        [id.as_str()],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let contribution = contribution_of(conn, id.as_str())?;
    let mut stmt = conn.prepare_cached(
        "SELECT barcode, location, condition, in_circulation FROM copies
         WHERE resource_id = ?1 ORDER BY barcode",
    )?;
    let copies = stmt
        .query_map([id.as_str()], |row| {
            Ok(Copy {
                barcode: row.get(0)?,
                location: row.get(1)?,
                condition: row.get(2)?,
                in_circulation: row.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Resource {
        id: id.to_string(),
        kind: fields.kind,
        kind_label: fields.kind.label(),
        year: fields.date.as_ref().map(|d| d.year),
        date: fields.date.map(|d| d.text),
        title: fields.title,
        summary: fields.summary,
        tags: fields.tags,
        sectors: fields.sectors,
        violations: fields.violations,
        region: fields.region,
        source: fields.source,
        duration: fields.duration_seconds,
        pages: fields.pages,
        access: fields.access,
        status: fields.status,
        holdings: Holdings {
            licences: fields.licences,
            copies,
        },
        files: list_files(conn, id)?,
        base: fields.base,
        contributed_by: contribution.unit,
        contributor_name: contribution.unit_name,
        share: contribution.share,
        contributor_sector: contribution.sector,
        created_at,
        updated_at,
    })
}

/// Who contributed a resource and with what scope.
#[derive(Debug, Clone, Default)]
pub struct ContributionOf {
    pub unit: Option<String>,
    pub unit_name: Option<String>,
    pub sector: Option<String>,
    pub share: Share,
}

/// The contribution columns of resource `id` (defaults when it does not exist).
pub fn contribution_of(conn: &Connection, id: &str) -> Result<ContributionOf, CatalogError> {
    let row = conn
        .query_row(
            "SELECT r.contributed_by, u.name, u.sector, r.share
             FROM resources r LEFT JOIN units u ON u.code = r.contributed_by WHERE r.id = ?1",
            [id],
            |row| {
                Ok((
                    row.get::<_, Option<String>>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, String>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((unit, unit_name, sector, share)) = row else {
        return Ok(ContributionOf::default());
    };
    Ok(ContributionOf {
        unit,
        unit_name,
        sector,
        share: parse_stored(Share::parse(&share))?,
    })
}

/// A column stored as one of an enum's codes; another value is a corrupt row.
fn typed<T>(
    row: &rusqlite::Row<'_>,
    column: usize,
    parse: fn(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    let code: String = row.get(column)?;
    parse(&code).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Text,
            format!("unknown code {code:?}").into(),
        )
    })
}

/// The files of a resource, in the order they were attached.
pub fn list_files(conn: &Connection, id: &ResourceId) -> Result<Vec<FileInfo>, CatalogError> {
    let mut stmt = conn.prepare_cached(
        "SELECT f.id, f.original_name, f.mime, f.size, f.sha256, f.role, f.extraction,
                f.extraction_error, length(f.text),
                (SELECT count(*) FROM cues c WHERE c.file_id = f.id), f.duration_ms, f.is_default,
                f.redacted_of, EXISTS (SELECT 1 FROM files c WHERE c.redacted_of = f.id),
                f.machine_read
         FROM files f WHERE f.resource_id = ?1 ORDER BY f.created_at, f.rowid",
    )?;
    let mut files: Vec<FileInfo> = stmt
        .query_map([id.as_str()], |row| {
            Ok(FileInfo {
                id: row.get(0)?,
                name: row.get(1)?,
                mime: row.get(2)?,
                size: row.get(3)?,
                sha256: row.get(4)?,
                role: typed(row, 5, FileRole::parse)?,
                extraction: typed(row, 6, ExtractionState::parse)?,
                extraction_error: row.get(7)?,
                text_chars: row.get(8)?,
                cue_count: row.get(9)?,
                duration_ms: row.get(10)?,
                default: row.get(11)?,
                redacted_of: row.get(12)?,
                has_redacted_copy: row.get(13)?,
                machine_read: row
                    .get::<_, Option<String>>(14)?
                    .as_deref()
                    .and_then(super::machine_read::MachineRead::parse),
                reading: None,
            })
        })?
        .collect::<Result<_, _>>()?;
    for progress in crate::ocr::queue::progress_of_resource(conn, id.as_str())? {
        if let Some(file) = files.iter_mut().find(|f| f.id == progress.file_id) {
            file.reading = Some(progress);
        }
    }
    let chosen = files
        .iter()
        .any(|f| f.default && f.role == FileRole::Subtitle);
    for file in &mut files {
        file.default &= file.role == FileRole::Subtitle;
    }
    if !chosen && let Some(first) = files.iter_mut().find(|f| f.role == FileRole::Subtitle) {
        first.default = true;
    }
    Ok(files)
}

/// The edit history of a resource, oldest first.
pub fn history(conn: &Connection, id: &ResourceId) -> Result<Vec<HistoryEntry>, CatalogError> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, actor, action, changes FROM resource_history WHERE resource_id = ?1 ORDER BY id",
    )?;
    let entries = stmt
        .query_map([id.as_str()], |row| {
            let changes: String = row.get(3)?;
            Ok(HistoryEntry {
                at: row.get(0)?,
                actor: row.get(1)?,
                action: row.get(2)?,
                changes: serde_json::from_str(&changes).unwrap_or(serde_json::Value::Null),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(entries)
}

/// Looks up a file by its id for serving; the id is only ever used as a key.
pub fn find_file(conn: &Connection, file_id: &str) -> Result<Option<FileRecord>, CatalogError> {
    let row = conn
        .query_row(
            "SELECT f.id, f.resource_id, f.sha256, f.mime, f.original_name, f.size, f.role,
                    EXISTS (SELECT 1 FROM files c WHERE c.redacted_of = f.id), r.access
             FROM files f JOIN resources r ON r.id = f.resource_id WHERE f.id = ?1",
            [file_id],
            |row| {
                Ok((
                    FileRecord {
                        id: row.get(0)?,
                        resource_id: row.get(1)?,
                        sha256: row.get(2)?,
                        mime: row.get(3)?,
                        name: row.get(4)?,
                        size: row.get(5)?,
                        role: typed(row, 6, FileRole::parse)?,
                        access: Access::Loan,
                        visibility: Visibility::of_status(Status::Draft),
                        has_redacted_copy: row.get(7)?,
                    },
                    row.get::<_, String>(8)?,
                ))
            },
        )
        .optional()?;
    let Some((mut record, access)) = row else {
        return Ok(None);
    };
    record.access = parse_stored(Access::parse(&access))?;
    record.visibility = visibility(conn, &record.resource_id)?;
    Ok(Some(record))
}

/// Who may see resource `id` (a draft of the committee's when it does not exist).
pub fn visibility(conn: &Connection, id: &str) -> Result<Visibility, CatalogError> {
    let status = conn
        .query_row("SELECT status FROM resources WHERE id = ?1", [id], |row| {
            row.get::<_, String>(0)
        })
        .optional()?;
    let Some(status) = status else {
        return Ok(Visibility::of_status(Status::Draft));
    };
    let contribution = contribution_of(conn, id)?;
    Ok(Visibility {
        status: parse_stored(Status::parse(&status))?,
        share: contribution.share,
        contributed_by: contribution.unit,
        contributor_sector: contribution.sector,
    })
}

/// How many resources the catalogue holds.
pub fn count_resources(conn: &Connection) -> Result<u64, CatalogError> {
    Ok(conn.query_row("SELECT count(*) FROM resources", [], |row| row.get(0))?)
}

/// The titles of those of `ids` that exist, in the order given.
pub fn titles(conn: &Connection, ids: &[String]) -> Result<Vec<(String, String)>, CatalogError> {
    let mut stmt = conn.prepare_cached("SELECT title FROM resources WHERE id = ?1")?;
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(title) = stmt
            .query_row([id], |row| row.get::<_, String>(0))
            .optional()?
        {
            found.push((id.clone(), title));
        }
    }
    Ok(found)
}
