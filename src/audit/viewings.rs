//! One viewing of a file as one row of the log people read (issue 15). A player or
//! a PDF viewer fetches a file in many `Range` requests; each is an access and is
//! written, as SPEC §2 asks. When an access is written it names the viewing it
//! continues (`audit_log.viewing`: the first row's id): one by the same account, of
//! the same file, with the same outcome and purpose (the detail but its byte range),
//! at most [`VIEWING_GAP_SECONDS`] before. Rows already written are never changed —
//! the log stays append-only and the API lists every request — and the page and its
//! export read each viewing as one row with a count, cheaply: by the viewing's
//! newest row, found through an index, however long the log grows.

use rusqlite::{Connection, OptionalExtension, params};

use super::{AuditEntry, AuditEvent, AuditFilter, ENTRY_COLUMNS, FILTER_SQL};
use crate::clock::Moment;

/// The file accesses of one viewing follow each other within this many seconds.
pub const VIEWING_GAP_SECONDS: i64 = 300;

/// What the accesses of one viewing share in their detail: the outcome and purpose
/// (`granted`, `denied; as WebVTT`, …) without the byte range.
fn viewing_key(detail: &str) -> &str {
    detail
        .split_once("; range ")
        .map_or(detail, |(head, _)| head)
}

/// The viewing the access `event` at `at` continues, if any: the first row's id.
pub(super) fn continued(
    conn: &Connection,
    event: &AuditEvent,
    at: Moment,
) -> rusqlite::Result<Option<i64>> {
    let Some(username) = &event.username else {
        return Ok(None);
    };
    let Ok(since) = at
        .instant()
        .checked_sub(jiff::SignedDuration::from_secs(VIEWING_GAP_SECONDS))
    else {
        return Ok(None);
    };
    let key = viewing_key(&event.detail);
    // The user's recent accesses of this file through `audit_log_file_access
    // (username, file_id, at)`, newest first: the first that matches is the one.
    conn.prepare_cached(
        "SELECT coalesce(viewing, id) FROM audit_log
         WHERE username = ?1 AND action = 'file_access' AND file_id IS ?3 AND at >= ?2
           AND user_id IS ?4
           AND (detail = ?5 OR substr(detail, 1, length(?5) + 8) = ?5 || '; range ')
         ORDER BY at DESC, id DESC LIMIT 1",
    )?
    .query_row(
        params![
            username,
            Moment::at(since).stamp(),
            event.file_id,
            event.user_id,
            key
        ],
        |row| row.get(0),
    )
    .optional()
}

/// A row of the log as people read it: one event, or the file accesses of one
/// viewing (`count` of them, from `first_at` to `entry.at`; `entry` is the newest).
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub entry: AuditEntry,
    pub count: u32,
    pub first_at: String,
}

/// Like [`super::list`], but a viewing is one row: its newest access, with how many
/// there were and when the first was. Pages follow the newest row's id (`before_id`).
/// A viewing cut by the `to` bound shows as its last access before it.
pub fn list_viewings(conn: &Connection, filter: &AuditFilter) -> rusqlite::Result<Vec<AuditRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ENTRY_COLUMNS},
                CASE WHEN action = 'file_access' THEN 1 + (SELECT count(*) FROM audit_log m
                     WHERE m.viewing = coalesce(audit_log.viewing, audit_log.id)) ELSE 1 END,
                (SELECT f.at FROM audit_log f WHERE f.id = coalesce(audit_log.viewing, audit_log.id))
         FROM audit_log
         WHERE {FILTER_SQL} AND (?7 IS NULL OR id < ?7)
           AND NOT EXISTS (SELECT 1 FROM audit_log n
                           WHERE n.viewing = coalesce(audit_log.viewing, audit_log.id)
                             AND n.id > audit_log.id AND (?6 IS NULL OR n.at < ?6))
         ORDER BY id DESC LIMIT ?8"
    ))?;
    let limit = super::limit_of(filter);
    stmt.query_map(super::filter_values(filter, &limit), |row| {
        Ok(AuditRow {
            entry: super::entry_from(row)?,
            count: row.get(9)?,
            first_at: row.get(10)?,
        })
    })?
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_viewing_shares_the_outcome_and_purpose_but_not_the_range() {
        assert_eq!(viewing_key("granted; range bytes=0-9"), "granted");
        assert_eq!(viewing_key("granted"), "granted");
        assert_eq!(viewing_key("denied; as WebVTT"), "denied; as WebVTT");
    }

    /// The migration groups the accesses written before it as writing groups new ones.
    #[test]
    fn the_migration_groups_earlier_accesses_like_new_ones() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = crate::db::Database::open(&dir.path().join("jingshi.db")).expect("db");
        let conn = db.get().expect("connection");
        // As an older version wrote them: no viewing. Two viewings of reader's
        // (the second after a pause), another user's access in between, a denial.
        let rows = [
            ("2027-03-01T04:00:00Z", "reader", "granted; range bytes=0-9"),
            ("2027-03-01T04:01:00Z", "other", "granted; range bytes=0-9"),
            (
                "2027-03-01T04:02:00Z",
                "reader",
                "granted; range bytes=10-19",
            ),
            ("2027-03-01T04:06:30Z", "reader", "granted"),
            ("2027-03-01T04:07:00Z", "reader", "denied"),
            ("2027-03-01T04:20:00Z", "reader", "granted; range bytes=0-9"),
        ];
        for (at, user, detail) in rows {
            conn.execute(
                "INSERT INTO audit_log (at, username, action, file_id, detail)
                 VALUES (?1, ?2, 'file_access', 'f1', ?3)",
                params![at, user, detail],
            )
            .expect("row");
        }
        let sql = include_str!("../db/migrations/011_recall_reports.sql");
        let from = sql
            .find("UPDATE audit_log SET viewing")
            .expect("the backfill");
        let to = sql
            .find("CREATE INDEX audit_log_viewing")
            .expect("the index");
        let backfill = &sql[from..to];
        conn.execute_batch(backfill).expect("backfill runs");
        let viewing: Vec<Option<i64>> = conn
            .prepare("SELECT viewing FROM audit_log ORDER BY id")
            .expect("query")
            .query_map([], |row| row.get(0))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("values");
        assert_eq!(viewing, [None, None, Some(1), Some(1), None, None]);
        let shown = list_viewings(&conn, &AuditFilter::default()).expect("list");
        let counts: Vec<u32> = shown.iter().map(|row| row.count).collect();
        assert_eq!(counts, [1, 1, 3, 1]);
        assert_eq!(shown[2].first_at, "2027-03-01T04:00:00Z");
    }
}
