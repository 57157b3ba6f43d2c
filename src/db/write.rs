//! One writer at a time inside this process. SQLite lets one connection write at a
//! time and makes the others wait in its busy handler, which sleeps and retries (1,
//! 2, 5, 10 … 100 ms): under a steady load of small writes (one audit row per file
//! request) the sleeps, not the work, set the pace. Writers here first wait their turn
//! on a mutex, which hands it on at once; SQLite's lock still guards against other
//! processes (`jingshi` commands).
//!
//! The turn is always taken before SQLite's write lock, never while holding it, so
//! the two cannot wait on each other.

use std::cell::Cell;
use std::ops::Deref;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, Transaction, TransactionBehavior};

static TURN: Mutex<()> = Mutex::new(());

thread_local! {
    /// Whether this thread holds the turn: a write nested in another (an audit row
    /// inside a transaction) does not wait for itself.
    static HOLDING: Cell<bool> = const { Cell::new(false) };
}

/// This thread's turn to write; the next writer's when dropped.
pub struct WriteTurn {
    guard: Option<MutexGuard<'static, ()>>,
}

impl Drop for WriteTurn {
    fn drop(&mut self) {
        if self.guard.take().is_some() {
            HOLDING.set(false);
        }
    }
}

/// Waits for this process's turn to write (at once when this thread has it).
pub fn write_turn() -> WriteTurn {
    if HOLDING.get() {
        return WriteTurn { guard: None };
    }
    let guard = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    HOLDING.set(true);
    WriteTurn { guard: Some(guard) }
}

/// A `BEGIN IMMEDIATE` transaction begun in this process's turn to write, which
/// it keeps until committed or dropped (rolled back).
pub struct WriteTransaction<'conn> {
    // Dropped in this order: the transaction ends before the turn passes on.
    tx: Transaction<'conn>,
    _turn: WriteTurn,
}

impl WriteTransaction<'_> {
    pub fn commit(self) -> rusqlite::Result<()> {
        self.tx.commit()
    }
}

impl<'conn> Deref for WriteTransaction<'conn> {
    type Target = Transaction<'conn>;
    fn deref(&self) -> &Transaction<'conn> {
        &self.tx
    }
}

/// Begins a write transaction in this process's turn (see the module's note).
pub fn begin_write(conn: &mut Connection) -> rusqlite::Result<WriteTransaction<'_>> {
    let turn = write_turn();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    Ok(WriteTransaction { tx, _turn: turn })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Without the turn, writers on other connections meet SQLite's lock and, with
    /// no busy handler to wait in, fail with "database is locked".
    #[test]
    fn writers_in_one_process_take_turns_instead_of_meeting_the_lock() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("turns.db");
        let setup = Connection::open(&path).expect("open");
        setup
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (n INTEGER NOT NULL, k INTEGER NOT NULL);",
            )
            .expect("schema");
        let writers: Vec<_> = (0..4)
            .map(|k| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut conn = Connection::open(&path).expect("open");
                    conn.busy_timeout(Duration::ZERO).expect("no busy handler");
                    for n in 0..200 {
                        let tx = begin_write(&mut conn).expect("begin in turn");
                        tx.execute("INSERT INTO t (n, k) VALUES (?1, ?2)", [n, k])
                            .expect("insert");
                        let _nested = write_turn();
                        tx.commit().expect("commit");
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().expect("writer finished");
        }
        let rows: i64 = setup
            .query_row("SELECT count(*) FROM t", [], |row| row.get(0))
            .expect("count");
        assert_eq!(rows, 800);
        assert!(!HOLDING.get(), "the turn passes on after each commit");
    }
}
