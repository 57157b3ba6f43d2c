//! The mail digest: at most once a day, each account with an e-mail address gets one
//! message listing its saved searches' new matches not yet mailed (and not already
//! read in the app). The mail is queued and the matches marked mailed in one
//! transaction, so a match is mailed once or, if the transaction fails, not at all.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

use super::AlertError;
use super::saved::may_see;
use crate::accounts::sessions::load_user;
use crate::clock::{Clock, Moment};
use crate::db::Database;

/// The shortest time between two digests to one account.
pub const DIGEST_GAP: SignedDuration = SignedDuration::from_hours(24);
/// How often the background task looks for digests due.
pub const INTERVAL: Duration = Duration::from_secs(60);
/// Matches listed in one message; the rest are counted.
const MAX_LISTED: usize = 50;

pub const SUBJECT: &str = "【警示教育资源库】订阅搜索有新资源";

/// What one run sent.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Digested {
    /// Messages queued.
    pub mailed: usize,
    /// Matches they listed.
    pub matches: usize,
}

/// An unmailed match of an account.
struct Pending {
    search: String,
    resource_id: String,
    title: String,
    read: bool,
}

/// Queues the digests due at `at`. `base` is the site's public address for links
/// (`https://jingshi.example.cn`); without one the mail names the page instead.
pub fn run(conn: &mut Connection, at: Moment, base: Option<&str>) -> Result<Digested, AlertError> {
    let mut done = Digested::default();
    for (user_id, email) in accounts_waiting(conn)? {
        let tx = crate::db::begin_write(conn)?;
        let last: Option<String> = tx
            .query_row(
                "SELECT last_sent_at FROM search_digests WHERE user_id = ?1",
                [user_id],
                |row| row.get(0),
            )
            .optional()?;
        let last = last.and_then(|stamp| stamp.parse::<Timestamp>().ok());
        if last.is_some_and(|last| at.instant().duration_since(last) < DIGEST_GAP) {
            continue;
        }
        let Some(user) = load_user(&tx, user_id)? else {
            continue;
        };
        let mut listed = Vec::new();
        for found in pending(&tx, user_id)? {
            if !found.read && may_see(&tx, &user, &found.resource_id)? {
                listed.push(found);
            }
        }
        tx.execute(
            "UPDATE saved_search_matches SET mailed_at = ?2
             WHERE mailed_at IS NULL AND saved_search_id IN
                   (SELECT id FROM saved_searches WHERE user_id = ?1)",
            params![user_id, at.stamp()],
        )?;
        if !listed.is_empty() {
            crate::mail::outbox::enqueue_to(&tx, &email, SUBJECT, &body(&listed, base))?;
            tx.execute(
                "INSERT INTO search_digests (user_id, last_sent_at) VALUES (?1, ?2)
                 ON CONFLICT (user_id) DO UPDATE SET last_sent_at = excluded.last_sent_at",
                params![user_id, at.stamp()],
            )?;
            done.mailed += 1;
            done.matches += listed.len();
        }
        tx.commit()?;
    }
    Ok(done)
}

/// Active accounts with an address and unmailed matches.
fn accounts_waiting(conn: &Connection) -> Result<Vec<(i64, String)>, AlertError> {
    let accounts = conn
        .prepare_cached(
            "SELECT DISTINCT u.id, u.email FROM saved_search_matches m
             JOIN saved_searches s ON s.id = m.saved_search_id
             JOIN users u ON u.id = s.user_id
             WHERE m.mailed_at IS NULL AND u.active = 1 AND u.email IS NOT NULL
             ORDER BY u.id",
        )?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(accounts)
}

fn pending(conn: &Connection, user_id: i64) -> Result<Vec<Pending>, AlertError> {
    let found = conn
        .prepare_cached(
            "SELECT s.name, m.resource_id, r.title, m.read_at IS NOT NULL
             FROM saved_search_matches m JOIN saved_searches s ON s.id = m.saved_search_id
             JOIN resources r ON r.id = m.resource_id
             WHERE s.user_id = ?1 AND m.mailed_at IS NULL
             ORDER BY s.id, m.matched_at, m.resource_id",
        )?
        .query_map([user_id], |row| {
            Ok(Pending {
                search: row.get(0)?,
                resource_id: row.get(1)?,
                title: row.get(2)?,
                read: row.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(found)
}

/// The message: the matches grouped under their saved search's name.
fn body(listed: &[Pending], base: Option<&str>) -> String {
    let mut text = format!("您保存的订阅搜索有 {} 条新资源：\n", listed.len());
    let mut current = "";
    for found in listed.iter().take(MAX_LISTED) {
        if found.search != current {
            current = &found.search;
            text.push_str(&format!("\n【{current}】\n"));
        }
        text.push_str(&format!("· 《{}》", found.title));
        if let Some(base) = base {
            text.push_str(&format!(" {base}/resources/{}", found.resource_id));
        }
        text.push('\n');
    }
    if listed.len() > MAX_LISTED {
        text.push_str(&format!(
            "\n另有 {} 条未列出。\n",
            listed.len() - MAX_LISTED
        ));
    }
    match base {
        Some(base) => text.push_str(&format!("\n全部订阅搜索：{base}/searches\n")),
        None => text.push_str("\n详情请登录警示教育资源库，在“订阅”页面查看。\n"),
    }
    text.push_str("\n（本邮件由系统自动发送，每天最多一封，请勿直接回复。）\n");
    text
}

/// The running background task; dropping it stops the task.
pub struct DigestTask(tokio::task::JoinHandle<()>);

impl Drop for DigestTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Queues the digests due now and then every [`INTERVAL`] until the guard is dropped.
pub fn spawn(db: Database, clock: Clock, base: Option<String>) -> DigestTask {
    DigestTask(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let (db, at, base) = (db.clone(), clock.moment(), base.clone());
            let outcome =
                tokio::task::spawn_blocking(move || run(&mut *db.get()?, at, base.as_deref()))
                    .await;
            match outcome {
                Ok(Ok(done)) if done.mailed > 0 => {
                    tracing::info!(?done, "saved-search digests queued");
                }
                Ok(Ok(_)) => {}
                // The next tick tries again; nothing is half-written.
                Ok(Err(err)) => tracing::error!(%err, "saved-search digest failed"),
                Err(err) => tracing::error!(%err, "saved-search digest panicked"),
            }
        }
    }))
}
