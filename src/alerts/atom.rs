//! Atom 1.0 feeds (RFC 4287) at secret addresses, for a feed reader that fetches
//! without signing in: an account's whole-library feed (the newest resources it may
//! see) and each saved search's feed (its matches). The token stands for the account:
//! a disabled account's feeds are gone.

use atom_syndication::{Category, Entry, Feed, FixedDateTime, Link, Person, Text};
use rusqlite::{Connection, OptionalExtension, params};

use super::AlertError;
use super::saved::may_see;
use crate::accounts::SessionUser;
use crate::accounts::sessions::load_user;
use crate::catalog::ResourceId;
use crate::clock::Moment;

/// Where feeds are served: `/feeds/{token}.atom`.
pub const FEED_PATH: &str = "/feeds/";
/// Entries in one feed.
pub const MAX_ENTRIES: usize = 50;
/// Publications looked at, at most, to find the entries the owner may see.
const MAX_SCANNED: usize = 2000;
const AUTHOR: &str = "省直机关纪检监察工委 · 警示教育资源库";

/// Which feed a token opens.
enum Subject {
    Library,
    Search { id: i64, name: String },
}

/// One new resource as a feed lists it.
struct Item {
    id: String,
    title: String,
    kind: &'static str,
    summary: String,
    at: String,
}

/// Whether `token` can be a feed secret at all (64 hexadecimal digits): anything else
/// is answered "not found" without a database read.
fn plausible(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The feed at `token` as Atom XML, with links under `base` (the site's address, e.g.
/// `https://jingshi.example.cn`); `None` for an unknown or replaced token.
pub fn feed(
    conn: &Connection,
    token: &str,
    base: &str,
    at: Moment,
) -> Result<Option<String>, AlertError> {
    if !plausible(token) {
        return Ok(None);
    }
    let Some((user_id, subject)) = subject_of(conn, token)? else {
        return Ok(None);
    };
    let Some(user) = load_user(conn, user_id)? else {
        return Ok(None);
    };
    let (title, feed_id, home, items) = match &subject {
        Subject::Library => (
            "警示教育资源库 · 新资源".to_owned(),
            format!("urn:jingshi:feed:library:{user_id}"),
            format!("{base}/"),
            library_items(conn, &user)?,
        ),
        Subject::Search { id, name } => (
            format!("订阅搜索：{name}"),
            format!("urn:jingshi:feed:search:{id}"),
            format!("{base}/searches"),
            search_items(conn, &user, *id)?,
        ),
    };
    let updated = items
        .first()
        .and_then(|item| time(&item.at))
        .or_else(|| time(&at.stamp()))
        .unwrap_or_default();
    let self_link = format!("{base}{FEED_PATH}{token}.atom");
    let feed = Feed {
        title: Text::plain(title),
        id: feed_id,
        updated,
        authors: vec![Person {
            name: AUTHOR.to_owned(),
            ..Default::default()
        }],
        links: vec![
            link(&self_link, "self", "application/atom+xml"),
            link(&home, "alternate", "text/html"),
        ],
        lang: Some("zh-CN".to_owned()),
        entries: items.iter().map(|item| entry(item, base)).collect(),
        ..Default::default()
    };
    let bytes = feed
        .write_to(Vec::new())
        .map_err(|err| AlertError::Feed(err.to_string()))?;
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

fn link(href: &str, rel: &str, mime: &str) -> Link {
    Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: Some(mime.to_owned()),
        ..Default::default()
    }
}

/// A stored RFC 3339 stamp as the feed writes times.
fn time(stamp: &str) -> Option<FixedDateTime> {
    FixedDateTime::parse_from_rfc3339(stamp).ok()
}

fn entry(item: &Item, base: &str) -> Entry {
    let at = time(&item.at).unwrap_or_default();
    let kind_label = crate::catalog::Kind::parse(item.kind)
        .map(|kind| kind.label())
        .unwrap_or(item.kind);
    let summary = if item.summary.trim().is_empty() {
        kind_label.to_owned()
    } else {
        format!("{kind_label} · {}", item.summary.trim())
    };
    Entry {
        // Stable per resource whatever the site's address: a reader never shows it twice.
        id: format!("urn:jingshi:resource:{}", item.id),
        title: Text::plain(item.title.clone()),
        updated: at,
        published: Some(at),
        links: vec![link(
            &format!("{base}/resources/{}", item.id),
            "alternate",
            "text/html",
        )],
        summary: Some(Text::plain(summary)),
        categories: vec![Category {
            term: item.kind.to_owned(),
            label: Some(kind_label.to_owned()),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn subject_of(conn: &Connection, token: &str) -> Result<Option<(i64, Subject)>, AlertError> {
    let library: Option<i64> = conn
        .prepare_cached("SELECT user_id FROM feed_tokens WHERE token = ?1")?
        .query_row([token], |row| row.get(0))
        .optional()?;
    if let Some(user_id) = library {
        return Ok(Some((user_id, Subject::Library)));
    }
    Ok(conn
        .prepare_cached("SELECT user_id, id, name FROM saved_searches WHERE feed_token = ?1")?
        .query_row([token], |row| {
            Ok((
                row.get(0)?,
                Subject::Search {
                    id: row.get(1)?,
                    name: row.get(2)?,
                },
            ))
        })
        .optional()?)
}

/// The resource behind a publication or a match, when `user` may see it now.
fn item(
    conn: &Connection,
    user: &SessionUser,
    id: &str,
    at: String,
) -> Result<Option<Item>, AlertError> {
    let Ok(resource_id) = ResourceId::parse(id) else {
        return Ok(None);
    };
    if !may_see(conn, user, id)? {
        return Ok(None);
    }
    let Some(fields) = crate::catalog::read::load_fields(conn, &resource_id)? else {
        return Ok(None);
    };
    Ok(Some(Item {
        id: id.to_owned(),
        title: fields.title,
        kind: fields.kind.as_str(),
        summary: fields.summary,
        at,
    }))
}

/// Up to [`MAX_ENTRIES`] of `rows` (id, time; newest first) that `user` may see.
fn visible(
    conn: &Connection,
    user: &SessionUser,
    rows: Vec<(String, String)>,
) -> Result<Vec<Item>, AlertError> {
    let mut items = Vec::new();
    for (id, at) in rows {
        if items.len() == MAX_ENTRIES {
            break;
        }
        if let Some(found) = item(conn, user, &id, at)? {
            items.push(found);
        }
    }
    Ok(items)
}

/// The newest publications `user` may see: never a draft, a withdrawn resource or
/// another unit's contribution outside its sharing scope.
fn library_items(conn: &Connection, user: &SessionUser) -> Result<Vec<Item>, AlertError> {
    let rows = conn
        .prepare_cached(
            "SELECT resource_id, published_at FROM publications
             ORDER BY published_at DESC, resource_id LIMIT ?1",
        )?
        .query_map([MAX_SCANNED as i64], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    visible(conn, user, rows)
}

/// A saved search's matches, newest first, that `user` may still see.
fn search_items(conn: &Connection, user: &SessionUser, id: i64) -> Result<Vec<Item>, AlertError> {
    let rows = conn
        .prepare_cached(
            "SELECT resource_id, matched_at FROM saved_search_matches WHERE saved_search_id = ?1
             ORDER BY matched_at DESC, resource_id LIMIT ?2",
        )?
        .query_map(params![id, MAX_SCANNED as i64], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    visible(conn, user, rows)
}
