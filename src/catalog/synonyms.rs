//! The abbreviation dictionary as librarians keep it: the shipped list
//! ([`Synonyms::shipped`]) with their own entries added and shipped ones taken out,
//! stored in `synonym_changes` and audited. [`effective`] is what search uses; the web
//! layer installs it on the index at start and after every change, so a change takes
//! effect on the next search without a reindex.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use super::CatalogError;
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;
use crate::search::{Synonyms, check_term};

/// Most entries librarians may add (a dictionary, not a dumping ground).
pub const MAX_ADDED: usize = 2000;

/// One (abbreviation, expansion) pair as the librarian's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SynonymEntry {
    pub abbreviation: String,
    pub expansion: String,
    /// Shipped with the program (`false`: a librarian added it).
    pub shipped: bool,
    /// A shipped entry a librarian took out; search no longer uses it.
    pub removed: bool,
    /// Who added or removed it, and when (RFC 3339); none for an untouched shipped entry.
    pub changed_by: Option<String>,
    pub changed_at: Option<String>,
}

/// An entry to add or remove, as typed.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SynonymInput {
    /// The abbreviation officers type, e.g. `刑诉法`.
    pub abbreviation: String,
    /// What it stands for, e.g. `刑事诉讼法`.
    pub expansion: String,
}

/// What an add or remove did, to which entry (both terms normalised).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SynonymChanged {
    pub change: SynonymChange,
    pub abbreviation: String,
    pub expansion: String,
}

/// The kinds of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SynonymChange {
    /// A librarian's own entry was added.
    Added,
    /// A shipped entry taken out earlier is used again.
    Restored,
    /// A librarian's own entry was deleted.
    Deleted,
    /// A shipped entry is no longer used.
    Removed,
}

/// The shipped entries and the librarians' changes, abbreviations in order; shipped
/// entries taken out are listed with `removed`.
pub fn list(conn: &Connection) -> Result<Vec<SynonymEntry>, CatalogError> {
    let changes = changes(conn)?;
    let mut out: Vec<SynonymEntry> = Vec::new();
    for (abbreviation, expansions) in Synonyms::shipped().entries() {
        for expansion in expansions {
            let change = changes
                .iter()
                .find(|c| c.abbreviation == abbreviation && c.expansion == *expansion);
            out.push(SynonymEntry {
                abbreviation: abbreviation.to_owned(),
                expansion: expansion.clone(),
                shipped: true,
                removed: change.is_some_and(|c| c.removed),
                changed_by: change.map(|c| c.changed_by.clone()),
                changed_at: change.map(|c| c.changed_at.clone()),
            });
        }
    }
    let shipped = Synonyms::shipped();
    for c in changes {
        if !c.removed && !shipped.expansions(&c.abbreviation).contains(&c.expansion) {
            out.push(SynonymEntry {
                abbreviation: c.abbreviation,
                expansion: c.expansion,
                shipped: false,
                removed: false,
                changed_by: Some(c.changed_by),
                changed_at: Some(c.changed_at),
            });
        }
    }
    out.sort_by(|a, b| a.abbreviation.cmp(&b.abbreviation));
    Ok(out)
}

/// The dictionary search uses: shipped, without the removed entries, with the added.
pub fn effective(conn: &Connection) -> Result<Synonyms, CatalogError> {
    let mut synonyms = Synonyms::shipped();
    for c in changes(conn)? {
        if c.removed {
            synonyms.remove(&c.abbreviation, &c.expansion);
        } else {
            // Stored entries were checked when added.
            let _ = synonyms.add(&c.abbreviation, &c.expansion);
        }
    }
    Ok(synonyms)
}

/// A librarian adds an entry, or restores a shipped one taken out, with its audit row.
pub fn add(
    conn: &mut Connection,
    actor: &Actor,
    input: &SynonymInput,
    at: Moment,
) -> Result<SynonymChanged, CatalogError> {
    changed(
        conn,
        actor,
        input,
        at,
        AuditAction::SynonymAdded,
        |tx, pair, state| match state {
            (true, Some("removed")) => {
                forget(tx, pair)?;
                Ok(SynonymChange::Restored)
            }
            (true, _) | (false, Some(_)) => Err(CatalogError::Conflict(format!(
                "词典中已有“{} → {}”",
                pair.0, pair.1
            ))),
            (false, None) => {
                let added: i64 = tx.query_row(
                    "SELECT count(*) FROM synonym_changes WHERE change = 'added'",
                    [],
                    |row| row.get(0),
                )?;
                if added >= MAX_ADDED as i64 {
                    return Err(CatalogError::Conflict(format!(
                        "自行添加的词条已达上限（{MAX_ADDED} 条），请先删除不用的词条"
                    )));
                }
                keep(tx, pair, "added", actor, at)?;
                Ok(SynonymChange::Added)
            }
        },
    )
}

/// A librarian deletes their own entry or takes a shipped one out, with its audit row.
pub fn remove(
    conn: &mut Connection,
    actor: &Actor,
    input: &SynonymInput,
    at: Moment,
) -> Result<SynonymChanged, CatalogError> {
    changed(
        conn,
        actor,
        input,
        at,
        AuditAction::SynonymRemoved,
        |tx, pair, state| match state {
            (_, Some("added")) => {
                forget(tx, pair)?;
                Ok(SynonymChange::Deleted)
            }
            (true, None) => {
                keep(tx, pair, "removed", actor, at)?;
                Ok(SynonymChange::Removed)
            }
            _ => Err(CatalogError::invalid(
                "全称",
                format!("词典中没有“{} → {}”这一词条", pair.0, pair.1),
            )),
        },
    )
}

/// An (abbreviation, expansion) pair, normalised.
type Pair = (String, String);

/// Checks the input, then in one transaction runs `step` with the pair and its state
/// (shipped, and the stored change if any) and writes the audit row.
fn changed(
    conn: &mut Connection,
    actor: &Actor,
    input: &SynonymInput,
    at: Moment,
    action: AuditAction,
    step: impl FnOnce(
        &Transaction<'_>,
        &Pair,
        (bool, Option<&str>),
    ) -> Result<SynonymChange, CatalogError>,
) -> Result<SynonymChanged, CatalogError> {
    let pair = checked(actor, input)?;
    let shipped = Synonyms::shipped().expansions(&pair.0).contains(&pair.1);
    let tx = crate::db::begin_write(conn)?;
    let existing: Option<String> = tx
        .query_row(
            "SELECT change FROM synonym_changes WHERE abbreviation = ?1 AND expansion = ?2",
            params![pair.0, pair.1],
            |row| row.get(0),
        )
        .optional()?;
    let change = step(&tx, &pair, (shipped, existing.as_deref()))?;
    AuditEvent::by(actor, action)
        .detail(format!("{} → {}", pair.0, pair.1))
        .record(&tx, at)?;
    tx.commit()?;
    let (abbreviation, expansion) = pair;
    Ok(SynonymChanged {
        change,
        abbreviation,
        expansion,
    })
}

fn keep(
    tx: &Transaction<'_>,
    pair: &Pair,
    change: &str,
    actor: &Actor,
    at: Moment,
) -> rusqlite::Result<usize> {
    tx.execute(
        "INSERT INTO synonym_changes (abbreviation, expansion, change, changed_by, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![pair.0, pair.1, change, actor.username, at.stamp()],
    )
}

fn forget(tx: &Transaction<'_>, pair: &Pair) -> rusqlite::Result<usize> {
    tx.execute(
        "DELETE FROM synonym_changes WHERE abbreviation = ?1 AND expansion = ?2",
        params![pair.0, pair.1],
    )
}

/// Librarians only; both terms checked and normalised as the dictionary keeps them.
fn checked(actor: &Actor, input: &SynonymInput) -> Result<Pair, CatalogError> {
    if !actor.librarian {
        return Err(CatalogError::LibrariansOnly);
    }
    let abbreviation =
        check_term(&input.abbreviation).map_err(|reason| CatalogError::invalid("简称", reason))?;
    let expansion =
        check_term(&input.expansion).map_err(|reason| CatalogError::invalid("全称", reason))?;
    if abbreviation == expansion {
        return Err(CatalogError::invalid("全称", "全称不能与简称相同"));
    }
    Ok((abbreviation, expansion))
}

struct Change {
    abbreviation: String,
    expansion: String,
    removed: bool,
    changed_by: String,
    changed_at: String,
}

fn changes(conn: &Connection) -> Result<Vec<Change>, CatalogError> {
    let mut stmt = conn.prepare_cached(
        "SELECT abbreviation, expansion, change, changed_by, changed_at FROM synonym_changes
         ORDER BY abbreviation, expansion",
    )?;
    let rows = stmt
        .query_map([], |row| {
            Ok(Change {
                abbreviation: row.get(0)?,
                expansion: row.get(1)?,
                removed: row.get::<_, String>(2)? == "removed",
                changed_by: row.get(3)?,
                changed_at: row.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
