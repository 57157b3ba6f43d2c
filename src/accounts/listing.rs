//! Accounts as admins list them: name, roles, unit, state, whether a password is set.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use super::AccountError;
use super::users::Role;

/// An account as admins see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserSummary {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub unit: Option<String>,
    pub unit_name: Option<String>,
    pub email: Option<String>,
    pub active: bool,
    /// Whether the unit was deactivated (then the account cannot sign in either).
    pub unit_active: bool,
    /// False for an account created from a sheet whose link was not used yet.
    pub has_password: bool,
    pub created_at: String,
}

const SUMMARY_SELECT: &str =
    "SELECT u.id, u.username, u.display_name, u.unit_code, n.name, u.email,
        u.active, coalesce(n.active, 1), u.password_hash != '!', u.created_at,
        (SELECT group_concat(role) FROM user_roles r WHERE r.user_id = u.id)
     FROM users u LEFT JOIN units n ON n.code = u.unit_code";

fn summary_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UserSummary> {
    let roles: Option<String> = row.get(10)?;
    let mut roles: Vec<Role> = roles
        .unwrap_or_default()
        .split(',')
        .filter_map(|r| Role::parse(r).ok())
        .collect();
    roles.sort_by_key(|r| *r as u8);
    Ok(UserSummary {
        id: row.get(0)?,
        username: row.get(1)?,
        display_name: row.get(2)?,
        unit: row.get(3)?,
        unit_name: row.get(4)?,
        email: row.get(5)?,
        active: row.get(6)?,
        unit_active: row.get(7)?,
        has_password: row.get(8)?,
        created_at: row.get(9)?,
        roles,
    })
}

/// Every account, by username.
pub fn list_users(conn: &Connection) -> Result<Vec<UserSummary>, AccountError> {
    let mut stmt = conn.prepare_cached(&format!("{SUMMARY_SELECT} ORDER BY u.username"))?;
    let users = stmt.query_map([], summary_row)?.collect::<Result<_, _>>()?;
    Ok(users)
}

/// One account, if it exists.
pub fn user_summary(conn: &Connection, user_id: i64) -> Result<Option<UserSummary>, AccountError> {
    Ok(conn
        .prepare_cached(&format!("{SUMMARY_SELECT} WHERE u.id = ?1"))?
        .query_row([user_id], summary_row)
        .optional()?)
}
