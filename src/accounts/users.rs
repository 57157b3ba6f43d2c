//! User accounts and their roles.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::AccountError;
use super::throttle::{self, Attempt};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;

/// What a user may do (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// An officer of one unit.
    Borrower,
    /// Committee staff curating the catalogue and loans.
    Librarian,
    /// Manages units and accounts.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Borrower => "borrower",
            Role::Librarian => "librarian",
            Role::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Result<Self, AccountError> {
        match value.trim() {
            "borrower" => Ok(Role::Borrower),
            "librarian" => Ok(Role::Librarian),
            "admin" => Ok(Role::Admin),
            other => Err(AccountError::invalid(
                "role",
                format!("“{other}”不是有效的角色；应为 borrower、librarian 或 admin"),
            )),
        }
    }
}

/// An account to create; `password_hash` is already hashed.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    pub roles: &'a [Role],
    pub unit: Option<&'a str>,
    /// Where the unit's notifications are mailed to this user (borrowers).
    pub email: Option<&'a str>,
}

/// An admin creates an account (a borrower must belong to a unit), with its audit
/// row, in one transaction.
pub fn create_user(
    conn: &mut Connection,
    actor: &Actor,
    user: &NewUser<'_>,
    at: Moment,
) -> Result<i64, AccountError> {
    if !actor.admin {
        return Err(AccountError::AdminsOnly);
    }
    let username = user.username.trim();
    if username.is_empty()
        || username.chars().count() > super::signin::MAX_USERNAME_CHARS
        || username.chars().any(char::is_whitespace)
    {
        return Err(AccountError::invalid(
            "username",
            "用户名不能为空、不能含空白，最长 64 个字符",
        ));
    }
    if user.roles.is_empty() {
        return Err(AccountError::invalid("role", "至少需要一个角色"));
    }
    if user.roles.contains(&Role::Borrower) && user.unit.is_none() {
        return Err(AccountError::invalid(
            "unit",
            "借阅人必须属于一个单位（--unit CODE）",
        ));
    }
    let email = user.email.map(str::trim).filter(|e| !e.is_empty());
    if let Some(email) = email
        && !plausible_email(email)
    {
        return Err(AccountError::invalid(
            "email",
            format!("邮箱地址“{email}”格式不正确，应如 name@example.cn"),
        ));
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if let Some(unit) = user.unit {
        let known: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM units WHERE code = ?1)",
            [unit],
            |r| r.get(0),
        )?;
        if !known {
            return Err(AccountError::UnknownUnit(unit.to_owned()));
        }
    }
    let taken: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1)",
        [username],
        |r| r.get(0),
    )?;
    if taken {
        return Err(AccountError::UserExists(username.to_owned()));
    }
    tx.execute(
        "INSERT INTO users (username, password_hash, unit_code, email, created_at, password_changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![username, user.password_hash, user.unit, email, at.stamp()],
    )?;
    let id = tx.last_insert_rowid();
    for role in user.roles {
        tx.execute(
            "INSERT OR IGNORE INTO user_roles (user_id, role) VALUES (?1, ?2)",
            params![id, role.as_str()],
        )?;
    }
    AuditEvent::by(actor, AuditAction::UserCreated)
        .detail(username)
        .record(&tx, at)?;
    tx.commit()?;
    Ok(id)
}

/// One `@` with something on both sides, a dot in the domain, no spaces or angle
/// brackets: enough to catch typos; the mail server has the last word.
fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.contains(|c: char| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c))
}

/// Whether any account exists yet.
pub fn any_user(conn: &Connection) -> Result<bool, AccountError> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM users)", [], |r| r.get(0))?)
}

/// What a person is called on papers such as the loan slip: the account's display
/// name, or its username when it has none; `None` for an unknown account.
pub fn display_name_of(conn: &Connection, user_id: i64) -> Result<Option<String>, AccountError> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT coalesce(nullif(trim(display_name), ''), username) FROM users WHERE id = ?1",
            [user_id],
            |r| r.get(0),
        )
        .optional()?)
}

pub use super::strength::validate_new_password;

/// Checks a new password for `username` and hashes it (slow: a blocking task).
pub fn hash_new_password(password: &str, username: &str) -> Result<String, AccountError> {
    validate_new_password(password, username)?;
    super::password::hash_password(password)
}

/// A change of one's own password, from a client address at `now_secs` (elapsed
/// wall-clock seconds, as sign-in's throttle counts).
pub struct PasswordChange<'a> {
    pub current: &'a str,
    pub new: &'a str,
    pub addr: &'a str,
    pub now_secs: i64,
}

/// A signed-in user changes their own password after giving the current one; every
/// session of theirs ends, so a stolen session does not survive the change. A wrong
/// current password counts as a failed sign-in of the account at that address, and
/// the fifth ends the user's sessions: whoever guesses holds a stolen session. Slow
/// on purpose (argon2): call from a blocking task, behind the hashing gate.
pub fn change_password(
    conn: &mut Connection,
    actor: &Actor,
    change: &PasswordChange<'_>,
    at: Moment,
) -> Result<(), AccountError> {
    let user_id = actor
        .user_id
        .ok_or_else(|| AccountError::UnknownUser(actor.username.clone()))?;
    validate_new_password(change.new, &actor.username)?;
    let attempt = Attempt {
        username: &actor.username,
        addr: change.addr,
        now: change.now_secs,
    };
    if let Some(retry_after_secs) = throttle::locked_for(conn, &attempt)? {
        return Err(AccountError::Locked { retry_after_secs });
    }
    let stored: String = conn.query_row(
        "SELECT password_hash FROM users WHERE id = ?1",
        [user_id],
        |r| r.get(0),
    )?;
    if super::password::verify_password(change.current, &stored) {
        return store_password(
            conn,
            actor,
            user_id,
            change.new,
            AuditAction::PasswordChanged,
            at,
        );
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let failure = throttle::record_failure(&tx, &attempt)?;
    let ended = failure.pair_failures >= throttle::LOCK_AFTER;
    if ended {
        super::sessions::end_all_sessions(&tx, user_id)?;
    }
    if failure.worth_auditing() || ended {
        let detail = super::signin::failure_detail(change.addr, &failure);
        AuditEvent::by(actor, AuditAction::SignInFailed)
            .detail(format!("wrong current password {detail}"))
            .record(&tx, at)?;
    }
    tx.commit()?;
    Err(if ended {
        AccountError::SessionEnded
    } else {
        AccountError::WrongPassword
    })
}

/// An admin sets another account's password; its sessions end.
pub fn reset_password(
    conn: &mut Connection,
    actor: &Actor,
    user_id: i64,
    new: &str,
    at: Moment,
) -> Result<(), AccountError> {
    if !actor.admin {
        return Err(AccountError::AdminsOnly);
    }
    let username: String = conn
        .query_row("SELECT username FROM users WHERE id = ?1", [user_id], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or_else(|| AccountError::UnknownUser(user_id.to_string()))?;
    validate_new_password(new, &username)?;
    store_password(conn, actor, user_id, new, AuditAction::PasswordReset, at)
}

/// Writes the new hash, ends the user's sessions and records `action`, in one
/// transaction.
fn store_password(
    conn: &mut Connection,
    actor: &Actor,
    user_id: i64,
    new: &str,
    action: AuditAction,
    at: Moment,
) -> Result<(), AccountError> {
    let hash = super::password::hash_password(new)?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let changed = tx.execute(
        "UPDATE users SET password_hash = ?2, password_changed_at = ?3 WHERE id = ?1",
        params![user_id, hash, at.stamp()],
    )?;
    if changed == 0 {
        return Err(AccountError::UnknownUser(user_id.to_string()));
    }
    super::sessions::end_all_sessions(&tx, user_id)?;
    let event = AuditEvent::by(actor, action);
    let event = if action == AuditAction::PasswordReset {
        event.detail(user_id.to_string())
    } else {
        event
    };
    event.record(&tx, at)?;
    tx.commit()?;
    Ok(())
}

/// An account as admins see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserSummary {
    pub id: i64,
    pub username: String,
    pub roles: Vec<Role>,
    pub unit: Option<String>,
    pub active: bool,
    pub created_at: String,
}

/// Every account, by username.
pub fn list_users(conn: &Connection) -> Result<Vec<UserSummary>, AccountError> {
    let mut stmt = conn.prepare_cached(
        "SELECT u.id, u.username, u.unit_code, u.active, u.created_at,
                (SELECT group_concat(role) FROM user_roles r WHERE r.user_id = u.id)
         FROM users u ORDER BY u.username",
    )?;
    let users = stmt
        .query_map([], |row| {
            let roles: Option<String> = row.get(5)?;
            Ok(UserSummary {
                id: row.get(0)?,
                username: row.get(1)?,
                unit: row.get(2)?,
                active: row.get(3)?,
                created_at: row.get(4)?,
                roles: roles
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|r| Role::parse(r).ok())
                    .collect(),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(users)
}

/// An admin enables or disables an account; disabling ends its sessions. Recorded
/// in the same transaction.
pub fn set_active(
    conn: &mut Connection,
    actor: &Actor,
    user_id: i64,
    active: bool,
    at: Moment,
) -> Result<(), AccountError> {
    if !actor.admin {
        return Err(AccountError::AdminsOnly);
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let changed = tx.execute(
        "UPDATE users SET active = ?2 WHERE id = ?1",
        params![user_id, active],
    )?;
    if changed == 0 {
        return Err(AccountError::UnknownUser(user_id.to_string()));
    }
    if !active {
        super::sessions::end_all_sessions(&tx, user_id)?;
    }
    let action = if active {
        AuditAction::UserEnabled
    } else {
        AuditAction::UserDisabled
    };
    AuditEvent::by(actor, action)
        .detail(user_id.to_string())
        .record(&tx, at)?;
    tx.commit()?;
    Ok(())
}
