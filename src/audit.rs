//! The audit log: who touched what and when (sign-ins, file access, catalogue changes,
//! loan actions). Written in the same place as the action it records.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::accounts::SessionUser;

/// Something to record.
#[derive(Debug, Default, Clone)]
pub struct AuditEvent {
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub unit: Option<String>,
    pub action: String,
    pub resource_id: Option<String>,
    pub file_id: Option<String>,
    pub detail: String,
}

impl AuditEvent {
    /// An event done by a signed-in user.
    pub fn by(user: &SessionUser, action: &str) -> Self {
        Self {
            user_id: Some(user.user_id),
            username: Some(user.username.clone()),
            unit: user.unit.clone(),
            action: action.to_owned(),
            ..Default::default()
        }
    }

    pub fn resource(mut self, id: &str) -> Self {
        self.resource_id = Some(id.to_owned());
        self
    }

    pub fn file(mut self, id: &str) -> Self {
        self.file_id = Some(id.to_owned());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

/// Appends an event.
pub fn record(conn: &Connection, event: &AuditEvent) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO audit_log (at, user_id, username, unit_code, action, resource_id, file_id, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            jiff::Timestamp::now().to_string(),
            event.user_id,
            event.username,
            event.unit,
            event.action,
            event.resource_id,
            event.file_id,
            event.detail,
        ],
    )?;
    Ok(())
}

/// A recorded event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub username: Option<String>,
    pub unit: Option<String>,
    pub action: String,
    pub resource_id: Option<String>,
    pub file_id: Option<String>,
    pub detail: String,
}

/// Filters for listing the log; all optional.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub username: Option<String>,
    pub unit: Option<String>,
    pub resource_id: Option<String>,
    /// Inclusive lower bound on `at` (RFC 3339 or a date `YYYY-MM-DD`).
    pub from: Option<String>,
    /// Exclusive upper bound on `at`.
    pub to: Option<String>,
    pub limit: Option<u32>,
    pub before_id: Option<i64>,
}

/// Newest first, at most `limit` (default 100, at most 1000).
pub fn list(conn: &Connection, filter: &AuditFilter) -> rusqlite::Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, username, unit_code, action, resource_id, file_id, detail FROM audit_log
         WHERE (?1 IS NULL OR action = ?1) AND (?2 IS NULL OR username = ?2)
           AND (?3 IS NULL OR unit_code = ?3) AND (?4 IS NULL OR resource_id = ?4)
           AND (?5 IS NULL OR at >= ?5) AND (?6 IS NULL OR at < ?6) AND (?7 IS NULL OR id < ?7)
         ORDER BY id DESC LIMIT ?8",
    )?;
    let limit = filter.limit.unwrap_or(100).clamp(1, 1000);
    stmt.query_map(
        params![
            filter.action,
            filter.username,
            filter.unit,
            filter.resource_id,
            filter.from,
            filter.to,
            filter.before_id,
            limit
        ],
        |row| {
            Ok(AuditEntry {
                id: row.get(0)?,
                at: row.get(1)?,
                username: row.get(2)?,
                unit: row.get(3)?,
                action: row.get(4)?,
                resource_id: row.get(5)?,
                file_id: row.get(6)?,
                detail: row.get(7)?,
            })
        },
    )?
    .collect()
}
