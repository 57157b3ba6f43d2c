//! Matching new publications against saved searches, through the index, once it holds
//! them: each resource published for the first time (`publications.alerted = 0`) is
//! checked against every saved search, with the search owner's sharing scope, and the
//! matches are recorded before the publication is marked checked.

use std::collections::{BTreeSet, HashMap};

use rusqlite::{Connection, TransactionBehavior, params};

use super::AlertError;
use crate::accounts::policy::search_audience;
use crate::accounts::sessions::load_user;
use crate::catalog::feed;
use crate::clock::Moment;
use crate::db::Database;
use crate::search::{Audience, SearchIndex, SearchParams, SearchRequest};

/// Publications checked in one round.
const BATCH: usize = 200;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Matched {
    /// Publications checked (and marked so).
    pub publications: usize,
    /// Saved-search matches recorded.
    pub matches: usize,
}

/// A saved search as matching reads it.
struct Saved {
    id: i64,
    user_id: i64,
    query: String,
}

/// Checks the publications the index already holds against every saved search and
/// records the matches, at `at`. Publications whose latest change the index has not
/// applied yet wait for the next round, so nothing is checked against a stale index.
pub fn match_publications(
    db: &Database,
    index: &SearchIndex,
    at: Moment,
) -> Result<Matched, AlertError> {
    let mut total = Matched::default();
    loop {
        let round = match_round(db, index, at)?;
        total.publications += round.publications;
        total.matches += round.matches;
        if round.publications < BATCH {
            return Ok(total);
        }
    }
}

fn match_round(db: &Database, index: &SearchIndex, at: Moment) -> Result<Matched, AlertError> {
    // The searcher and the change it reflects are taken together, before the database
    // is read: a publication committed later is either seen as not yet indexed, or
    // not seen at all.
    let matcher = index.matcher();
    let mut conn = db.get()?;
    let (ready, searches) = {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let pending = unalerted(&tx)?;
        if pending.is_empty() {
            return Ok(Matched::default());
        }
        let waiting: BTreeSet<String> = feed::resources_changed_since(&tx, matcher.applied_seq())?;
        let ready: Vec<String> = pending
            .into_iter()
            .filter(|id| !waiting.contains(id))
            .collect();
        (ready, saved_searches(&tx)?)
    };
    if ready.is_empty() {
        return Ok(Matched::default());
    }
    // Many accounts save the same search: each distinct request runs once.
    let mut audiences: HashMap<i64, Option<Audience>> = HashMap::new();
    let mut answers: HashMap<SearchRequest, Vec<String>> = HashMap::new();
    let mut found: Vec<(i64, String)> = Vec::new();
    for search in &searches {
        let audience = match audiences.get(&search.user_id) {
            Some(audience) => audience.clone(),
            None => {
                // A disabled account (or one of a disabled unit) hears of nothing.
                let audience = load_user(&conn, search.user_id)?.map(|u| search_audience(&u));
                audiences.insert(search.user_id, audience.clone());
                audience
            }
        };
        let Some(audience) = audience else { continue };
        let Some(request) = request_of(search, audience) else {
            continue;
        };
        let ids = match answers.get(&request) {
            Some(ids) => ids.clone(),
            None => {
                let ids = matcher.matching(&request, &ready)?;
                answers.insert(request, ids.clone());
                ids
            }
        };
        found.extend(ids.into_iter().map(|id| (search.id, id)));
    }
    record(&mut conn, &ready, &found, at)
}

/// The request a saved search makes for its owner, ordered as the index would; `None`
/// for one no longer valid (it was checked when saved; a kind may have gone since).
fn request_of(search: &Saved, audience: Audience) -> Option<SearchRequest> {
    let request = SearchParams::from_query_string(&search.query)
        .and_then(|params| params.request_for(audience))
        .and_then(|request| request.check().map(|()| request));
    match request {
        Ok(mut request) => {
            // Only what borrowers could find alerts; paging and order do not matter.
            request.include_unpublished = false;
            request.page = 1;
            request.sort = Default::default();
            Some(request)
        }
        Err(err) => {
            tracing::warn!(saved_search = search.id, %err, "saved search no longer valid; skipped");
            None
        }
    }
}

fn unalerted(conn: &Connection) -> Result<Vec<String>, AlertError> {
    let ids = conn
        .prepare_cached(
            "SELECT resource_id FROM publications WHERE alerted = 0
             ORDER BY published_at, resource_id LIMIT ?1",
        )?
        .query_map([BATCH as i64], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

fn saved_searches(conn: &Connection) -> Result<Vec<Saved>, AlertError> {
    let searches = conn
        .prepare_cached("SELECT id, user_id, query FROM saved_searches ORDER BY user_id, id")?
        .query_map([], |row| {
            Ok(Saved {
                id: row.get(0)?,
                user_id: row.get(1)?,
                query: row.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(searches)
}

/// Records the matches and marks the publications checked, in one transaction. A
/// saved search deleted meanwhile records nothing; one round racing another records
/// each match once.
fn record(
    conn: &mut Connection,
    checked: &[String],
    found: &[(i64, String)],
    at: Moment,
) -> Result<Matched, AlertError> {
    let tx = crate::db::begin_write(conn)?;
    let mut matches = 0;
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO saved_search_matches (saved_search_id, resource_id, matched_at)
             SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM saved_searches WHERE id = ?1)
               AND EXISTS (SELECT 1 FROM publications WHERE resource_id = ?2 AND alerted = 0)",
        )?;
        for (search, resource) in found {
            matches += insert.execute(params![search, resource, at.stamp()])?;
        }
        let mut mark =
            tx.prepare_cached("UPDATE publications SET alerted = 1 WHERE resource_id = ?1")?;
        for id in checked {
            mark.execute([id])?;
        }
    }
    tx.commit()?;
    Ok(Matched {
        publications: checked.len(),
        matches,
    })
}
