//! Checking credentials, with throttling of repeated failures per account and per
//! client address.

use rusqlite::{Connection, OptionalExtension, params};

use super::AccountError;
use super::password::verify_password;
use super::sessions::{SessionUser, create_session};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;

/// Failures before each further attempt is slowed down.
const FREE_FAILURES: i64 = 2;
/// Failures after which the account or address is locked.
const LOCK_AFTER: i64 = 5;
/// How long a lock lasts, and the window in which failures add up.
pub const LOCK_SECS: i64 = 15 * 60;

/// A successful sign-in.
pub struct SignedIn {
    pub token: String,
    pub user: SessionUser,
}

/// A hash that never verifies, checked for unknown users so both paths take as long.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0jKp3wP0pJ6V0tDqQbU8sJgqvTOEn4oM1e2xw2yS7Gg";

fn keys(username: &str, addr: &str) -> [String; 2] {
    [format!("user:{}", username.trim()), format!("addr:{addr}")]
}

fn locked_until(conn: &Connection, key: &str, now: i64) -> Result<Option<i64>, AccountError> {
    let until: Option<i64> = conn
        .query_row(
            "SELECT locked_until FROM sign_in_failures WHERE key = ?1",
            [key],
            |r| r.get(0),
        )
        .optional()?;
    Ok(until.filter(|until| *until > now))
}

/// Records a failure; returns the failure count within the window.
fn record_failure(conn: &Connection, key: &str, now: i64) -> Result<i64, AccountError> {
    let row: Option<(i64, i64)> = conn
        .query_row(
            "SELECT failures, first_at FROM sign_in_failures WHERE key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (failures, first_at) = match row {
        Some((failures, first_at)) if now - first_at <= LOCK_SECS => (failures + 1, first_at),
        _ => (1, now),
    };
    let locked_until = if failures >= LOCK_AFTER {
        now + LOCK_SECS
    } else {
        0
    };
    conn.execute(
        "INSERT INTO sign_in_failures (key, failures, first_at, locked_until) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (key) DO UPDATE SET failures = ?2, first_at = ?3, locked_until = ?4",
        params![key, failures, first_at, locked_until],
    )?;
    Ok(failures)
}

/// Checks a username and password from a client address and records the attempt,
/// successful or not, in the audit log at `at`. Throttling and session lifetimes are
/// measured in `now_secs` (elapsed wall-clock seconds, a security bound that the
/// library's calendar clock must not stretch). Slow on purpose (argon2): call from a
/// blocking task.
pub fn sign_in(
    conn: &Connection,
    username: &str,
    password: &str,
    addr: &str,
    now_secs: i64,
    at: Moment,
) -> Result<SignedIn, AccountError> {
    let result = check_credentials(conn, username, password, addr, now_secs);
    let event = match &result {
        Ok(signed_in) => AuditEvent::by(&Actor::user(&signed_in.user), AuditAction::SignIn)
            .detail(format!("from {addr}")),
        Err(err) => AuditEvent::anonymous(AuditAction::SignInFailed)
            .username(username)
            .detail(format!("from {addr}: {err}")),
    };
    event.record(conn, at)?;
    result
}

fn check_credentials(
    conn: &Connection,
    username: &str,
    password: &str,
    addr: &str,
    now: i64,
) -> Result<SignedIn, AccountError> {
    let keys = keys(username, addr);
    for key in &keys {
        if let Some(until) = locked_until(conn, key, now)? {
            return Err(AccountError::Locked {
                retry_after_secs: (until - now).max(1),
            });
        }
    }
    let row: Option<(i64, String)> = conn
        .query_row(
            "SELECT id, password_hash FROM users WHERE username = ?1 AND active = 1",
            [username.trim()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let verified = match &row {
        Some((_, hash)) => verify_password(password, hash),
        None => {
            verify_password(password, DUMMY_HASH);
            false
        }
    };
    match row {
        Some((user_id, _)) if verified => {
            conn.execute(
                "DELETE FROM sign_in_failures WHERE key IN (?1, ?2)",
                params![keys[0], keys[1]],
            )?;
            let (token, user) = create_session(conn, user_id, now)?;
            Ok(SignedIn { token, user })
        }
        _ => {
            let mut worst = 0;
            for key in &keys {
                worst = worst.max(record_failure(conn, key, now)?);
            }
            if worst >= LOCK_AFTER {
                return Err(AccountError::Locked {
                    retry_after_secs: LOCK_SECS,
                });
            }
            Err(AccountError::BadCredentials {
                delay_secs: (worst - FREE_FAILURES).max(0) as u64,
            })
        }
    }
}
