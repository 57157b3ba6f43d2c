//! Counting failed password checks (sign-in, and the current password of a change),
//! so that guessing gets slow without a stranger being able to lock the owner out.
//!
//! Two counters: one per account *at one client address* (its delays grow with each
//! failure, so the owner at another address is never held up), and one per address
//! across all accounts (an address guessing many accounts runs out of budget).
//! Failures are counted in `sign_in_failures`; the audit log gets the first failure
//! of a window and each lock, not one row per attempt.

use rusqlite::{Connection, OptionalExtension, params};

use super::AccountError;

/// A counter starts again after this long without a failure.
pub const WINDOW_SECS: i64 = 15 * 60;
/// Failures of an account at an address answered without delay.
const FREE_FAILURES: i64 = 2;
/// Failures of an account at an address after which it is locked there, for a
/// minute, doubling with each further failure up to the window.
pub const LOCK_AFTER: i64 = 5;
const FIRST_LOCK_SECS: i64 = 60;
/// Failures of one address, whatever the accounts, before it is locked for a window.
pub const ADDRESS_BUDGET: i64 = 20;

/// One client address trying the password of one account.
pub struct Attempt<'a> {
    /// The username as typed, already capped in length.
    pub username: &'a str,
    /// The client's address as throttles count it.
    pub addr: &'a str,
    /// Elapsed wall-clock seconds.
    pub now: i64,
}

impl Attempt<'_> {
    fn pair_key(&self) -> String {
        format!("pair:{} {}", self.addr, self.username)
    }

    fn addr_key(&self) -> String {
        format!("addr:{}", self.addr)
    }
}

/// A failure, once counted.
#[derive(Debug, Clone, Copy)]
pub struct Failure {
    /// Failures of this account at this address within the window.
    pub pair_failures: i64,
    /// Failures of this address within the window.
    pub addr_failures: i64,
    /// Seconds until the next attempt is allowed, when this failure locked.
    pub locked_for: Option<i64>,
}

impl Failure {
    /// Worth a row in the audit log: the first of a window, or a lock.
    pub fn worth_auditing(&self) -> bool {
        self.pair_failures == 1 || self.locked_for.is_some()
    }

    /// How long the refusal's answer waits: nothing for the first few, then a second
    /// more for each.
    pub fn delay_secs(&self) -> u64 {
        u64::try_from(self.pair_failures - FREE_FAILURES).unwrap_or(0)
    }

    /// The error to answer with.
    pub fn into_error(self) -> AccountError {
        match self.locked_for {
            Some(retry_after_secs) => AccountError::Locked { retry_after_secs },
            None => AccountError::BadCredentials {
                delay_secs: self.delay_secs(),
            },
        }
    }
}

/// Seconds until `attempt` may be made, if the account at this address or the
/// address itself is locked now. Reads only: a refused attempt writes nothing.
pub fn locked_for(conn: &Connection, attempt: &Attempt<'_>) -> Result<Option<i64>, AccountError> {
    let mut stmt = conn
        .prepare_cached("SELECT max(locked_until) FROM sign_in_failures WHERE key IN (?1, ?2)")?;
    let until = stmt
        .query_row(params![attempt.pair_key(), attempt.addr_key()], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .optional()?
        .flatten();
    Ok(until
        .filter(|until| *until > attempt.now)
        .map(|until| until - attempt.now))
}

/// Counts a failure of `attempt` for the account at the address and for the address.
pub fn record_failure(conn: &Connection, attempt: &Attempt<'_>) -> Result<Failure, AccountError> {
    let pair_failures = bump(conn, &attempt.pair_key(), attempt.now, |failures| {
        (failures >= LOCK_AFTER).then(|| {
            let doublings = u32::try_from(failures - LOCK_AFTER)
                .unwrap_or(u32::MAX)
                .min(10);
            (FIRST_LOCK_SECS << doublings).min(WINDOW_SECS)
        })
    })?;
    let addr_failures = bump(conn, &attempt.addr_key(), attempt.now, |failures| {
        (failures >= ADDRESS_BUDGET).then_some(WINDOW_SECS)
    })?;
    Ok(Failure {
        pair_failures: pair_failures.0,
        addr_failures: addr_failures.0,
        locked_for: pair_failures.1.max(addr_failures.1),
    })
}

/// Adds a failure to `key` (a new window after a quiet one) and locks it for as long
/// as `lock` says for the new count; answers the count and the lock.
fn bump(
    conn: &Connection,
    key: &str,
    now: i64,
    lock: impl Fn(i64) -> Option<i64>,
) -> Result<(i64, Option<i64>), AccountError> {
    let row: Option<(i64, i64)> = conn
        .prepare_cached("SELECT failures, last_at FROM sign_in_failures WHERE key = ?1")?
        .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let failures = match row {
        Some((failures, last_at)) if now - last_at <= WINDOW_SECS => failures + 1,
        _ => 1,
    };
    let locked_for = lock(failures);
    conn.prepare_cached(
        "INSERT INTO sign_in_failures (key, failures, first_at, last_at, locked_until)
         VALUES (?1, ?2, ?3, ?3, ?4)
         ON CONFLICT (key) DO UPDATE SET failures = ?2, last_at = ?3, locked_until = ?4,
             first_at = CASE WHEN ?2 = 1 THEN ?3 ELSE first_at END",
    )?
    .execute(params![
        key,
        failures,
        now,
        locked_for.map_or(0, |secs| now + secs)
    ])?;
    Ok((failures, locked_for))
}

/// Forgets the failures of the account at this address (it just got in). The
/// address's budget stays spent: signing in to one's own account must not buy more
/// guesses at others.
pub fn clear_account(conn: &Connection, attempt: &Attempt<'_>) -> Result<(), AccountError> {
    conn.prepare_cached("DELETE FROM sign_in_failures WHERE key = ?1")?
        .execute([attempt.pair_key()])?;
    Ok(())
}

/// Failures of one account counted at one address, as an admin sees them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AccountLock {
    /// The client address the failures came from.
    pub addr: String,
    /// Failures within the current window.
    pub failures: i64,
    /// Seconds until sign-in is allowed again there, when locked now.
    pub locked_for: Option<i64>,
}

/// The pair counters of `username` (key `pair:ADDR NAME`; addresses hold no space).
const PAIRS_OF: &str = "FROM sign_in_failures
     WHERE key LIKE 'pair:%' AND substr(key, instr(key, ' ') + 1) = ?1";

/// The failure counters of account `username` that are still within their window at
/// `now`, at each address.
pub fn account_locks(
    conn: &Connection,
    username: &str,
    now: i64,
) -> Result<Vec<AccountLock>, AccountError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT substr(key, 6, instr(key, ' ') - 6), failures, locked_until {PAIRS_OF}
           AND ?2 - last_at <= ?3 ORDER BY last_at DESC"
    ))?;
    let locks = stmt
        .query_map(params![username, now, WINDOW_SECS], |r| {
            let until: i64 = r.get(2)?;
            Ok(AccountLock {
                addr: r.get(0)?,
                failures: r.get(1)?,
                locked_for: (until > now).then_some(until - now),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(locks)
}

/// Forgets the failures of account `username` at every address (an admin unlocked
/// it, or its owner set a new password through a link); answers how many counters.
pub fn forget_account(conn: &Connection, username: &str) -> Result<usize, AccountError> {
    Ok(conn
        .prepare_cached(&format!("DELETE {PAIRS_OF}"))?
        .execute([username])?)
}

/// Forgets the failures of `username` at every address, and lifts the lock of each
/// address where the account is locked now (its owner may be the one behind it).
/// Answers how many counters were removed.
pub fn unlock_account(conn: &Connection, username: &str, now: i64) -> Result<usize, AccountError> {
    let locked_addresses: Vec<String> = conn
        .prepare_cached(&format!(
            "SELECT 'addr:' || substr(key, 6, instr(key, ' ') - 6) {PAIRS_OF}"
        ))?
        .query_map([username], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut removed = forget_account(conn, username)?;
    for key in locked_addresses {
        removed += conn
            .prepare_cached("DELETE FROM sign_in_failures WHERE key = ?1 AND locked_until > ?2")?
            .execute(params![key, now])?;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE sign_in_failures (key TEXT PRIMARY KEY, failures INTEGER NOT NULL,
             first_at INTEGER NOT NULL, locked_until INTEGER NOT NULL DEFAULT 0,
             last_at INTEGER NOT NULL DEFAULT 0)",
        )
        .unwrap();
        conn
    }

    fn at<'a>(username: &'a str, addr: &'a str, now: i64) -> Attempt<'a> {
        Attempt {
            username,
            addr,
            now,
        }
    }

    #[test]
    fn locks_grow_per_account_and_address_and_spare_other_addresses() {
        let conn = db();
        let mut last = None;
        for n in 1..=5 {
            last = Some(record_failure(&conn, &at("admin", "10.0.0.1", 1000)).unwrap());
            assert_eq!(last.unwrap().pair_failures, n);
        }
        assert_eq!(last.unwrap().locked_for, Some(60));
        assert_eq!(
            locked_for(&conn, &at("admin", "10.0.0.1", 1030)).unwrap(),
            Some(30)
        );
        assert_eq!(
            locked_for(&conn, &at("admin", "10.0.0.2", 1030)).unwrap(),
            None
        );
        assert_eq!(
            locked_for(&conn, &at("other", "10.0.0.1", 1030)).unwrap(),
            None
        );
        let sixth = record_failure(&conn, &at("admin", "10.0.0.1", 1061)).unwrap();
        assert_eq!(sixth.locked_for, Some(120));
        // A quiet window starts the count again.
        let later =
            record_failure(&conn, &at("admin", "10.0.0.1", 1061 + WINDOW_SECS + 1)).unwrap();
        assert_eq!((later.pair_failures, later.locked_for), (1, None));
    }

    #[test]
    fn an_address_has_a_budget_across_accounts() {
        let conn = db();
        for n in 1..ADDRESS_BUDGET {
            let failure = record_failure(&conn, &at(&format!("u{n}"), "10.0.0.9", 5)).unwrap();
            assert_eq!(failure.locked_for, None);
        }
        let spent = record_failure(&conn, &at("last", "10.0.0.9", 5)).unwrap();
        assert_eq!(spent.locked_for, Some(WINDOW_SECS));
        clear_account(&conn, &at("admin", "10.0.0.9", 6)).unwrap();
        assert!(
            locked_for(&conn, &at("admin", "10.0.0.9", 6))
                .unwrap()
                .is_some()
        );
        // An admin's unlock of an account locked there lifts the address's lock too.
        record_failure(&conn, &at("admin", "10.0.0.9", 7)).unwrap();
        let locks = account_locks(&conn, "admin", 7).unwrap();
        assert_eq!(locks.len(), 1);
        assert_eq!((locks[0].addr.as_str(), locks[0].failures), ("10.0.0.9", 1));
        assert_eq!(unlock_account(&conn, "admin", 8).unwrap(), 2);
        assert_eq!(
            locked_for(&conn, &at("admin", "10.0.0.9", 8)).unwrap(),
            None
        );
        assert!(account_locks(&conn, "admin", 8).unwrap().is_empty());
        assert_eq!(unlock_account(&conn, "admin", 8).unwrap(), 0);
    }
}
