//! Embedded, ordered schema migrations tracked with `PRAGMA user_version`.

use std::path::Path;

use rusqlite::Connection;

use super::DbError;

/// Each entry upgrades the schema by one version; never edit a released entry.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_catalog.sql"),
    include_str!("migrations/002_sessions.sql"),
    include_str!("migrations/003_loans.sql"),
    include_str!("migrations/004_mail.sql"),
    include_str!("migrations/005_sign_in.sql"),
    include_str!("migrations/006_loan_limits.sql"),
    include_str!("migrations/007_unit_liaison.sql"),
    include_str!("migrations/008_file_versions.sql"),
    include_str!("migrations/009_issue_window.sql"),
    include_str!("migrations/010_admin.sql"),
    include_str!("migrations/011_recall_reports.sql"),
    include_str!("migrations/012_visits.sql"),
    include_str!("migrations/013_contributions.sql"),
    include_str!("migrations/014_collections.sql"),
    include_str!("migrations/015_synonyms.sql"),
    include_str!("migrations/016_ocr.sql"),
    include_str!("migrations/017_bounded_costs.sql"),
    include_str!("migrations/018_sector_ranking.sql"),
    include_str!("migrations/019_librarian_queue.sql"),
    include_str!("migrations/020_stats_by_period.sql"),
    include_str!("migrations/021_stats_covering.sql"),
    include_str!("migrations/022_queue_copies_due.sql"),
    include_str!("migrations/023_loan_marks.sql"),
    include_str!("migrations/024_loan_days.sql"),
    include_str!("migrations/025_catalog_generation.sql"),
];

/// A migration that rebuilds a table others refer to starts with this line: it runs
/// with foreign keys off (so dropping the old table deletes nothing), and every
/// reference is checked before it commits.
const KEYS_OFF: &str = "-- jingshi: foreign keys off";

/// The schema version this program writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), DbError> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(DbError::TooNew {
            path: path.to_path_buf(),
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index as i64 + 1;
        let keys_off = sql.starts_with(KEYS_OFF);
        if keys_off {
            // Only outside a transaction does this pragma take effect.
            conn.pragma_update(None, "foreign_keys", "OFF")?;
        }
        let applied = apply(conn, sql, version);
        if keys_off {
            conn.pragma_update(None, "foreign_keys", "ON")?;
        }
        applied?;
        tracing::info!(version, "applied database migration");
    }
    Ok(())
}

fn apply(conn: &mut Connection, sql: &str, version: i64) -> Result<(), DbError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(sql)?;
    let broken: i64 = tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
        row.get(0)
    })?;
    if broken > 0 {
        return Err(DbError::Migration {
            version,
            message: format!("{broken} rows refer to rows that do not exist"),
        });
    }
    tx.pragma_update(None, "user_version", version)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database at `path` with the schema just before the migration that holds
    /// `marker`, as a program of that time left it.
    fn schema_before(path: &Path, marker: &str) -> Connection {
        let conn = Connection::open(path).expect("open");
        let before = MIGRATIONS
            .iter()
            .position(|sql| sql.contains(marker))
            .expect("the migration");
        for sql in &MIGRATIONS[..before] {
            conn.execute_batch(sql).expect("older migration");
        }
        conn.pragma_update(None, "user_version", before as i64)
            .expect("version");
        conn
    }

    /// Copies handed out before the issue window existed get who handed them out and
    /// when from the audit log, each from its own row (loan 1 is not loan 12).
    #[test]
    fn copies_issued_before_are_credited_from_the_audit_log() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("old.db");
        let mut conn = schema_before(&path, "issue_lead_days");
        conn.execute_batch(
            "INSERT INTO units (code, name, created_at) VALUES ('yn-tax', '税务局', 't');
             INSERT INTO users (id, username, display_name, password_hash, created_at,
                                password_changed_at) VALUES (7, 'lib', '李馆员', 'x', 't', 't');
             INSERT INTO resources (id, kind, title, created_at, updated_at)
                    VALUES ('film', 'video', '警示片', 't', 't');
             INSERT INTO copies (id, resource_id, barcode) VALUES (1, 'film', 'F-1'), (2, 'film', 'F-2');
             INSERT INTO loans (id, resource_id, unit_code, format, start_date, end_date,
                                requested_end, status, purpose, audience, copy_id, created_at, updated_at)
             VALUES (1, 'film', 'yn-tax', 'physical', '2027-03-01', '2027-03-03', '2027-03-03',
                     'active', '教育', 10, 1, 't', 't'),
                    (12, 'film', 'yn-tax', 'physical', '2027-03-01', '2027-03-03', '2027-03-03',
                     'active', '教育', 10, 2, 't', 't'),
                    (13, 'film', 'yn-tax', 'physical', '2027-03-01', '2027-03-03', '2027-03-03',
                     'approved', '教育', 10, NULL, 't', 't');
             INSERT INTO audit_log (at, user_id, username, action, resource_id, detail) VALUES
                    ('2027-02-28T17:30:00Z', 7, 'lib', 'loan_issue', 'film', '借阅 1（yn-tax）：已批准 → 借阅中'),
                    ('2027-03-01T02:00:00Z', 9, 'gone', 'loan_issue', 'film', '借阅 12（yn-tax）：已批准 → 借阅中'),
                    ('2027-03-01T03:00:00Z', 7, 'lib', 'loan_approve', 'film', '借阅 13（yn-tax）：待审批 → 已批准');",
        )
        .expect("rows of the old schema");
        migrate(&mut conn, &path).expect("migrate");
        let issued = |id: i64| {
            conn.query_row(
                "SELECT issued_at, issued_on, issued_by, issued_by_name FROM loans WHERE id = ?1",
                [id],
                |row| {
                    Ok((
                        row.get::<_, Option<String>>(0)?,
                        row.get::<_, Option<String>>(1)?,
                        row.get::<_, Option<i64>>(2)?,
                        row.get::<_, String>(3)?,
                    ))
                },
            )
            .expect("loan")
        };
        // Half past one in the morning in Beijing: that day, not the UTC one.
        assert_eq!(
            issued(1),
            (
                Some("2027-02-28T17:30:00Z".to_owned()),
                Some("2027-03-01".to_owned()),
                Some(7),
                "李馆员".to_owned()
            )
        );
        // An account no longer there: its name as logged, no link.
        assert_eq!(
            issued(12),
            (
                Some("2027-03-01T02:00:00Z".to_owned()),
                Some("2027-03-01".to_owned()),
                None,
                "gone".to_owned()
            )
        );
        assert_eq!(issued(13), (None, None, None, String::new()));
        let lead: u32 = conn
            .query_row(
                "INSERT INTO loan_settings (resource_id) VALUES ('film') RETURNING issue_lead_days",
                [],
                |row| row.get(0),
            )
            .expect("default lead");
        assert_eq!(lead, 3);
    }

    /// The per-day tally starts from the loans already there: the holding ones only,
    /// from the day a copy handed out early was issued.
    #[test]
    fn the_day_tally_counts_the_loans_held_before_it_existed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("old.db");
        let mut conn = schema_before(&path, "CREATE TABLE loan_days");
        conn.execute_batch(
            "INSERT INTO units (code, name, created_at) VALUES ('yn-tax', '税务局', 't');
             INSERT INTO resources (id, kind, title, created_at, updated_at)
                    VALUES ('film', 'video', '警示片', 't', 't');
             INSERT INTO copies (id, resource_id, barcode) VALUES (1, 'film', 'F-1');
             INSERT INTO loans (resource_id, unit_code, format, start_date, end_date,
                                requested_end, status, purpose, audience, issued_on, copy_id,
                                created_at, updated_at)
             VALUES ('film', 'yn-tax', 'digital', '2027-03-01', '2027-03-03', '2027-03-03',
                     'approved', '教育', 10, NULL, NULL, 't', 't'),
                    ('film', 'yn-tax', 'digital', '2027-03-03', '2027-03-04', '2027-03-04',
                     'requested', '教育', 10, NULL, NULL, 't', 't'),
                    ('film', 'yn-tax', 'digital', '2027-03-01', '2027-03-09', '2027-03-09',
                     'returned', '教育', 10, NULL, NULL, 't', 't'),
                    ('film', 'yn-tax', 'digital', '2027-03-02', '2027-03-02', '2027-03-02',
                     'waitlisted', '教育', 10, NULL, NULL, 't', 't'),
                    ('film', 'yn-tax', 'physical', '2027-03-05', '2027-03-06', '2027-03-06',
                     'active', '教育', 10, '2027-03-03', 1, 't', 't');",
        )
        .expect("rows of the old schema");
        migrate(&mut conn, &path).expect("migrate");
        let mut stmt = conn
            .prepare("SELECT format, day, held FROM loan_days ORDER BY format, day")
            .expect("tally");
        let tally: Vec<(String, String, i64)> = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("read");
        let row = |format: &str, day: &str, held| (format.to_owned(), day.to_owned(), held);
        assert_eq!(
            tally,
            vec![
                row("digital", "2027-03-01", 1),
                row("digital", "2027-03-02", 1),
                row("digital", "2027-03-03", 2),
                row("digital", "2027-03-04", 1),
                row("physical", "2027-03-03", 1),
                row("physical", "2027-03-04", 1),
                row("physical", "2027-03-05", 1),
                row("physical", "2027-03-06", 1),
            ]
        );
    }

    /// Rebuilding `resources` and `notifications` for the bases loses nothing that
    /// refers to them, and their references still hold afterwards.
    #[test]
    fn the_visits_migration_keeps_every_row_that_refers_to_a_rebuilt_table() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("old.db");
        let mut conn = Connection::open(&path).expect("open");
        conn.pragma_update(None, "foreign_keys", "ON")
            .expect("keys");
        let before = MIGRATIONS
            .iter()
            .position(|sql| sql.starts_with(KEYS_OFF))
            .expect("the visits migration");
        for sql in &MIGRATIONS[..before] {
            conn.execute_batch(sql).expect("older migration");
        }
        conn.pragma_update(None, "user_version", before as i64)
            .expect("version");
        conn.execute_batch(
            "INSERT INTO units (code, name, created_at) VALUES ('yn-tax', '税务局', 't');
             INSERT INTO resources (id, kind, title, created_at, updated_at)
                    VALUES ('film', 'video', '警示片', 't', 't');
             INSERT INTO resource_labels (resource_id, facet, position, value)
                    VALUES ('film', 'tag', 1, '八项规定');
             INSERT INTO copies (id, resource_id, barcode) VALUES (1, 'film', 'F-1');
             INSERT INTO loans (id, resource_id, unit_code, format, start_date, end_date,
                                requested_end, status, purpose, audience, created_at, updated_at)
             VALUES (1, 'film', 'yn-tax', 'physical', '2027-03-01', '2027-03-03', '2027-03-03',
                     'approved', '教育', 10, 't', 't');
             INSERT INTO notifications (id, unit_code, loan_id, kind, message, created_at)
                    VALUES (5, 'yn-tax', 1, 'approved', '借阅 #1：已批准', 't');
             INSERT INTO mail_outbox (notification_id, recipient, subject, body, created_ms,
                                      next_attempt_ms) VALUES (5, 'a@example.cn', 's', 'b', 1, 1);",
        )
        .expect("rows of the old schema");
        migrate(&mut conn, &path).expect("migrate");
        let count = |table: &str| -> i64 {
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })
            .expect("count")
        };
        for table in [
            "resources",
            "resource_labels",
            "copies",
            "loans",
            "notifications",
            "mail_outbox",
        ] {
            assert_eq!(count(table), 1, "{table} keeps its row");
        }
        let keys: i64 = conn
            .pragma_query_value(None, "foreign_keys", |row| row.get(0))
            .expect("pragma");
        assert_eq!(keys, 1, "foreign keys are back on");
        // The labels still refer to the (new) resources table: deleting cascades.
        conn.execute(
            "INSERT INTO resources (id, kind, title, created_at, updated_at)
             VALUES ('jidi', 'base', '基地', 't', 't')",
            [],
        )
        .expect("a base is a kind now");
        let orphan = conn.execute(
            "INSERT INTO resource_labels (resource_id, facet, position, value)
             VALUES ('nothing', 'tag', 1, 'x')",
            [],
        );
        assert!(orphan.is_err(), "a label of no resource is refused");
        conn.execute("DELETE FROM loans", []).expect("loans");
        conn.execute("DELETE FROM resources WHERE id = 'film'", [])
            .expect("delete");
        assert_eq!(count("resource_labels"), 0);
        assert_eq!(count("notifications"), 0, "its loan's notice went with it");
        assert_eq!(count("mail_outbox"), 0);
    }
}
