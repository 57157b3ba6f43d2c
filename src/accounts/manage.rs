//! An admin's work on accounts in the browser: creating one without a password (its
//! owner sets one through a link), changing its name, roles, unit and e-mail, and
//! lifting a sign-in lock. Each is one transaction with its audit row.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;

use super::AccountError;
use super::links::{IssuedLink, Purpose};
use super::users::{self, NO_PASSWORD, NewUser, Role, UserSummary};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;

/// An account as an admin types it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AccountInput {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub unit: Option<String>,
    pub email: Option<String>,
}

impl AccountInput {
    /// The unit, blank meaning none.
    fn unit(&self) -> Option<&str> {
        self.unit
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
    }
}

/// An admin creates an account without a password and its set-password link
/// ([`super::links`], mailed when `mail_base` is given and the account has an
/// e-mail address), in one transaction with their audit rows.
pub fn create_account(
    conn: &mut Connection,
    actor: &Actor,
    input: &AccountInput,
    mail_base: Option<&str>,
    at: Moment,
) -> Result<IssuedLink, AccountError> {
    if !actor.admin {
        return Err(AccountError::AdminsOnly);
    }
    let tx = crate::db::begin_write(conn)?;
    let id = insert_account(&tx, actor, input, at)?;
    let link = super::links::issue_in(&tx, actor, id, Purpose::Welcome, mail_base, at)?;
    tx.commit()?;
    Ok(link)
}

/// Writes a new account without a password in the caller's transaction.
pub(super) fn insert_account(
    tx: &Connection,
    actor: &Actor,
    input: &AccountInput,
    at: Moment,
) -> Result<i64, AccountError> {
    let user = NewUser {
        username: &input.username,
        password_hash: NO_PASSWORD,
        roles: &input.roles,
        unit: input.unit(),
        email: input.email.as_deref(),
    };
    users::insert_user(tx, actor, &user, &input.display_name, at)
}

/// What an admin may change of an existing account (its username stays).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AccountChange {
    pub display_name: String,
    pub roles: Vec<Role>,
    pub unit: Option<String>,
    pub email: Option<String>,
}

/// An admin changes an account's display name, roles, unit and e-mail; the audit
/// row lists what changed. An admin may not take away their own admin role.
pub fn update_account(
    conn: &mut Connection,
    actor: &Actor,
    user_id: i64,
    change: &AccountChange,
    at: Moment,
) -> Result<UserSummary, AccountError> {
    if !actor.admin {
        return Err(AccountError::AdminsOnly);
    }
    if actor.user_id == Some(user_id) && !change.roles.contains(&Role::Admin) {
        return Err(AccountError::OwnAccount(
            "不能取消自己的系统管理员角色：取消后您将立即失去管理权限，也可能再没有人能管理账号。如确需取消，请由另一位管理员操作。",
        ));
    }
    let display_name = users::checked_display_name(&change.display_name)?;
    let email = match change.email.as_deref() {
        Some(typed) => super::contact::optional_email("email", typed)?,
        None => None,
    };
    let unit = change
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let mut roles = change.roles.clone();
    roles.sort_by_key(|r| *r as u8);
    roles.dedup();
    let tx = crate::db::begin_write(conn)?;
    let before = users::user_summary(&tx, user_id)?
        .ok_or_else(|| AccountError::UnknownUser(user_id.to_string()))?;
    users::check_roles(&roles, unit)?;
    // A unit that stays may have been deactivated since; only a move into one is refused.
    if let Some(unit) = unit.filter(|u| before.unit.as_deref() != Some(*u)) {
        users::check_unit_open(&tx, unit)?;
    }
    let role_words = |roles: &[Role]| {
        roles
            .iter()
            .map(|r| r.label())
            .collect::<Vec<_>>()
            .join("、")
    };
    let (before_roles, after_roles) = (role_words(&before.roles), role_words(&roles));
    let changes = super::described_changes([
        ("姓名", &before.display_name, &display_name),
        ("角色", &before_roles, &after_roles),
        (
            "单位",
            before.unit.as_deref().unwrap_or_default(),
            unit.unwrap_or_default(),
        ),
        (
            "邮箱",
            before.email.as_deref().unwrap_or_default(),
            email.as_deref().unwrap_or_default(),
        ),
    ]);
    if changes.is_empty() {
        return Ok(before);
    }
    tx.execute(
        "UPDATE users SET display_name = ?2, unit_code = ?3, email = ?4 WHERE id = ?1",
        params![user_id, display_name, unit, email],
    )?;
    tx.execute("DELETE FROM user_roles WHERE user_id = ?1", [user_id])?;
    for role in &roles {
        tx.execute(
            "INSERT INTO user_roles (user_id, role) VALUES (?1, ?2)",
            params![user_id, role.as_str()],
        )?;
    }
    AuditEvent::by(actor, AuditAction::UserUpdated)
        .detail(format!("{}：{changes}", before.username))
        .record(&tx, at)?;
    let after = users::user_summary(&tx, user_id)?
        .ok_or_else(|| AccountError::UnknownUser(user_id.to_string()))?;
    tx.commit()?;
    Ok(after)
}

/// The sign-in locks of an account now (`now_secs`: wall-clock seconds, as the
/// throttle counts).
pub fn sign_in_locks(
    conn: &Connection,
    user_id: i64,
    now_secs: i64,
) -> Result<Vec<super::throttle::AccountLock>, AccountError> {
    let username: Option<String> = conn
        .query_row("SELECT username FROM users WHERE id = ?1", [user_id], |r| {
            r.get(0)
        })
        .optional()?;
    match username {
        Some(username) => super::throttle::account_locks(conn, &username, now_secs),
        None => Err(AccountError::UnknownUser(user_id.to_string())),
    }
}

/// An admin lifts the sign-in locks of an account: its failure counts at every
/// address, and the lock of each address it was locked at. Answers how many
/// counters were cleared; audited when there was any.
pub fn unlock_sign_in(
    conn: &mut Connection,
    actor: &Actor,
    user_id: i64,
    now_secs: i64,
    at: Moment,
) -> Result<usize, AccountError> {
    if !actor.admin {
        return Err(AccountError::AdminsOnly);
    }
    let tx = crate::db::begin_write(conn)?;
    let username: String = tx
        .query_row("SELECT username FROM users WHERE id = ?1", [user_id], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or_else(|| AccountError::UnknownUser(user_id.to_string()))?;
    let cleared = super::throttle::unlock_account(&tx, &username, now_secs)?;
    if cleared > 0 {
        AuditEvent::by(actor, AuditAction::SignInUnlocked)
            .detail(format!("{username}：清除 {cleared} 项登录失败计数"))
            .record(&tx, at)?;
    }
    tx.commit()?;
    Ok(cleared)
}
