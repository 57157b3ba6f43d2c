//! Waiting for another connection's write to finish. SQLite's own busy timeout
//! sleeps 1, 2, 5, 10, 15, 20, 25 … ms between tries: a write that waited for a lock
//! held 0.3 ms slept a whole millisecond or more, and under steady writes (an audit
//! row for every file range a player reads) those sleeps grew into most of a write's
//! time (the soak's SQL report: the audit insert at 1.7, 2.2, 2.7 ms on average in
//! three successive minutes, slowest 185 ms). Short pauses first keep a waiting write
//! close behind the one it waits for; longer ones later bound the tries.

use std::time::Duration;

/// How long a write waits for the lock in all before it fails with "database is
/// locked" (about what the old busy timeout allowed).
pub const LOCK_WAIT: Duration = Duration::from_secs(10);

/// SQLite's busy handler: `tries` is how often it was called for this lock already.
/// Answers whether to try again (after a pause).
pub(super) fn wait_for_lock(tries: i32) -> bool {
    match pause_before_try(tries) {
        Some(pause) => {
            std::thread::sleep(pause);
            true
        }
        None => false,
    }
}

/// The pause before the next try, `None` once [`LOCK_WAIT`] is spent: 100 × 50 µs,
/// 500 × 200 µs, then 2 ms.
fn pause_before_try(tries: i32) -> Option<Duration> {
    const SHORT: (u32, Duration) = (100, Duration::from_micros(50));
    const MEDIUM: (u32, Duration) = (500, Duration::from_micros(200));
    const LONG: Duration = Duration::from_millis(2);
    let tries = u32::try_from(tries).ok()?;
    let spent_early = SHORT.1 * SHORT.0 + MEDIUM.1 * MEDIUM.0;
    let long_tries = (LOCK_WAIT.saturating_sub(spent_early)).as_micros() / LONG.as_micros();
    if tries < SHORT.0 {
        Some(SHORT.1)
    } else if tries < SHORT.0 + MEDIUM.0 {
        Some(MEDIUM.1)
    } else if u128::from(tries - SHORT.0 - MEDIUM.0) < long_tries {
        Some(LONG)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pauses_start_short_and_add_up_to_the_lock_wait() {
        assert_eq!(pause_before_try(0), Some(Duration::from_micros(50)));
        assert_eq!(pause_before_try(-1), None);
        let mut total = Duration::ZERO;
        let mut tries = 0;
        while let Some(pause) = pause_before_try(tries) {
            assert!(pause <= Duration::from_millis(2), "try {tries}: {pause:?}");
            total += pause;
            tries += 1;
        }
        assert!(
            total <= LOCK_WAIT && total + Duration::from_millis(2) > LOCK_WAIT,
            "{total:?} over {tries} tries"
        );
        // The first 100 ms of waiting are tried at least every 0.2 ms.
        let early: Duration = (0..600).filter_map(pause_before_try).sum();
        assert!(early <= Duration::from_millis(105), "{early:?}");
    }

    #[test]
    fn a_write_waits_for_another_connections_write_to_end() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = crate::db::Database::open(&dir.path().join("jingshi.db")).expect("db");
        let holder = db.get().expect("connection");
        holder.execute_batch("BEGIN IMMEDIATE").expect("lock");
        let released = std::thread::scope(|scope| {
            let write = scope.spawn(|| {
                let waiter = db.get().expect("connection");
                waiter.execute(
                    "INSERT INTO units (code, name, created_at) VALUES ('busy-unit', '单位', 't')",
                    [],
                )
            });
            std::thread::sleep(Duration::from_millis(30));
            holder.execute_batch("COMMIT").expect("commit");
            write.join().expect("writer thread")
        });
        assert_eq!(released.expect("the waiting write succeeds"), 1);
    }
}
