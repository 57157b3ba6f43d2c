//! The librarian's steps: create a draft, edit it (any subset of fields; a new item
//! list replaces the old, in its order), publish, withdraw. Each checks permission and
//! input, writes the collection, a revision (the whole collection as JSON and a short
//! summary of what changed) and the audit row in one transaction; a refusal writes
//! nothing.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use super::CollectionError;
use super::model::{
    CollectionId, CollectionInput, CollectionPatch, CollectionStatus, ItemInput, MAX_ITEMS,
    MAX_NOTE_CHARS, checked_intro, checked_season, checked_sectors, checked_title, shorten,
};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::catalog::ResourceId;
use crate::clock::Moment;

/// The whole collection as the history keeps it after each change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Snapshot {
    title: String,
    intro: String,
    season: Option<String>,
    sectors: Vec<String>,
    status: String,
    items: Vec<SnapshotItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SnapshotItem {
    resource_id: String,
    note: String,
}

/// What a step did: the collection, and whether anything changed (an edit that
/// changes nothing writes nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub id: CollectionId,
    pub changed: bool,
}

/// A step that only changes the state (publish, withdraw), for callers that offer
/// both behind one handler.
pub type StatusStep =
    fn(&mut Connection, &Actor, CollectionId, Moment) -> Result<Saved, CollectionError>;

fn librarian(actor: &Actor, task: &'static str) -> Result<(), CollectionError> {
    if actor.librarian {
        Ok(())
    } else {
        Err(CollectionError::LibrariansOnly { task })
    }
}

fn write<T>(
    conn: &mut Connection,
    work: impl FnOnce(&Transaction<'_>) -> Result<T, CollectionError>,
) -> Result<T, CollectionError> {
    let tx = crate::db::begin_write(conn)?;
    let out = work(&tx)?;
    tx.commit()?;
    Ok(out)
}

/// The items checked: at most [`MAX_ITEMS`], each an existing resource (of any kind,
/// in any state) listed once, with a note of at most [`MAX_NOTE_CHARS`]. A refusal
/// names the item by its place and id.
fn checked_items(
    conn: &Connection,
    items: &[ItemInput],
) -> Result<Vec<SnapshotItem>, CollectionError> {
    if items.len() > MAX_ITEMS {
        return Err(CollectionError::invalid(
            "items",
            format!("一个专题最多 {MAX_ITEMS} 项，现有 {} 项", items.len()),
        ));
    }
    let mut checked: Vec<SnapshotItem> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let place = index + 1;
        let raw = item.resource_id.trim();
        let named = shorten(raw, 40);
        let unknown = || {
            CollectionError::invalid("items", format!("第 {place} 项：没有编号为“{named}”的资源"))
        };
        if raw.is_empty() {
            return Err(CollectionError::invalid(
                "items",
                format!("第 {place} 项：请填写资源编号"),
            ));
        }
        let id = ResourceId::parse(raw).map_err(|_| unknown())?;
        if crate::catalog::read::titles(conn, &[id.to_string()])?.is_empty() {
            return Err(unknown());
        }
        if let Some(first) = checked.iter().position(|c| c.resource_id == id.as_str()) {
            return Err(CollectionError::invalid(
                "items",
                format!(
                    "第 {place} 项与第 {} 项是同一资源“{named}”，同一资源在专题中只能列一次",
                    first + 1
                ),
            ));
        }
        let note = item.note.as_deref().unwrap_or("").trim();
        let chars = note.chars().count();
        if chars > MAX_NOTE_CHARS {
            return Err(CollectionError::invalid(
                "items",
                format!(
                    "第 {place} 项（{named}）的说明最多 {MAX_NOTE_CHARS} 个字，现有 {chars} 个字"
                ),
            ));
        }
        checked.push(SnapshotItem {
            resource_id: id.to_string(),
            note: note.to_owned(),
        });
    }
    Ok(checked)
}

/// The collection as stored now.
fn load(conn: &Connection, id: CollectionId) -> Result<Snapshot, CollectionError> {
    let row = conn
        .query_row(
            "SELECT title, intro, season, status FROM collections WHERE id = ?1",
            [id.0],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, String>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((title, intro, season, status)) = row else {
        return Err(CollectionError::NotFound(id.to_string()));
    };
    let sectors = conn
        .prepare_cached(
            "SELECT sector FROM collection_sectors WHERE collection_id = ?1 ORDER BY rowid",
        )?
        .query_map([id.0], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let items = conn
        .prepare_cached(
            "SELECT resource_id, note FROM collection_items WHERE collection_id = ?1
             ORDER BY position",
        )?
        .query_map([id.0], |row| {
            Ok(SnapshotItem {
                resource_id: row.get(0)?,
                note: row.get(1)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Snapshot {
        title,
        intro,
        season,
        sectors,
        status,
        items,
    })
}

/// Writes `new` as collection `id` (the row, its sectors and its items), then the
/// revision and the audit row.
fn save(
    tx: &Transaction<'_>,
    actor: &Actor,
    id: CollectionId,
    new: &Snapshot,
    change: Change<'_>,
    at: Moment,
) -> Result<(), CollectionError> {
    let stamp = at.stamp();
    let published = change.action == AuditAction::CollectionPublished;
    tx.execute(
        "UPDATE collections SET title = ?2, intro = ?3, season = ?4, status = ?5,
                updated_at = ?6, published_at = CASE WHEN ?7 THEN ?6 ELSE published_at END
         WHERE id = ?1",
        params![
            id.0, new.title, new.intro, new.season, new.status, stamp, published
        ],
    )?;
    tx.execute(
        "DELETE FROM collection_sectors WHERE collection_id = ?1",
        [id.0],
    )?;
    for sector in &new.sectors {
        tx.execute(
            "INSERT INTO collection_sectors (collection_id, sector) VALUES (?1, ?2)",
            params![id.0, sector],
        )?;
    }
    tx.execute(
        "DELETE FROM collection_items WHERE collection_id = ?1",
        [id.0],
    )?;
    for (position, item) in new.items.iter().enumerate() {
        tx.execute(
            "INSERT INTO collection_items (collection_id, position, resource_id, note)
             VALUES (?1, ?2, ?3, ?4)",
            params![id.0, position as i64, item.resource_id, item.note],
        )?;
    }
    let snapshot = serde_json::to_string(new).unwrap_or_default();
    tx.execute(
        "INSERT INTO collection_revisions (collection_id, revised_by, revised_at, summary, snapshot)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id.0, actor.username, stamp, change.summary, snapshot],
    )?;
    AuditEvent::by(actor, change.action)
        .detail(format!(
            "专题 #{id}《{}》：{}",
            shorten(&new.title, 60),
            change.summary
        ))
        .record(tx, at)?;
    Ok(())
}

/// What a revision records besides the snapshot.
struct Change<'a> {
    action: AuditAction,
    summary: &'a str,
}

/// Creates a draft collection.
pub fn create(
    conn: &mut Connection,
    actor: &Actor,
    input: CollectionInput,
    at: Moment,
) -> Result<CollectionId, CollectionError> {
    librarian(actor, "新建专题")?;
    write(conn, |tx| {
        let snapshot = Snapshot {
            title: checked_title(&input.title)?,
            intro: checked_intro(input.intro.as_deref().unwrap_or(""))?,
            season: checked_season(input.season.as_deref())?.map(|s| s.code().to_owned()),
            sectors: checked_sectors(&input.sectors)?,
            status: CollectionStatus::Draft.as_str().to_owned(),
            items: checked_items(tx, &input.items)?,
        };
        tx.execute(
            "INSERT INTO collections (title, intro, season, status, created_by, created_at, updated_at)
             VALUES (?1, '', NULL, 'draft', ?2, ?3, ?3)",
            params![snapshot.title, actor.username, at.stamp()],
        )?;
        let id = CollectionId(tx.last_insert_rowid());
        let summary = format!("新建专题，共 {} 项", snapshot.items.len());
        let change = Change {
            action: AuditAction::CollectionCreated,
            summary: &summary,
        };
        save(tx, actor, id, &snapshot, change, at)?;
        Ok(id)
    })
}

/// Changes the fields `patch` names.
pub fn update(
    conn: &mut Connection,
    actor: &Actor,
    id: CollectionId,
    patch: CollectionPatch,
    at: Moment,
) -> Result<Saved, CollectionError> {
    librarian(actor, "修改专题")?;
    write(conn, |tx| {
        let old = load(tx, id)?;
        let mut new = old.clone();
        if let Some(title) = &patch.title {
            new.title = checked_title(title)?;
        }
        if let Some(intro) = &patch.intro {
            new.intro = checked_intro(intro)?;
        }
        if let Some(season) = &patch.season {
            new.season = checked_season(season.as_deref())?.map(|s| s.code().to_owned());
        }
        if let Some(sectors) = &patch.sectors {
            new.sectors = checked_sectors(sectors)?;
        }
        if let Some(items) = &patch.items {
            new.items = checked_items(tx, items)?;
        }
        if new == old {
            return Ok(Saved { id, changed: false });
        }
        let summary = describe(&old, &new);
        let change = Change {
            action: AuditAction::CollectionUpdated,
            summary: &summary,
        };
        save(tx, actor, id, &new, change, at)?;
        Ok(Saved { id, changed: true })
    })
}

/// Publishes a draft or withdrawn collection: units see it from now on. One with no
/// items is refused.
pub fn publish(
    conn: &mut Connection,
    actor: &Actor,
    id: CollectionId,
    at: Moment,
) -> Result<Saved, CollectionError> {
    librarian(actor, "发布专题")?;
    write(conn, |tx| {
        let old = load(tx, id)?;
        let from = CollectionStatus::parse(&old.status)?;
        if from == CollectionStatus::Published {
            return Err(CollectionError::WrongState {
                from,
                action: "再次发布",
            });
        }
        if old.items.is_empty() {
            return Err(CollectionError::invalid(
                "items",
                "专题还没有任何资源，请先添加资源再发布",
            ));
        }
        let new = Snapshot {
            status: CollectionStatus::Published.as_str().to_owned(),
            ..old
        };
        let change = Change {
            action: AuditAction::CollectionPublished,
            summary: "发布",
        };
        save(tx, actor, id, &new, change, at)?;
        Ok(Saved { id, changed: true })
    })
}

/// Withdraws a published collection: units no longer see it.
pub fn withdraw(
    conn: &mut Connection,
    actor: &Actor,
    id: CollectionId,
    at: Moment,
) -> Result<Saved, CollectionError> {
    librarian(actor, "撤回专题")?;
    write(conn, |tx| {
        let old = load(tx, id)?;
        let from = CollectionStatus::parse(&old.status)?;
        if from != CollectionStatus::Published {
            return Err(CollectionError::WrongState {
                from,
                action: "撤回",
            });
        }
        let new = Snapshot {
            status: CollectionStatus::Withdrawn.as_str().to_owned(),
            ..old
        };
        let change = Change {
            action: AuditAction::CollectionWithdrawn,
            summary: "撤回",
        };
        save(tx, actor, id, &new, change, at)?;
        Ok(Saved { id, changed: true })
    })
}

/// What changed from `old` to `new`, in a short Chinese sentence for the history.
fn describe(old: &Snapshot, new: &Snapshot) -> String {
    let mut parts: Vec<String> = Vec::new();
    if old.title != new.title {
        parts.push(format!("标题改为《{}》", shorten(&new.title, 30)));
    }
    if old.intro != new.intro {
        parts.push("修改简介".to_owned());
    }
    if old.season != new.season {
        let label = new
            .season
            .as_deref()
            .and_then(crate::seasons::Season::parse)
            .map(|s| s.label());
        parts.push(match label {
            Some(label) => format!("节点改为{label}"),
            None => "取消节点".to_owned(),
        });
    }
    if old.sectors != new.sectors {
        parts.push(if new.sectors.is_empty() {
            "适用行业改为全部行业".to_owned()
        } else {
            format!("适用行业改为{}", new.sectors.join("、"))
        });
    }
    if old.items != new.items {
        parts.push(describe_items(&old.items, &new.items));
    }
    if parts.is_empty() {
        "无变化".to_owned()
    } else {
        parts.join("；")
    }
}

/// How the item list changed: added, removed, moved, notes changed.
fn describe_items(old: &[SnapshotItem], new: &[SnapshotItem]) -> String {
    let in_list = |list: &[SnapshotItem], id: &str| list.iter().any(|i| i.resource_id == id);
    let added = new.iter().filter(|i| !in_list(old, &i.resource_id)).count();
    let removed = old.iter().filter(|i| !in_list(new, &i.resource_id)).count();
    let kept_old: Vec<&str> = old
        .iter()
        .filter(|i| in_list(new, &i.resource_id))
        .map(|i| i.resource_id.as_str())
        .collect();
    let kept_new: Vec<&str> = new
        .iter()
        .filter(|i| in_list(old, &i.resource_id))
        .map(|i| i.resource_id.as_str())
        .collect();
    let notes = new
        .iter()
        .filter(|i| {
            old.iter()
                .any(|o| o.resource_id == i.resource_id && o.note != i.note)
        })
        .count();
    let mut parts = Vec::new();
    if added > 0 {
        parts.push(format!("新增 {added} 项"));
    }
    if removed > 0 {
        parts.push(format!("移除 {removed} 项"));
    }
    if kept_old != kept_new {
        parts.push("调整顺序".to_owned());
    }
    if notes > 0 {
        parts.push(format!("修改 {notes} 条说明"));
    }
    format!("资源：{}", parts.join("、"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, note: &str) -> SnapshotItem {
        SnapshotItem {
            resource_id: id.to_owned(),
            note: note.to_owned(),
        }
    }

    fn snapshot(items: Vec<SnapshotItem>) -> Snapshot {
        Snapshot {
            title: "元旦春节廉洁过节专题".to_owned(),
            intro: String::new(),
            season: Some("chunjie".to_owned()),
            sectors: Vec::new(),
            status: "draft".to_owned(),
            items,
        }
    }

    #[test]
    fn the_summary_says_what_changed() {
        let old = snapshot(vec![item("a", ""), item("b", ""), item("c", "会前播放")]);
        let mut new = snapshot(vec![item("c", "会后讨论"), item("a", ""), item("d", "")]);
        new.season = Some("zhongqiu".to_owned());
        new.sectors = vec!["税务".to_owned(), "海关".to_owned()];
        assert_eq!(
            describe(&old, &new),
            "节点改为中秋；适用行业改为税务、海关；资源：新增 1 项、移除 1 项、调整顺序、修改 1 条说明"
        );
        let mut renamed = old.clone();
        renamed.title = "新标题".to_owned();
        renamed.season = None;
        assert_eq!(describe(&old, &renamed), "标题改为《新标题》；取消节点");
        assert_eq!(describe(&old, &old), "无变化");
        let reordered = snapshot(vec![item("b", ""), item("a", ""), item("c", "会前播放")]);
        assert_eq!(describe(&old, &reordered), "资源：调整顺序");
    }
}
