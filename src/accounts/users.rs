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

    /// Every role, in the order forms list them.
    pub const ALL: [Role; 3] = [Role::Borrower, Role::Librarian, Role::Admin];

    /// The role's name on pages and in sheets.
    pub fn label(self) -> &'static str {
        match self {
            Role::Borrower => "借阅人",
            Role::Librarian => "资料室管理员",
            Role::Admin => "系统管理员",
        }
    }

    /// A role by its code (`borrower`) or its name on pages (`借阅人`), as a sheet
    /// may give it.
    pub fn parse_any(value: &str) -> Option<Self> {
        let value = value.trim();
        Self::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(value) || role.label() == value)
            .or(match value {
                "借阅" | "单位借阅人" => Some(Role::Borrower),
                "图书管理员" | "馆员" | "资料室" => Some(Role::Librarian),
                _ => None,
            })
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

/// The stored hash of an account that has no password yet (created from a sheet):
/// no password verifies against it; a set-password link gives it one.
pub const NO_PASSWORD: &str = "!";

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
    let tx = crate::db::begin_write(conn)?;
    let id = insert_user(&tx, actor, user, "", at)?;
    tx.commit()?;
    Ok(id)
}

/// Checks a username as account creation requires it: not empty, no white space, at
/// most 64 characters.
fn check_username(username: &str) -> Result<(), AccountError> {
    if username.is_empty()
        || username.chars().count() > super::signin::MAX_USERNAME_CHARS
        || username
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(AccountError::invalid(
            "username",
            "用户名不能为空、不能含空白，最长 64 个字符",
        ));
    }
    Ok(())
}

/// A display name as stored: trimmed, at most 50 characters, no control characters.
pub(super) fn checked_display_name(typed: &str) -> Result<String, AccountError> {
    let name = typed.trim();
    if name.chars().count() > 50 || name.chars().any(char::is_control) {
        return Err(AccountError::invalid(
            "display_name",
            "姓名最长 50 个字符，且不能含控制字符",
        ));
    }
    Ok(name.to_owned())
}

/// At least one role, and a borrower belongs to a unit.
pub(super) fn check_roles(roles: &[Role], unit: Option<&str>) -> Result<(), AccountError> {
    if roles.is_empty() {
        return Err(AccountError::invalid("role", "至少需要一个角色"));
    }
    if roles.contains(&Role::Borrower) && unit.is_none() {
        return Err(AccountError::invalid(
            "unit",
            "借阅人必须属于一个单位（--unit CODE）",
        ));
    }
    Ok(())
}

/// A unit an account may be put in: known and active.
pub(super) fn check_unit_open(conn: &Connection, unit: &str) -> Result<(), AccountError> {
    match super::units::is_active(conn, unit)? {
        None => Err(AccountError::UnknownUnit(unit.to_owned())),
        Some(false) => Err(AccountError::invalid(
            "unit",
            format!("单位“{unit}”已停用，不能为其新建或调入账号"),
        )),
        Some(true) => Ok(()),
    }
}

/// Checks and writes a new account with its roles and audit row, in the caller's
/// transaction (one account, or every row of a sheet).
pub(super) fn insert_user(
    tx: &Connection,
    actor: &Actor,
    user: &NewUser<'_>,
    display_name: &str,
    at: Moment,
) -> Result<i64, AccountError> {
    let username = user.username.trim();
    check_username(username)?;
    let display_name = checked_display_name(display_name)?;
    let email = match user.email {
        Some(typed) => super::contact::optional_email("email", typed)?,
        None => None,
    };
    check_roles(user.roles, user.unit)?;
    if let Some(unit) = user.unit {
        check_unit_open(tx, unit)?;
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
        "INSERT INTO users (username, display_name, password_hash, unit_code, email, created_at,
                            password_changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![
            username,
            display_name,
            user.password_hash,
            user.unit,
            email,
            at.stamp()
        ],
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
        .record(tx, at)?;
    Ok(id)
}

/// One `@` with something on both sides, a dot in the domain, no spaces or angle
/// brackets: enough to catch typos; the mail server has the last word.
pub fn plausible_email(email: &str) -> bool {
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
    let tx = crate::db::begin_write(conn)?;
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
    let tx = crate::db::begin_write(conn)?;
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

pub use super::listing::{UserSummary, list_users, user_summary};

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
    if !active && actor.user_id == Some(user_id) {
        return Err(AccountError::OwnAccount(
            "不能停用自己的账号：停用后您将立即退出且无法再登录。如确需停用，请由另一位管理员操作。",
        ));
    }
    let tx = crate::db::begin_write(conn)?;
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
