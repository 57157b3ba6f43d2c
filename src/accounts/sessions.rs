//! Server-side sessions: a random token in the cookie, only its hash in the database;
//! sessions end after inactivity, on sign-out and on a password change.

use crate::actor::Actor;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::AccountError;
use super::users::Role;

/// A session ends after this long without a request.
pub const IDLE_TIMEOUT_SECS: i64 = 2 * 60 * 60;
/// And in any case this long after sign-in.
pub const ABSOLUTE_TIMEOUT_SECS: i64 = 12 * 60 * 60;
/// `last_seen_at` is refreshed at most this often, to spare a write per request.
const TOUCH_INTERVAL_SECS: i64 = 60;

/// The signed-in user behind a request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionUser {
    pub user_id: i64,
    pub username: String,
    /// The name people know the user by (may be empty: then the username is shown).
    pub display_name: String,
    pub roles: Vec<Role>,
    pub unit: Option<String>,
    pub unit_name: Option<String>,
    pub unit_sector: Option<String>,
    /// Token that HTML forms of this session must carry.
    #[serde(skip)]
    pub csrf_token: String,
}

impl Actor {
    /// The signed-in user as the use cases see them.
    pub fn user(user: &SessionUser) -> Self {
        Self {
            user_id: Some(user.user_id),
            username: user.username.clone(),
            unit: user.unit.clone(),
            librarian: user.is_librarian(),
            admin: user.is_admin(),
        }
    }
}

impl SessionUser {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_librarian(&self) -> bool {
        self.has_role(Role::Librarian)
    }

    pub fn is_admin(&self) -> bool {
        self.has_role(Role::Admin)
    }

    /// The display name, or the username when none is set.
    pub fn shown_name(&self) -> &str {
        match self.display_name.trim() {
            "" => &self.username,
            name => name,
        }
    }
}

/// The SHA-256 of a secret token as hex: what the database keeps instead of it.
pub(super) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 32 random bytes as hex.
pub fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

/// Loads an active user of an active unit (or of none) with roles and unit.
pub fn load_user(conn: &Connection, user_id: i64) -> Result<Option<SessionUser>, AccountError> {
    // Cached statements: this runs on every signed-in request.
    let row = conn
        .prepare_cached(
            "SELECT u.username, u.unit_code, n.name, n.sector, u.display_name FROM users u
             LEFT JOIN units n ON n.code = u.unit_code
             WHERE u.id = ?1 AND u.active = 1 AND coalesce(n.active, 1) = 1",
        )?
        .query_row([user_id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, String>(4)?,
            ))
        })
        .optional()?;
    let Some((username, unit, unit_name, unit_sector, display_name)) = row else {
        return Ok(None);
    };
    let mut stmt =
        conn.prepare_cached("SELECT role FROM user_roles WHERE user_id = ?1 ORDER BY role")?;
    let roles = stmt
        .query_map([user_id], |row| row.get::<_, String>(0))?
        .filter_map(|role| role.ok().and_then(|r| Role::parse(&r).ok()))
        .collect();
    Ok(Some(SessionUser {
        user_id,
        username,
        display_name,
        roles,
        unit,
        unit_name,
        unit_sector,
        csrf_token: String::new(),
    }))
}

/// Starts a session; returns the cookie token and the user.
pub fn create_session(
    conn: &Connection,
    user_id: i64,
    now: i64,
) -> Result<(String, SessionUser), AccountError> {
    let token = random_secret();
    let csrf = random_secret();
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?4)",
        params![token_hash(&token), user_id, csrf, now],
    )?;
    // Expired sessions of anyone are swept on sign-in, which is rare enough.
    conn.execute(
        "DELETE FROM sessions WHERE last_seen_at < ?1 OR created_at < ?2",
        params![now - IDLE_TIMEOUT_SECS, now - ABSOLUTE_TIMEOUT_SECS],
    )?;
    let mut user = load_user(conn, user_id)?
        .ok_or_else(|| AccountError::invalid("user", "账号不存在或已停用"))?;
    user.csrf_token = csrf;
    Ok((token, user))
}

/// The user of a live session, refreshing its idle timer; `None` when the token is
/// unknown, expired or its account is disabled.
pub fn lookup_session(
    conn: &Connection,
    token: &str,
    now: i64,
) -> Result<Option<SessionUser>, AccountError> {
    let hash = token_hash(token);
    let row = conn
        .prepare_cached(
            "SELECT user_id, csrf_token, created_at, last_seen_at FROM sessions WHERE token_hash = ?1",
        )?
        .query_row(
            [&hash],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?, row.get::<_, i64>(3)?)),
        )
        .optional()?;
    let Some((user_id, csrf, created_at, last_seen_at)) = row else {
        return Ok(None);
    };
    if now - last_seen_at > IDLE_TIMEOUT_SECS || now - created_at > ABSOLUTE_TIMEOUT_SECS {
        conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [&hash])?;
        return Ok(None);
    }
    if now - last_seen_at >= TOUCH_INTERVAL_SECS {
        conn.execute(
            "UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1",
            params![hash, now],
        )?;
    }
    let Some(mut user) = load_user(conn, user_id)? else {
        return Ok(None);
    };
    user.csrf_token = csrf;
    Ok(Some(user))
}

/// Ends one session (sign-out).
pub fn end_session(conn: &Connection, token: &str) -> Result<(), AccountError> {
    conn.execute(
        "DELETE FROM sessions WHERE token_hash = ?1",
        [token_hash(token)],
    )?;
    Ok(())
}

/// Ends every session of a user (password change, account disabled).
pub fn end_all_sessions(conn: &Connection, user_id: i64) -> Result<(), AccountError> {
    conn.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])?;
    Ok(())
}
