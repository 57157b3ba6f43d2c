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
    include_str!("migrations/010_recall_reports.sql"),
];

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
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "applied database migration");
    }
    Ok(())
}
