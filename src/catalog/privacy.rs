//! The privacy check's findings of a contribution (SPEC §9), as the catalogue keeps
//! them: every text a borrower would see of it — the record's fields, the extracted
//! text of its files, the cues of its subtitles — is scanned by `crate::privacy` in
//! the transaction of the change that made it, and the findings are stored with the
//! acknowledgements librarians gave (carried over to the same finding next time).

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::CatalogError;
use super::model::ResourceId;
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;
use crate::privacy::{self, Finding, FindingKind};

/// Characters of context shown on each side of a finding.
const CONTEXT_CHARS: usize = 24;
/// The longest reason a librarian may give for keeping a finding.
pub const MAX_REASON_CHARS: usize = 500;

/// A librarian's judgement that a finding may be shared as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Acknowledgement {
    pub reason: String,
    pub by: String,
    pub at: String,
}

/// One stored finding with where it is and its surroundings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredFinding {
    pub id: i64,
    /// The file it is in; `null` for a field of the record.
    pub file_id: Option<String>,
    pub file_name: Option<String>,
    /// `title`, `summary`, `tags`, `source`, `region`; `text` or `cue:N` in a file.
    pub field: String,
    pub kind: FindingKind,
    pub kind_label: &'static str,
    /// Character offsets in the field's text, end exclusive.
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// The text just before and after it.
    pub before: String,
    pub after: String,
    pub acknowledged: Option<Acknowledgement>,
}

/// The record's fields a borrower reads, with their text.
fn record_texts(conn: &Connection, id: &str) -> Result<Vec<(String, String)>, CatalogError> {
    let fields = conn
        .query_row(
            "SELECT title, summary, source, region FROM resources WHERE id = ?1",
            [id],
            |row| {
                Ok([
                    ("title".to_owned(), row.get::<_, String>(0)?),
                    ("summary".to_owned(), row.get(1)?),
                    ("source".to_owned(), row.get(2)?),
                    ("region".to_owned(), row.get(3)?),
                ])
            },
        )
        .optional()?
        .ok_or_else(|| CatalogError::NotFound(id.to_owned()))?;
    let mut stmt = conn.prepare_cached(
        "SELECT value FROM resource_labels WHERE resource_id = ?1 AND facet = 'tag'
         ORDER BY position",
    )?;
    let tags = stmt
        .query_map([id], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut texts: Vec<(String, String)> = fields.into_iter().collect();
    texts.push(("tags".to_owned(), tags.join("\n")));
    Ok(texts)
}

/// A text of a file a borrower sees: the extracted text, or one cue.
struct FileText {
    file_id: String,
    field: String,
    text: String,
}

/// The texts of the files a borrower sees (a redacted copy, not its original).
fn file_texts(conn: &Connection, id: &str) -> Result<Vec<FileText>, CatalogError> {
    let mut texts = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT f.id, f.text FROM files f WHERE f.resource_id = ?1 AND f.text != ''
           AND NOT EXISTS (SELECT 1 FROM files c WHERE c.redacted_of = f.id)
         ORDER BY f.created_at, f.rowid",
    )?;
    for row in stmt.query_map([id], |row| Ok((row.get(0)?, row.get(1)?)))? {
        let (file_id, text): (String, String) = row?;
        texts.push(FileText {
            file_id,
            field: "text".to_owned(),
            text,
        });
    }
    let mut stmt = conn.prepare_cached(
        "SELECT c.file_id, c.seq, c.text FROM cues c JOIN files f ON f.id = c.file_id
         WHERE f.resource_id = ?1
           AND NOT EXISTS (SELECT 1 FROM files r WHERE r.redacted_of = f.id)
         ORDER BY f.created_at, f.rowid, c.seq",
    )?;
    for row in stmt.query_map([id], |row| {
        Ok((row.get(0)?, row.get::<_, i64>(1)?, row.get(2)?))
    })? {
        let (file_id, seq, text): (String, i64, String) = row?;
        texts.push(FileText {
            file_id,
            field: format!("cue:{seq}"),
            text,
        });
    }
    Ok(texts)
}

type AckKey = (Option<String>, String, &'static str, String);

/// Scans everything a borrower would see of resource `id` again and stores the
/// findings, keeping the acknowledgements of findings still there; answers how many
/// are open (neither acknowledged nor gone).
pub(crate) fn rescan(tx: &Connection, id: &ResourceId) -> Result<usize, CatalogError> {
    let mut acks: HashMap<AckKey, Acknowledgement> = HashMap::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT file_id, field, kind, text, ack_reason, acked_by, acked_at
             FROM privacy_findings WHERE resource_id = ?1 AND ack_reason IS NOT NULL",
        )?;
        let rows = stmt.query_map([id.as_str()], |row| {
            Ok((
                row.get::<_, Option<String>>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                Acknowledgement {
                    reason: row.get(4)?,
                    by: row.get::<_, Option<String>>(5)?.unwrap_or_default(),
                    at: row.get(6)?,
                },
            ))
        })?;
        for row in rows {
            let (file_id, field, kind, text, ack) = row?;
            if let Some(kind) = FindingKind::parse(&kind) {
                acks.insert((file_id, field, kind.as_str(), text), ack);
            }
        }
    }
    tx.execute(
        "DELETE FROM privacy_findings WHERE resource_id = ?1",
        [id.as_str()],
    )?;
    let mut sources: Vec<(Option<String>, String, String)> = record_texts(tx, id.as_str())?
        .into_iter()
        .map(|(field, text)| (None, field, text))
        .collect();
    sources.extend(
        file_texts(tx, id.as_str())?
            .into_iter()
            .map(|t| (Some(t.file_id), t.field, t.text)),
    );
    let mut insert = tx.prepare_cached(
        "INSERT INTO privacy_findings (resource_id, file_id, field, kind, start_char, end_char,
             text, ack_reason, acked_by, acked_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut open = 0;
    for (file_id, field, text) in sources {
        for Finding {
            kind,
            start,
            end,
            text,
        } in privacy::scan(&text)
        {
            let key = (file_id.clone(), field.clone(), kind.as_str(), text.clone());
            let ack = acks.get(&key);
            open += usize::from(ack.is_none());
            insert.execute(params![
                id.as_str(),
                file_id,
                field,
                kind.as_str(),
                start as i64,
                end as i64,
                text,
                ack.map(|a| &a.reason),
                ack.map(|a| &a.by),
                ack.map(|a| &a.at),
            ])?;
        }
    }
    Ok(open)
}

/// How many findings of resource `id` are open.
pub fn open_count(conn: &Connection, id: &str) -> Result<usize, CatalogError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM privacy_findings WHERE resource_id = ?1 AND ack_reason IS NULL",
        [id],
        |row| row.get::<_, i64>(0),
    )? as usize)
}

/// The text a finding was found in, now.
fn source_text(
    conn: &Connection,
    id: &str,
    file_id: Option<&str>,
    field: &str,
) -> Result<String, CatalogError> {
    Ok(match (file_id, field.strip_prefix("cue:")) {
        (None, _) => record_texts(conn, id)?
            .into_iter()
            .find(|(name, _)| name == field)
            .map(|(_, text)| text)
            .unwrap_or_default(),
        (Some(file), Some(seq)) => conn
            .query_row(
                "SELECT text FROM cues WHERE file_id = ?1 AND seq = ?2",
                params![file, seq.parse::<i64>().unwrap_or(-1)],
                |row| row.get(0),
            )
            .optional()?
            .unwrap_or_default(),
        (Some(file), None) => conn
            .query_row("SELECT text FROM files WHERE id = ?1", [file], |row| {
                row.get(0)
            })
            .optional()?
            .unwrap_or_default(),
    })
}

/// The findings of resource `id`, each with its context, in the order of the record's
/// fields and then of the files.
pub fn findings(conn: &Connection, id: &str) -> Result<Vec<StoredFinding>, CatalogError> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, p.file_id, f.original_name, p.field, p.kind, p.start_char, p.end_char,
                p.text, p.ack_reason, p.acked_by, p.acked_at
         FROM privacy_findings p LEFT JOIN files f ON f.id = p.file_id
         WHERE p.resource_id = ?1 ORDER BY p.id",
    )?;
    let rows = stmt
        .query_map([id], |row| {
            let reason: Option<String> = row.get(8)?;
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, i64>(5)?.max(0) as usize,
                row.get::<_, i64>(6)?.max(0) as usize,
                row.get::<_, String>(7)?,
                match reason {
                    Some(reason) => Some(Acknowledgement {
                        reason,
                        by: row.get::<_, Option<String>>(9)?.unwrap_or_default(),
                        at: row.get::<_, Option<String>>(10)?.unwrap_or_default(),
                    }),
                    None => None,
                },
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut texts: HashMap<(Option<String>, String), Vec<char>> = HashMap::new();
    let mut found = Vec::with_capacity(rows.len());
    for (finding_id, file_id, file_name, field, kind, start, end, text, acknowledged) in rows {
        let Some(kind) = FindingKind::parse(&kind) else {
            continue;
        };
        let key = (file_id.clone(), field.clone());
        if !texts.contains_key(&key) {
            let source = source_text(conn, id, file_id.as_deref(), &field)?;
            texts.insert(key.clone(), source.chars().collect());
        }
        let chars = &texts[&key];
        let (start_at, end_at) = (start.min(chars.len()), end.min(chars.len()));
        found.push(StoredFinding {
            id: finding_id,
            file_id,
            file_name,
            field,
            kind,
            kind_label: kind.label(),
            start,
            end,
            text,
            before: chars[start_at.saturating_sub(CONTEXT_CHARS)..start_at]
                .iter()
                .collect(),
            after: chars[end_at..(end_at + CONTEXT_CHARS).min(chars.len())]
                .iter()
                .collect(),
            acknowledged,
        });
    }
    Ok(found)
}

/// A librarian judges finding `finding_id` of resource `id` fine to share, for
/// `reason`: audited, and kept until the finding goes away.
pub fn acknowledge(
    conn: &mut Connection,
    actor: &Actor,
    id: &ResourceId,
    finding_id: i64,
    reason: &str,
    at: Moment,
) -> Result<StoredFinding, CatalogError> {
    if !actor.librarian {
        return Err(CatalogError::LibrariansOnly);
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(CatalogError::invalid(
            "reason",
            "请说明为什么这处信息可以保留（例如：已公开的判决书中的姓名）",
        ));
    }
    if reason.chars().count() > MAX_REASON_CHARS || reason.chars().any(char::is_control) {
        return Err(CatalogError::invalid(
            "reason",
            format!("理由最长 {MAX_REASON_CHARS} 个字，且不能含控制字符"),
        ));
    }
    let tx = crate::db::begin_write(conn)?;
    let kind: Option<String> = tx
        .query_row(
            "SELECT kind FROM privacy_findings WHERE id = ?1 AND resource_id = ?2",
            params![finding_id, id.as_str()],
            |row| row.get(0),
        )
        .optional()?;
    let Some(kind) = kind else {
        return Err(CatalogError::invalid(
            "finding",
            "没有这条脱敏检查发现（内容修改后会重新检查，请刷新页面）",
        ));
    };
    tx.execute(
        "UPDATE privacy_findings SET ack_reason = ?2, acked_by = ?3, acked_at = ?4 WHERE id = ?1",
        params![finding_id, reason, actor.username, at.stamp()],
    )?;
    let label = FindingKind::parse(&kind).map_or("", FindingKind::label);
    AuditEvent::by(actor, AuditAction::PrivacyFindingAcknowledged)
        .resource(id.as_str())
        .detail(format!("{label}：{reason}"))
        .record(&tx, at)?;
    let finding = findings(&tx, id.as_str())?
        .into_iter()
        .find(|f| f.id == finding_id)
        .ok_or(CatalogError::FileNotFound)?;
    tx.commit()?;
    Ok(finding)
}
