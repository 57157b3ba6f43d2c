//! Holdings as other modules ask for them: a resource's licences and copies in
//! circulation, a copy by its barcode, a copy's condition after use (written with its
//! history), and the title and status a loan names. Loans ask here instead of reading
//! the catalogue's tables themselves.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::CatalogError;
use super::model::ResourceId;
use super::write::{Edit, record_history};

/// What a resource can lend at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// Digital licences; `None` is unlimited.
    pub licences: Option<u32>,
    /// Physical copies in circulation.
    pub copies: u32,
}

/// A resource's title and publication status, and whether it can be lent at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lendable {
    pub title: String,
    /// `draft`, `published` or `withdrawn`.
    pub status: String,
    /// A warning-education base: visited in sessions, never lent (SPEC §8).
    pub visited: bool,
}

/// A physical copy as circulation needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyRow {
    pub id: i64,
    /// The barcode as the catalogue has it.
    pub barcode: String,
    pub resource_id: String,
    pub in_circulation: bool,
}

/// The resource's title and status, or `None` when it does not exist.
pub fn lendable(conn: &Connection, resource_id: &str) -> Result<Option<Lendable>, CatalogError> {
    let mut stmt =
        conn.prepare_cached("SELECT title, status, kind = 'base' FROM resources WHERE id = ?1")?;
    Ok(stmt
        .query_row([resource_id], |row| {
            Ok(Lendable {
                title: row.get(0)?,
                status: row.get(1)?,
                visited: row.get(2)?,
            })
        })
        .optional()?)
}

/// The resource's licences (`Some(None)` is unlimited), or `None` when it does not exist.
pub fn licences(conn: &Connection, resource_id: &str) -> Result<Option<Option<u32>>, CatalogError> {
    let mut stmt = conn.prepare_cached("SELECT licences FROM resources WHERE id = ?1")?;
    Ok(stmt
        .query_row([resource_id], |row| row.get::<_, Option<u32>>(0))
        .optional()?)
}

/// How many of the resource's copies are in circulation.
pub fn copies_in_circulation(conn: &Connection, resource_id: &str) -> Result<u32, CatalogError> {
    let mut stmt = conn.prepare_cached(
        "SELECT count(*) FROM copies WHERE resource_id = ?1 AND in_circulation = 1",
    )?;
    Ok(stmt.query_row([resource_id], |row| row.get(0))?)
}

/// The capacity of each of `ids` that exists, in one statement.
pub fn capacities(
    conn: &Connection,
    ids: &[&str],
) -> Result<HashMap<String, Capacity>, CatalogError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = serde_json::Value::from(ids).to_string();
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, r.licences,
                (SELECT count(*) FROM copies c WHERE c.resource_id = r.id AND c.in_circulation = 1)
         FROM resources r WHERE r.id IN (SELECT value FROM json_each(?1))",
    )?;
    let rows = stmt
        .query_map([ids], |row| {
            Ok((
                row.get::<_, String>(0)?,
                Capacity {
                    licences: row.get(1)?,
                    copies: row.get(2)?,
                },
            ))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Resources that can lend nothing at all: no licence and no copy in circulation.
pub fn without_capacity(conn: &Connection) -> Result<Vec<String>, CatalogError> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.id FROM resources r WHERE r.licences = 0 AND NOT EXISTS
           (SELECT 1 FROM copies c WHERE c.resource_id = r.id AND c.in_circulation = 1)",
    )?;
    let ids = stmt
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// The resource's copies, by barcode.
pub fn copies_of(conn: &Connection, resource_id: &str) -> Result<Vec<CopyRow>, CatalogError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, barcode, resource_id, in_circulation FROM copies
         WHERE resource_id = ?1 ORDER BY barcode",
    )?;
    let copies = stmt
        .query_map([resource_id], |row| {
            Ok(CopyRow {
                id: row.get(0)?,
                barcode: row.get(1)?,
                resource_id: row.get(2)?,
                in_circulation: row.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(copies)
}

/// The ids of the resources (at most `limit`) whose id is `text` or whose title
/// contains it, for filtering lists by a resource typed in words.
pub fn ids_matching(
    conn: &Connection,
    text: &str,
    limit: u32,
) -> Result<Vec<String>, CatalogError> {
    // LIKE with the pattern's own wildcards escaped: "100%" means those characters.
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM resources WHERE id = ?1 OR title LIKE '%' || ?2 || '%' ESCAPE '\\'
         ORDER BY id = ?1 DESC, id LIMIT ?3",
    )?;
    let ids = stmt
        .query_map(params![text, escaped, limit], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// The copy with this barcode, if any, however it was typed: `js-0004`, ` JS 0004 ` and
/// the full-width `ＪＳ－０００４` name `JS-0004`. An exact match wins over a folded one.
pub fn copy_by_barcode(conn: &Connection, barcode: &str) -> Result<Option<CopyRow>, CatalogError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, barcode, resource_id, in_circulation FROM copies
         WHERE barcode = ?1 OR replace(upper(barcode), ' ', '') = ?2
         ORDER BY barcode = ?1 DESC, id LIMIT 1",
    )?;
    Ok(stmt
        .query_row(params![barcode, folded_barcode(barcode)], |row| {
            Ok(CopyRow {
                id: row.get(0)?,
                barcode: row.get(1)?,
                resource_id: row.get(2)?,
                in_circulation: row.get(3)?,
            })
        })
        .optional()?)
}

/// A barcode as it is compared: compatibility forms folded (full-width letters and
/// digits typed with a Chinese input method), white space removed, letters in upper case.
pub fn folded_barcode(barcode: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    barcode
        .nfkc()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// The barcode of a copy, if it exists.
pub fn barcode(conn: &Connection, copy_id: i64) -> Result<Option<String>, CatalogError> {
    let mut stmt = conn.prepare_cached("SELECT barcode FROM copies WHERE id = ?1")?;
    Ok(stmt.query_row([copy_id], |row| row.get(0)).optional()?)
}

/// Records the condition a copy came back in, with an entry in its resource's edit
/// history in the shape of the other copy changes (`{"barcode", "location",
/// "condition"}`), so the history page shows it like an edit. An unchanged condition
/// writes nothing.
pub fn set_copy_condition(
    conn: &Connection,
    copy_id: i64,
    condition: &str,
    edit: &Edit<'_>,
) -> Result<(), CatalogError> {
    let row: Option<(String, String, String, String)> = conn
        .query_row(
            "SELECT resource_id, barcode, location, condition FROM copies WHERE id = ?1",
            [copy_id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .optional()?;
    let Some((resource_id, barcode, location, old)) = row else {
        return Err(CatalogError::NotFound(format!("copy {copy_id}")));
    };
    if old == condition {
        return Ok(());
    }
    conn.execute(
        "UPDATE copies SET condition = ?2 WHERE id = ?1",
        params![copy_id, condition],
    )?;
    let id = ResourceId::parse(&resource_id)?;
    record_history(
        conn,
        &id,
        edit,
        "copies",
        &json!({"copies": [{"barcode": barcode, "location": location, "condition": condition}]}),
    )
}
