//! Checking credentials, throttled per account at an address and per address (see
//! [`super::throttle`]).

use rusqlite::{Connection, OptionalExtension};

use super::AccountError;
use super::password::verify_password;
use super::sessions::{SessionUser, create_session};
use super::throttle::{self, Attempt};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;

/// The longest username an account can have (the rule of account creation); a longer
/// one typed at sign-in is cut to this before it is stored anywhere.
pub const MAX_USERNAME_CHARS: usize = 64;

/// A successful sign-in.
pub struct SignedIn {
    pub token: String,
    pub user: SessionUser,
}

/// A hash that never verifies, checked for unknown users so both paths take as long.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0jKp3wP0pJ6V0tDqQbU8sJgqvTOEn4oM1e2xw2yS7Gg";

/// A username as it may be stored or logged: trimmed and cut to the longest a
/// username can be; and whether it was cut (then it names no account).
pub fn capped_username(typed: &str) -> (String, bool) {
    let trimmed = typed.trim();
    let capped: String = trimmed.chars().take(MAX_USERNAME_CHARS).collect();
    let cut = capped.len() < trimmed.len();
    (capped, cut)
}

/// Checks a username and password from a client address, and records the outcome:
/// a session and an audit row, or a counted failure (audited when it starts a window
/// or locks). Throttling and session lifetimes are measured in `now_secs` (elapsed
/// wall-clock seconds, a security bound that the library's calendar clock must not
/// stretch). Slow on purpose (argon2): call from a blocking task, behind the
/// [`super::password::HashingGate`].
pub fn sign_in(
    conn: &mut Connection,
    username: &str,
    password: &str,
    addr: &str,
    now_secs: i64,
    at: Moment,
) -> Result<SignedIn, AccountError> {
    let (name, cut) = capped_username(username);
    let attempt = Attempt {
        username: &name,
        addr,
        now: now_secs,
    };
    // A locked attempt is refused before any hashing, and writes nothing.
    if let Some(retry_after_secs) = throttle::locked_for(conn, &attempt)? {
        return Err(AccountError::Locked { retry_after_secs });
    }
    let checked = if cut {
        Checked::Wrong
    } else {
        check_password(conn, &name, password)?
    };
    // The hash is done: the writes are quick, in one transaction.
    let tx = crate::db::begin_write(conn)?;
    let outcome = match checked {
        Checked::Right(user_id) => {
            throttle::clear_account(&tx, &attempt)?;
            let (token, user) = create_session(&tx, user_id, now_secs)?;
            AuditEvent::by(&Actor::user(&user), AuditAction::SignIn)
                .detail(format!("from {addr}"))
                .record(&tx, at)?;
            Ok(SignedIn { token, user })
        }
        // The right password of an account that may not sign in: no guess, so not
        // counted, but said in words (only to someone who knows the password).
        Checked::Refused(refusal) => {
            AuditEvent::anonymous(AuditAction::SignInFailed)
                .username(&name)
                .detail(format!("from {addr}: {refusal}"))
                .record(&tx, at)?;
            Err(refusal)
        }
        Checked::Wrong => {
            let failure = throttle::record_failure(&tx, &attempt)?;
            if failure.worth_auditing() {
                AuditEvent::anonymous(AuditAction::SignInFailed)
                    .username(&name)
                    .detail(failure_detail(addr, &failure))
                    .record(&tx, at)?;
            }
            Err(failure.into_error())
        }
    };
    tx.commit()?;
    outcome
}

/// The audit detail of a counted failure.
pub(super) fn failure_detail(addr: &str, failure: &throttle::Failure) -> String {
    let mut detail = format!(
        "from {addr}: failure {} of this account here, {} of this address",
        failure.pair_failures, failure.addr_failures
    );
    if let Some(secs) = failure.locked_for {
        detail.push_str(&format!("; locked for {secs} s"));
    }
    detail
}

/// What checking a password found.
enum Checked {
    /// The right password of an account that may sign in.
    Right(i64),
    /// The right password of a disabled account or of a deactivated unit's.
    Refused(AccountError),
    /// An unknown account or a wrong password.
    Wrong,
}

/// Checks the password of `username`. Unknown names, and accounts that have no
/// password yet, cost a hash too, so that timing does not tell which accounts exist.
fn check_password(
    conn: &Connection,
    username: &str,
    password: &str,
) -> Result<Checked, AccountError> {
    let row: Option<(i64, String, bool, Option<String>, bool)> = conn
        .query_row(
            "SELECT u.id, u.password_hash, u.active, n.name, coalesce(n.active, 1) FROM users u
             LEFT JOIN units n ON n.code = u.unit_code WHERE u.username = ?1",
            [username],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((id, hash, active, unit_name, unit_active)) = row else {
        verify_password(password, DUMMY_HASH);
        return Ok(Checked::Wrong);
    };
    if hash == super::users::NO_PASSWORD {
        verify_password(password, DUMMY_HASH);
        return Ok(Checked::Wrong);
    }
    if !verify_password(password, &hash) {
        return Ok(Checked::Wrong);
    }
    Ok(match (active, unit_active) {
        (true, true) => Checked::Right(id),
        (false, _) => Checked::Refused(AccountError::AccountDisabled),
        (true, false) => {
            Checked::Refused(AccountError::UnitInactive(unit_name.unwrap_or_default()))
        }
    })
}
