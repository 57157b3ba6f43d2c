//! Keeps the search index in step with the catalogue: on start it rebuilds a missing,
//! stale or foreign index or catches up from the change log, and while serving it
//! follows `catalog_changes` (written by this process or by `jingshi import` elsewhere).
//! The index only ever applies committed changes, so it is never ahead of the database.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::TransactionBehavior;

use rusqlite::Connection;

use crate::catalog::{CatalogError, feed};
use crate::clock::{Clock, Moment};
use crate::db::{Database, DbError};
use crate::loans::{self, LoanError};
use crate::search::{RebuildError, SearchDoc, SearchError, SearchIndex, Unavailable};
use jiff::civil::Date;

/// The day's fully booked resources for the search's "available now", computed once
/// and reused until the day, a loan or the catalogue changes: searches far outnumber
/// loan changes, and the computation reads every loan of the day.
#[derive(Default)]
pub struct BookedOut {
    last: Mutex<Option<(BookedKey, Unavailable)>>,
}

/// What the set depends on: the day, the loans (their write count in this process,
/// the only writer of loans) and the holdings (the catalogue's change log).
type BookedKey = (Date, u64, i64);

impl BookedOut {
    /// The resources nothing of which can be borrowed on `day`.
    pub fn on(&self, conn: &Connection, day: Date) -> Result<Unavailable, LoanError> {
        // Read the generation first: a write landing meanwhile makes the key stale,
        // never the set newer than its key.
        let key = (day, loans::write_generation(), feed::max_change_seq(conn)?);
        if let Some((cached, set)) = &*self.last.lock().unwrap_or_else(|p| p.into_inner())
            && *cached == key
        {
            return Ok(set.clone());
        }
        let set = Unavailable::new(loans::unavailable_on(conn, day)?);
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some((key, set.clone()));
        Ok(set)
    }
}

/// How many change-log entries one index commit applies.
const BATCH: usize = 500;
/// How often the follower looks for new changes.
pub const FOLLOW_INTERVAL: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
pub enum IndexerError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Loans(#[from] LoanError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Alert(#[from] crate::alerts::AlertError),
}

/// Replaces the index with every resource of the catalogue. The documents and the
/// change sequence number are read in one transaction, so they agree.
pub fn rebuild(
    db: &Database,
    index: &SearchIndex,
    progress: &dyn Fn(u64, u64),
) -> Result<u64, IndexerError> {
    let mut conn = db.get()?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    let seq = feed::max_change_seq(&tx)?;
    let ids = feed::all_resource_ids(&tx)?;
    let total = ids.len() as u64;
    // Each document is read as the index takes it, all in the one read transaction.
    let docs = ids.iter().filter_map(|id| search_doc(&tx, id).transpose());
    index
        .try_rebuild(docs, seq, &|done| progress(done, total))
        .map_err(|err| match err {
            RebuildError::Source(err) => err,
            RebuildError::Index(err) => IndexerError::Search(err),
        })?;
    drop(tx);
    Ok(total)
}

/// Applies every change after the index's last applied one; returns how many
/// resources were re-indexed.
pub fn catch_up(db: &Database, index: &SearchIndex) -> Result<usize, IndexerError> {
    let mut applied = 0;
    loop {
        let conn = db.get()?;
        let changes = feed::changes_since(&conn, index.applied_seq(), BATCH)?;
        let Some(&(last_seq, _)) = changes.last() else {
            return Ok(applied);
        };
        let ids: BTreeSet<String> = changes.into_iter().map(|(_, id)| id).collect();
        let mut upserts = Vec::with_capacity(ids.len());
        let mut deletes = Vec::new();
        for id in ids {
            match search_doc(&conn, &id)? {
                Some(doc) => upserts.push(doc),
                None => deletes.push(id),
            }
        }
        drop(conn);
        applied += upserts.len() + deletes.len();
        index.apply(upserts, &deletes, last_seq)?;
    }
}

/// The search document of a resource: the catalogue's record with its borrow count,
/// or `None` when the resource no longer exists. Whether it is free on a day is not
/// indexed: the search asks the loans module for the request's date.
fn search_doc(conn: &Connection, id: &str) -> Result<Option<SearchDoc>, IndexerError> {
    let Some(mut doc) = feed::search_doc(conn, id)? else {
        return Ok(None);
    };
    doc.borrow_count = loans::borrow_count(conn, id)?;
    Ok(Some(doc))
}

/// Brings the index up to date at start-up, rebuilding when it must.
pub fn prepare(
    db: &Database,
    index: &SearchIndex,
    needs_rebuild: bool,
) -> Result<(), IndexerError> {
    let started = std::time::Instant::now();
    if needs_rebuild {
        tracing::info!("building the search index from the database");
        let total = rebuild(db, index, &|done, total| {
            if done > 0 && done % 2048 == 0 {
                tracing::info!(done, total, "indexing");
            }
        })?;
        tracing::info!(
            resources = total,
            seconds = started.elapsed().as_secs_f64(),
            "search index built"
        );
    } else {
        let applied = catch_up(db, index)?;
        if applied > 0 {
            tracing::info!(
                resources = applied,
                "search index caught up with the database"
            );
        }
    }
    Ok(())
}

/// Applies every change after the index's last applied one, then checks the
/// resources published for the first time against the saved searches (which needs
/// them in the index); returns how many resources were re-indexed.
pub fn catch_up_and_alert(
    db: &Database,
    index: &SearchIndex,
    at: Moment,
) -> Result<usize, IndexerError> {
    let applied = catch_up(db, index)?;
    alert(db, index, at)?;
    Ok(applied)
}

fn alert(db: &Database, index: &SearchIndex, at: Moment) -> Result<(), IndexerError> {
    let matched = crate::alerts::match_publications(db, index, at)?;
    if matched.publications > 0 {
        tracing::info!(
            publications = matched.publications,
            matches = matched.matches,
            "new publications checked against saved searches"
        );
    }
    Ok(())
}

/// Follows the change log until the process ends. New publications are checked
/// against the saved searches on the first round (those of an import or of before a
/// restart) and after every round that applied changes or failed.
pub async fn follow(db: Database, index: Arc<SearchIndex>, clock: Clock) {
    let mut ticker = tokio::time::interval(FOLLOW_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut check_alerts = true;
    loop {
        ticker.tick().await;
        let (db, index, at) = (db.clone(), index.clone(), clock.moment());
        let result = tokio::task::spawn_blocking(move || {
            let applied = catch_up(&db, &index)?;
            if applied > 0 || check_alerts {
                alert(&db, &index, at)?;
            }
            Ok::<_, IndexerError>(())
        })
        .await;
        check_alerts = !matches!(result, Ok(Ok(())));
        match result {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                tracing::warn!(%err, "search index could not follow the catalogue; retrying")
            }
            Err(err) => tracing::error!(%err, "search index follower failed"),
        }
    }
}
