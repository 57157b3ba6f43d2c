//! Saving, listing and deleting an account's searches, their secret feed addresses
//! (and the account's whole-library feed address), and reading their matches.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use super::AlertError;
use crate::accounts::SessionUser;
use crate::accounts::policy::can_see_resource;
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::catalog::Status;
use crate::clock::Moment;
use crate::search::{Audience, SearchParams};

/// Saved searches one account may keep.
pub const MAX_SAVED: usize = 50;
/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest query string, in characters.
pub const MAX_QUERY_CHARS: usize = 2000;

/// What a person asks to save: a name and a search URL's query string.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct SavedSearchInput {
    /// 1–100 characters, e.g. "中秋月饼案例".
    pub name: String,
    /// A search URL's query string, e.g. `q=月饼&kind=case` (a leading `?` or
    /// `/search?` is accepted).
    pub query: String,
}

/// A saved search of the signed-in account.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SavedSearch {
    pub id: i64,
    pub name: String,
    /// The query string in a fixed order, without paging: `/search?{query}` reruns it.
    pub query: String,
    pub created_at: String,
    /// Matches not yet read in the app.
    pub unread: u64,
    /// The secret of its feed address (`/feeds/{token}.atom`); the web layer shows the
    /// whole address.
    #[serde(skip)]
    pub feed_token: String,
}

/// A newly published resource that matched a saved search.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchMatch {
    pub resource_id: String,
    pub title: String,
    pub kind: String,
    pub matched_at: String,
    /// Whether it was marked read in the app.
    pub read: bool,
}

/// The account behind `actor`: only a person keeps saved searches.
pub(super) fn owner(actor: &Actor) -> Result<i64, AlertError> {
    actor.user_id.ok_or(AlertError::NoAccount)
}

/// Runs `work` in one write transaction.
pub(super) fn write<T>(
    conn: &mut Connection,
    work: impl FnOnce(&Transaction<'_>) -> Result<T, AlertError>,
) -> Result<T, AlertError> {
    let tx = crate::db::begin_write(conn)?;
    let out = work(&tx)?;
    tx.commit()?;
    Ok(out)
}

/// The trimmed name, or why it cannot be one.
fn checked_name(name: &str) -> Result<String, AlertError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 {
        return Err(AlertError::invalid("name", "请填写订阅搜索的名称"));
    }
    if chars > MAX_NAME_CHARS {
        return Err(AlertError::invalid(
            "name",
            format!("名称最多 {MAX_NAME_CHARS} 个字，收到 {chars} 个"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AlertError::invalid("name", "名称中不能有换行或控制字符"));
    }
    Ok(name.to_owned())
}

/// The query string in its fixed form, checked as the search itself checks it: a
/// query that the search page would refuse cannot be saved.
pub fn checked_query(query: &str) -> Result<String, AlertError> {
    let too_long = |got: usize| {
        AlertError::invalid(
            "query",
            format!("检索条件过长：最多 {MAX_QUERY_CHARS} 个字符，收到 {got} 个"),
        )
    };
    let query = query.trim();
    let got = query.chars().count();
    if got > MAX_QUERY_CHARS {
        return Err(too_long(got));
    }
    // A whole search address (`/search?q=…`) is taken for its query string.
    let query = match query.split_once('?') {
        Some((before, after)) if !before.contains(['=', '&']) => after,
        _ => query,
    };
    let params = SearchParams::from_query_string(query)
        .map_err(|err| AlertError::invalid("query", err.to_string()))?;
    params
        .request_for(Audience::librarian())
        .and_then(|request| request.check())
        .map_err(|err| AlertError::invalid("query", err.to_string()))?;
    let canonical = params.canonical();
    let got = canonical.chars().count();
    if got > MAX_QUERY_CHARS {
        return Err(too_long(got));
    }
    Ok(canonical)
}

/// Saves a search for the acting account, with its own feed address.
pub fn save(
    conn: &mut Connection,
    actor: &Actor,
    input: &SavedSearchInput,
    at: Moment,
) -> Result<SavedSearch, AlertError> {
    let user_id = owner(actor)?;
    let name = checked_name(&input.name)?;
    let query = checked_query(&input.query)?;
    write(conn, |tx| {
        let kept: i64 = tx.query_row(
            "SELECT count(*) FROM saved_searches WHERE user_id = ?1",
            [user_id],
            |row| row.get(0),
        )?;
        if kept >= MAX_SAVED as i64 {
            return Err(AlertError::TooMany { max: MAX_SAVED });
        }
        let token = crate::accounts::sessions::random_secret();
        tx.execute(
            "INSERT INTO saved_searches (user_id, name, query, feed_token, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![user_id, name, query, token, at.stamp()],
        )?;
        let id = tx.last_insert_rowid();
        AuditEvent::by(actor, AuditAction::SavedSearchCreated)
            .detail(format!("保存订阅搜索“{name}”（{query}）"))
            .record(tx, at)?;
        found(tx, user_id, id)
    })
}

const COLUMNS: &str = "s.id, s.name, s.query, s.created_at, s.feed_token,
    (SELECT count(*) FROM saved_search_matches m JOIN resources r ON r.id = m.resource_id
     WHERE m.saved_search_id = s.id AND m.read_at IS NULL AND r.status = 'published')";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SavedSearch> {
    Ok(SavedSearch {
        id: row.get(0)?,
        name: row.get(1)?,
        query: row.get(2)?,
        created_at: row.get(3)?,
        feed_token: row.get(4)?,
        unread: row.get(5)?,
    })
}

/// The saved search `id` of account `user_id`; another account's is not found.
fn found(conn: &Connection, user_id: i64, id: i64) -> Result<SavedSearch, AlertError> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM saved_searches s WHERE s.id = ?1 AND s.user_id = ?2"
    ))?
    .query_row(params![id, user_id], from_row)
    .optional()?
    .ok_or(AlertError::NotFound(id))
}

/// The acting account's saved searches, oldest first.
pub fn list(conn: &Connection, actor: &Actor) -> Result<Vec<SavedSearch>, AlertError> {
    let user_id = owner(actor)?;
    let listed = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM saved_searches s WHERE s.user_id = ?1 ORDER BY s.id"
        ))?
        .query_map([user_id], from_row)?
        .collect::<Result<_, _>>()?;
    Ok(listed)
}

/// One of the acting account's saved searches.
pub fn get(conn: &Connection, actor: &Actor, id: i64) -> Result<SavedSearch, AlertError> {
    found(conn, owner(actor)?, id)
}

/// Deletes one of the acting account's saved searches, its matches and its feed.
pub fn delete(conn: &mut Connection, actor: &Actor, id: i64, at: Moment) -> Result<(), AlertError> {
    let user_id = owner(actor)?;
    write(conn, |tx| {
        let search = found(tx, user_id, id)?;
        tx.execute("DELETE FROM saved_searches WHERE id = ?1", [id])?;
        AuditEvent::by(actor, AuditAction::SavedSearchDeleted)
            .detail(format!("删除订阅搜索“{}”（{}）", search.name, search.query))
            .record(tx, at)?;
        Ok(())
    })
}

/// Gives one of the acting account's saved searches a new feed address; the old one
/// stops working.
pub fn rotate_feed(
    conn: &mut Connection,
    actor: &Actor,
    id: i64,
    at: Moment,
) -> Result<SavedSearch, AlertError> {
    let user_id = owner(actor)?;
    write(conn, |tx| {
        let search = found(tx, user_id, id)?;
        tx.execute(
            "UPDATE saved_searches SET feed_token = ?2 WHERE id = ?1",
            params![id, crate::accounts::sessions::random_secret()],
        )?;
        AuditEvent::by(actor, AuditAction::SearchFeedRotated)
            .detail(format!("更换订阅搜索“{}”的订阅源地址", search.name))
            .record(tx, at)?;
        found(tx, user_id, id)
    })
}

/// The secret of the acting account's whole-library feed, made on first use;
/// `rotate` replaces it (the old address stops working).
pub fn library_feed_token(
    conn: &mut Connection,
    actor: &Actor,
    rotate: bool,
    at: Moment,
) -> Result<String, AlertError> {
    let user_id = owner(actor)?;
    write(conn, |tx| {
        let existing: Option<String> = tx
            .query_row(
                "SELECT token FROM feed_tokens WHERE user_id = ?1",
                [user_id],
                |row| row.get(0),
            )
            .optional()?;
        if let (Some(token), false) = (&existing, rotate) {
            return Ok(token.clone());
        }
        let token = crate::accounts::sessions::random_secret();
        tx.execute(
            "INSERT INTO feed_tokens (user_id, token, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (user_id) DO UPDATE SET token = excluded.token,
                                                 created_at = excluded.created_at",
            params![user_id, token, at.stamp()],
        )?;
        if existing.is_some() {
            AuditEvent::by(actor, AuditAction::SearchFeedRotated)
                .detail("更换全库新资源订阅源地址")
                .record(tx, at)?;
        }
        Ok(token)
    })
}

/// The newest `limit` matches of saved search `id` (unread first) that the acting
/// account may still see: a resource withdrawn since, or no longer shared with the
/// account's unit, drops out.
pub fn matches(
    conn: &Connection,
    actor: &Actor,
    id: i64,
    limit: usize,
) -> Result<Vec<SearchMatch>, AlertError> {
    let user_id = owner(actor)?;
    found(conn, user_id, id)?;
    let Some(user) = crate::accounts::sessions::load_user(conn, user_id)? else {
        return Ok(Vec::new());
    };
    visible_matches(conn, &user, id, limit)
}

/// [`matches`] for a known account.
pub(super) fn visible_matches(
    conn: &Connection,
    user: &SessionUser,
    id: i64,
    limit: usize,
) -> Result<Vec<SearchMatch>, AlertError> {
    let rows: Vec<SearchMatch> = conn
        .prepare_cached(
            "SELECT m.resource_id, r.title, r.kind, m.matched_at, m.read_at IS NOT NULL
             FROM saved_search_matches m JOIN resources r ON r.id = m.resource_id
             WHERE m.saved_search_id = ?1 AND r.status = 'published'
             ORDER BY m.read_at IS NOT NULL, m.matched_at DESC, m.resource_id",
        )?
        .query_map([id], |row| {
            Ok(SearchMatch {
                resource_id: row.get(0)?,
                title: row.get(1)?,
                kind: row.get(2)?,
                matched_at: row.get(3)?,
                read: row.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut visible = Vec::new();
    for found in rows {
        if visible.len() == limit {
            break;
        }
        if may_see(conn, user, &found.resource_id)? {
            visible.push(found);
        }
    }
    Ok(visible)
}

/// Whether `user` may see resource `id` as published now.
pub(super) fn may_see(conn: &Connection, user: &SessionUser, id: &str) -> Result<bool, AlertError> {
    let visibility = crate::catalog::read::visibility(conn, id)?;
    Ok(visibility.status == Status::Published && can_see_resource(user, &visibility))
}

/// Marks the acting account's unread matches read: of saved search `id`, or of all.
pub fn mark_read(
    conn: &mut Connection,
    actor: &Actor,
    id: Option<i64>,
    at: Moment,
) -> Result<usize, AlertError> {
    let user_id = owner(actor)?;
    write(conn, |tx| {
        if let Some(id) = id {
            found(tx, user_id, id)?;
        }
        Ok(tx.execute(
            "UPDATE saved_search_matches SET read_at = ?3
             WHERE read_at IS NULL AND saved_search_id IN
                   (SELECT id FROM saved_searches WHERE user_id = ?1 AND (?2 IS NULL OR id = ?2))",
            params![user_id, id, at.stamp()],
        )?)
    })
}

/// The account's unread matches of published resources (the navigation's badge).
pub fn unread_count(conn: &Connection, user_id: i64) -> Result<u64, AlertError> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM saved_search_matches m
             JOIN saved_searches s ON s.id = m.saved_search_id
             JOIN resources r ON r.id = m.resource_id
             WHERE s.user_id = ?1 AND m.read_at IS NULL AND r.status = 'published'",
        )?
        .query_row([user_id], |row| row.get(0))?)
}
