//! User accounts and their roles.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::AccountError;

/// What a user may do (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// Creates an account; a borrower must belong to a unit.
pub fn create_user(conn: &mut Connection, user: &NewUser<'_>) -> Result<i64, AccountError> {
    let username = user.username.trim();
    if username.is_empty()
        || username.chars().count() > 64
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
    let now = jiff::Timestamp::now().to_string();
    tx.execute(
        "INSERT INTO users (username, password_hash, unit_code, created_at, password_changed_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        params![username, user.password_hash, user.unit, now],
    )?;
    let id = tx.last_insert_rowid();
    for role in user.roles {
        tx.execute(
            "INSERT OR IGNORE INTO user_roles (user_id, role) VALUES (?1, ?2)",
            params![id, role.as_str()],
        )?;
    }
    tx.commit()?;
    Ok(id)
}

/// Whether any account exists yet.
pub fn any_user(conn: &Connection) -> Result<bool, AccountError> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM users)", [], |r| r.get(0))?)
}
