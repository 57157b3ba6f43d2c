//! The abbreviation dictionary as librarians keep it: the shipped list
//! ([`Synonyms::shipped`]) with their own entries added and shipped ones taken out,
//! stored in `synonym_changes` and audited. [`effective`] is what search uses; the web
//! layer installs it on the index at start and after every change, so a change takes
//! effect on the next search without a reindex.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
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
    let (abbreviation, expansion) = checked(actor, input)?;
    let shipped = Synonyms::shipped()
        .expansions(&abbreviation)
        .contains(&expansion);
    write(conn, |tx| {
        let existing = change_of(tx, &abbreviation, &expansion)?;
        let change = match (shipped, existing.as_deref()) {
            (true, Some("removed")) => {
                tx.execute(
                    "DELETE FROM synonym_changes WHERE abbreviation = ?1 AND expansion = ?2",
                    params![abbreviation, expansion],
                )?;
                SynonymChange::Restored
            }
            (true, _) | (false, Some(_)) => {
                return Err(CatalogError::Conflict(format!(
                    "词典中已有“{abbreviation} → {expansion}”"
                )));
            }
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
                tx.execute(
                    "INSERT INTO synonym_changes (abbreviation, expansion, change, changed_by, changed_at)
                     VALUES (?1, ?2, 'added', ?3, ?4)",
                    params![abbreviation, expansion, actor.username, at.stamp()],
                )?;
                SynonymChange::Added
            }
        };
        AuditEvent::by(actor, AuditAction::SynonymAdded)
            .detail(format!("{abbreviation} → {expansion}"))
            .record(tx, at)?;
        Ok(SynonymChanged {
            change,
            abbreviation: abbreviation.clone(),
            expansion: expansion.clone(),
        })
    })
}

/// A librarian deletes their own entry or takes a shipped one out, with its audit row.
pub fn remove(
    conn: &mut Connection,
    actor: &Actor,
    input: &SynonymInput,
    at: Moment,
) -> Result<SynonymChanged, CatalogError> {
    let (abbreviation, expansion) = checked(actor, input)?;
    let shipped = Synonyms::shipped()
        .expansions(&abbreviation)
        .contains(&expansion);
    write(conn, |tx| {
        let existing = change_of(tx, &abbreviation, &expansion)?;
        let change = match (shipped, existing.as_deref()) {
            (_, Some("added")) => {
                tx.execute(
                    "DELETE FROM synonym_changes WHERE abbreviation = ?1 AND expansion = ?2",
                    params![abbreviation, expansion],
                )?;
                SynonymChange::Deleted
            }
            (true, None) => {
                tx.execute(
                    "INSERT INTO synonym_changes (abbreviation, expansion, change, changed_by, changed_at)
                     VALUES (?1, ?2, 'removed', ?3, ?4)",
                    params![abbreviation, expansion, actor.username, at.stamp()],
                )?;
                SynonymChange::Removed
            }
            _ => {
                return Err(CatalogError::invalid(
                    "全称",
                    format!("词典中没有“{abbreviation} → {expansion}”这一词条"),
                ));
            }
        };
        AuditEvent::by(actor, AuditAction::SynonymRemoved)
            .detail(format!("{abbreviation} → {expansion}"))
            .record(tx, at)?;
        Ok(SynonymChanged {
            change,
            abbreviation: abbreviation.clone(),
            expansion: expansion.clone(),
        })
    })
}

/// Librarians only; both terms checked and normalised as the dictionary keeps them.
fn checked(actor: &Actor, input: &SynonymInput) -> Result<(String, String), CatalogError> {
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

fn change_of(
    conn: &Connection,
    abbreviation: &str,
    expansion: &str,
) -> Result<Option<String>, CatalogError> {
    Ok(conn
        .query_row(
            "SELECT change FROM synonym_changes WHERE abbreviation = ?1 AND expansion = ?2",
            params![abbreviation, expansion],
            |row| row.get(0),
        )
        .optional()?)
}

fn write<T>(
    conn: &mut Connection,
    work: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, CatalogError>,
) -> Result<T, CatalogError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let out = work(&tx)?;
    tx.commit()?;
    Ok(out)
}
