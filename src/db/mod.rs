//! Opening the SQLite database of record: WAL mode, foreign keys, embedded ordered
//! migrations, and a small connection pool for blocking tasks.

mod migrations;
pub mod observe;
mod write;

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;

pub use migrations::SCHEMA_VERSION;
pub use write::{WriteTransaction, WriteTurn, begin_write, write_turn};

/// Errors opening or migrating the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot create the data folder {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the database at {path} has schema version {found}, newer than this program knows ({known}); upgrade jingshi"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("database migration {version} failed: {message}")]
    Migration { version: i64, message: String },
}

/// Shared handle to the database file; cheap to clone.
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

/// How many idle connections are kept; more are opened on demand and closed after use.
/// Enough for every request in flight under load: a connection opened anew parses the
/// schema, prepares its statements again and maps the file afresh, and closing it
/// unmaps it (in the soak's profile, a tenth of the time once the pool ran short).
const MAX_IDLE: usize = 32;

/// How many connections this process has opened (the SQL report shows the pace).
static OPENED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many connections this process has opened so far.
pub fn connections_opened() -> u64 {
    OPENED.load(std::sync::atomic::Ordering::Relaxed)
}

impl Database {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let mut conn = open_connection(path)?;
        // WAL is a property of the file, so setting it once is enough.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        migrations::migrate(&mut conn, path)?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                idle: Mutex::new(vec![conn]),
            }),
        })
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Takes a connection from the pool (or opens one). Blocking: call from
    /// `spawn_blocking` or command-line code.
    pub fn get(&self) -> Result<PooledConnection, DbError> {
        let reused = self
            .inner
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        let conn = match reused {
            Some(conn) => conn,
            None => open_connection(&self.inner.path)?,
        };
        Ok(PooledConnection {
            conn: Some(conn),
            pool: self.clone(),
        })
    }
}

/// How much of the database file a connection maps (SQLite caps it at its build's
/// limit, 2 GiB by default); address space, not memory: pages stay in the kernel's cache.
const MMAP_BYTES: i64 = 1 << 31;

fn open_connection(path: &Path) -> Result<Connection, DbError> {
    let conn = Connection::open(path)?;
    OPENED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Read the file through a memory map: every write in WAL mode empties the other
    // connections' page caches, and re-reading pages with `pread` copied them from the
    // kernel each time (a third of the server's time in the soak's profile).
    conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
    observe::watch(&conn);
    Ok(conn)
}

/// Makes the reads that follow on `conn` see one state of the database, as reads that
/// must agree with each other need (a report read in several passes): a deferred
/// transaction, whose snapshot is taken at its first read, ended when the returned
/// value is dropped. When `conn` is already in a transaction, its reads share that
/// one's snapshot, and nothing is begun.
pub fn read_snapshot(conn: &Connection) -> rusqlite::Result<Option<rusqlite::Transaction<'_>>> {
    if !conn.is_autocommit() {
        return Ok(None);
    }
    rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Deferred).map(Some)
}

/// A connection that goes back to the pool when dropped.
pub struct PooledConnection {
    conn: Option<Connection>,
    pool: Database,
}

impl Deref for PooledConnection {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("connection present until drop")
    }
}

impl DerefMut for PooledConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("connection present until drop")
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        // A connection left inside a transaction (after a panic) is not reusable.
        if !conn.is_autocommit() {
            return;
        }
        let mut idle = self
            .pool
            .inner
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_snapshot_is_begun_only_outside_a_transaction() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Database::open(&dir.path().join("jingshi.db")).expect("open");
        let mut conn = db.get().expect("connection");
        {
            let snapshot = read_snapshot(&conn).expect("snapshot");
            assert!(snapshot.is_some() && !conn.is_autocommit());
        }
        assert!(conn.is_autocommit(), "dropping the snapshot ends it");
        let tx = conn.transaction().expect("transaction");
        assert!(read_snapshot(&tx).expect("inside").is_none());
        tx.execute("CREATE TABLE kept (x)", []).expect("write");
        tx.commit()
            .expect("commit, not rolled back by the inner snapshot");
        let kept: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'kept'",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(kept, 1);
    }

    #[test]
    fn every_connection_reads_through_a_memory_map_in_wal_mode() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Database::open(&dir.path().join("jingshi.db")).expect("open");
        let (first, second) = (db.get().expect("first"), db.get().expect("second"));
        for conn in [&first, &second] {
            let mapped: i64 = conn
                .pragma_query_value(None, "mmap_size", |row| row.get(0))
                .expect("mmap_size");
            assert!(mapped >= 1 << 28, "mapped {mapped} bytes");
            let mode: String = conn
                .pragma_query_value(None, "journal_mode", |row| row.get(0))
                .expect("journal_mode");
            assert_eq!(mode, "wal");
        }
    }
}
