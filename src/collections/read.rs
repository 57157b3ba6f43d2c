//! Reading collections as a viewer may see them: a borrower sees published
//! collections only, and in them only the items the access policy shows them (never
//! a draft resource, never another unit's contribution outside its scope); a
//! librarian sees everything.

use rusqlite::{Connection, OptionalExtension, params};

use super::CollectionError;
use super::model::{
    Collection, CollectionId, CollectionItem, CollectionStatus, CollectionSummary, Revision,
};
use super::words::Words;
use crate::accounts::policy;
use crate::actor::Actor;
use crate::catalog::{self, Access, Kind, Status, Visibility};
use crate::seasons::Season;

/// Who is looking, as the access policy needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub librarian: bool,
    pub unit: Option<String>,
    pub sector: Option<String>,
}

impl Viewer {
    /// The actor with their unit's sector.
    pub fn of(conn: &Connection, actor: &Actor) -> Result<Self, CollectionError> {
        let sector = match actor.unit.as_deref() {
            Some(unit) => crate::accounts::units::sector_of(conn, unit)?,
            None => None,
        };
        Ok(Viewer {
            librarian: actor.librarian,
            unit: actor.unit.clone(),
            sector,
        })
    }

    /// The same decision as `policy::can_see_resource`: librarians everything, a unit
    /// its own contributions, and otherwise what is published within its scope.
    pub fn sees(&self, visibility: &Visibility) -> bool {
        self.librarian
            || (self.unit.is_some() && visibility.contributed_by == self.unit)
            || policy::borrower_sees(visibility, self.unit.as_deref(), self.sector.as_deref())
    }

    fn sees_collection(&self, status: CollectionStatus) -> bool {
        self.librarian || status == CollectionStatus::Published
    }
}

/// A collection's own row.
struct Row {
    id: CollectionId,
    title: String,
    intro: String,
    season: Option<Season>,
    status: CollectionStatus,
    created_by: String,
    created_at: String,
    updated_at: String,
    published_at: Option<String>,
}

const ROW_COLUMNS: &str = "id, title, intro, season, status, created_by, created_at, updated_at, \
     published_at";

fn row_from(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let season: Option<String> = row.get(3)?;
    let status: String = row.get(4)?;
    Ok(Row {
        id: CollectionId(row.get(0)?),
        title: row.get(1)?,
        intro: row.get(2)?,
        season: season.as_deref().and_then(Season::parse),
        // The column's CHECK allows only these three.
        status: CollectionStatus::parse(&status).unwrap_or(CollectionStatus::Draft),
        created_by: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
        published_at: row.get(8)?,
    })
}

fn find_row(conn: &Connection, id: CollectionId) -> Result<Option<Row>, CollectionError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ROW_COLUMNS} FROM collections WHERE id = ?1"
        ))?
        .query_row([id.0], row_from)
        .optional()?)
}

fn sectors_of(conn: &Connection, id: CollectionId) -> Result<Vec<String>, CollectionError> {
    let mut stmt = conn.prepare_cached(
        "SELECT sector FROM collection_sectors WHERE collection_id = ?1 ORDER BY rowid",
    )?;
    let sectors = stmt
        .query_map([id.0], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(sectors)
}

/// The items in order, those `viewer` may see.
fn items_of(
    conn: &Connection,
    id: CollectionId,
    viewer: &Viewer,
) -> Result<Vec<CollectionItem>, CollectionError> {
    let mut stmt = conn.prepare_cached(
        "SELECT i.position, i.resource_id, i.note, r.title, r.kind, r.access, r.status
         FROM collection_items i JOIN resources r ON r.id = i.resource_id
         WHERE i.collection_id = ?1 ORDER BY i.position",
    )?;
    let rows = stmt
        .query_map([id.0], |row| {
            Ok((
                row.get::<_, u32>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, String>(5)?,
                row.get::<_, String>(6)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut items = Vec::with_capacity(rows.len());
    for (position, resource_id, note, title, kind, access, status) in rows {
        if !viewer.librarian && !viewer.sees(&catalog::read::visibility(conn, &resource_id)?) {
            continue;
        }
        let kind = Kind::parse(&kind)?;
        items.push(CollectionItem {
            position,
            resource_id,
            note,
            title,
            kind,
            kind_label: kind.label(),
            access: Access::parse(&access)?,
            resource_status: Status::parse(&status)?,
        });
    }
    Ok(items)
}

fn assemble(conn: &Connection, row: Row, viewer: &Viewer) -> Result<Collection, CollectionError> {
    Ok(Collection {
        sectors: sectors_of(conn, row.id)?,
        items: items_of(conn, row.id, viewer)?,
        id: row.id,
        title: row.title,
        intro: row.intro,
        season: row.season.map(|s| s.code().to_owned()),
        season_label: row.season.map(Season::label),
        status: row.status,
        status_label: row.status.label(),
        created_by: row.created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
        published_at: row.published_at,
    })
}

/// The collection as `actor` may see it; a borrower asking for a draft or withdrawn
/// one learns only that there is none.
pub fn get(
    conn: &Connection,
    actor: &Actor,
    id: CollectionId,
) -> Result<Collection, CollectionError> {
    let viewer = Viewer::of(conn, actor)?;
    match find_row(conn, id)? {
        Some(row) if viewer.sees_collection(row.status) => assemble(conn, row, &viewer),
        _ => Err(CollectionError::NotFound(id.to_string())),
    }
}

/// The filters of a list; all optional.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub season: Option<Season>,
    /// Librarians only (borrowers see published collections whatever they ask).
    pub status: Option<CollectionStatus>,
    /// Words, as the search box takes them.
    pub q: Option<String>,
}

/// The collections `actor` may see that pass `filter`, most recently published (or
/// changed) first.
pub fn list(
    conn: &Connection,
    actor: &Actor,
    filter: &ListFilter,
) -> Result<Vec<CollectionSummary>, CollectionError> {
    let viewer = Viewer::of(conn, actor)?;
    Ok(visible(conn, &viewer, filter)?
        .iter()
        .map(Collection::summary)
        .collect())
}

/// The collections with their items (as the viewer sees them) that pass `filter`;
/// for a borrower only published ones with at least one item they may see.
pub(crate) fn visible(
    conn: &Connection,
    viewer: &Viewer,
    filter: &ListFilter,
) -> Result<Vec<Collection>, CollectionError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ROW_COLUMNS} FROM collections
         WHERE (?1 IS NULL OR season = ?1) AND (?2 IS NULL OR status = ?2)
         ORDER BY coalesce(published_at, updated_at) DESC, id DESC"
    ))?;
    let rows = stmt
        .query_map(
            params![
                filter.season.map(Season::code),
                filter.status.map(CollectionStatus::as_str)
            ],
            row_from,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    let words = Words::parse(filter.q.as_deref().unwrap_or(""));
    let mut found = Vec::new();
    for row in rows {
        if !viewer.sees_collection(row.status) {
            continue;
        }
        let collection = assemble(conn, row, viewer)?;
        // A borrower who may see none of the items has nothing to open.
        if !viewer.librarian && collection.items.is_empty() {
            continue;
        }
        if words.is_empty() || words.found_in(searched_texts(&collection)) {
            found.push(collection);
        }
    }
    Ok(found)
}

/// What a query is matched against: title, introduction, and each item's note and
/// title (only the items the viewer sees, so that a hidden one gives nothing away).
fn searched_texts(collection: &Collection) -> impl Iterator<Item = &str> {
    [collection.title.as_str(), collection.intro.as_str()]
        .into_iter()
        .chain(
            collection
                .items
                .iter()
                .flat_map(|item| [item.note.as_str(), item.title.as_str()]),
        )
}

/// Up to `limit` published collections matching `q` (the search page's 专题 block).
pub fn search(
    conn: &Connection,
    actor: &Actor,
    q: &str,
    limit: usize,
) -> Result<Vec<CollectionSummary>, CollectionError> {
    if Words::parse(q).is_empty() {
        return Ok(Vec::new());
    }
    let filter = ListFilter {
        status: Some(CollectionStatus::Published),
        q: Some(q.to_owned()),
        ..ListFilter::default()
    };
    let mut found = list(conn, actor, &filter)?;
    found.truncate(limit);
    Ok(found)
}

/// The edit history, newest first (librarians).
pub fn history(
    conn: &Connection,
    actor: &Actor,
    id: CollectionId,
) -> Result<Vec<Revision>, CollectionError> {
    if !actor.librarian {
        return Err(CollectionError::LibrariansOnly {
            task: "查看专题修改记录",
        });
    }
    if find_row(conn, id)?.is_none() {
        return Err(CollectionError::NotFound(id.to_string()));
    }
    let mut stmt = conn.prepare_cached(
        "SELECT id, revised_by, revised_at, summary, snapshot FROM collection_revisions
         WHERE collection_id = ?1 ORDER BY id DESC",
    )?;
    let rows = stmt
        .query_map([id.0], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .map(|(id, revised_by, revised_at, summary, snapshot)| Revision {
            id,
            revised_by,
            revised_at,
            summary,
            snapshot: serde_json::from_str(&snapshot).unwrap_or(serde_json::Value::Null),
        })
        .collect())
}
