//! `/librarian/resources/{id}/history`: who changed what, newest first.

use askama::Template;
use axum::extract::{Path, State};
use serde_json::Value;

use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::catalog;
use crate::web::pages::extract::PageLibrarian;
use crate::web::pages::{Chrome, PageError, Section, format, pages};
use crate::web::shared::resource_id;

pub struct Change {
    pub field: String,
    pub before: Option<String>,
    pub after: String,
}

pub struct Entry {
    pub at: String,
    pub actor: String,
    pub action: &'static str,
    pub changes: Vec<Change>,
}

#[derive(Template)]
#[template(path = "librarian/history.html")]
pub struct HistoryPage {
    chrome: Chrome,
    id: String,
    title: String,
    entries: Vec<Entry>,
}
pages!(HistoryPage);

/// Fields in the order the editor shows them.
const FIELD_ORDER: &[&str] = &[
    "title",
    "kind",
    "summary",
    "tags",
    "sectors",
    "violations",
    "region",
    "date",
    "source",
    "duration_seconds",
    "pages",
    "access",
    "status",
    "licences",
    "copies",
    "file",
];

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// A stored value as a reader sees it.
fn show(value: &Value) -> String {
    match value {
        Value::Null => "（空）".to_owned(),
        Value::String(s) if s.is_empty() => "（空）".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "（空）".to_owned(),
        Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join("、"),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{}：{}", format::field_label(k), show(v)))
            .collect::<Vec<_>>()
            .join("，"),
        other => other.to_string(),
    }
}

/// One changed copy: `{"barcode", "added"}`, `{"barcode", "withdrawn"}` or its new
/// location and condition.
fn show_copy(change: &Value) -> String {
    let barcode = change["barcode"].as_str().unwrap_or("?");
    if change["added"] == true {
        format!("新增 {barcode}")
    } else if change["withdrawn"] == true {
        format!("停用 {barcode}")
    } else {
        format!(
            "{barcode} 改为 {}（{}）",
            change["location"].as_str().unwrap_or(""),
            format::condition_label(change["condition"].as_str().unwrap_or(""))
        )
    }
}

/// A value of `field`, with codes in words.
fn show_field(field: &str, value: &Value) -> String {
    match (field, value) {
        ("kind", Value::String(code)) => format::kind_label(code).to_owned(),
        ("status", Value::String(code)) => format::status_label(code).to_owned(),
        ("access", Value::String(code)) => format::access_label(code).to_owned(),
        ("licences", Value::Null) => "不限".to_owned(),
        ("duration_seconds", Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(format::duration)
            .unwrap_or_else(|| n.to_string()),
        ("copies", Value::Array(changes)) => {
            changes.iter().map(show_copy).collect::<Vec<_>>().join("；")
        }
        ("file", Value::Object(file)) => format!(
            "{}（{}，{}，{}）",
            file.get("name").and_then(Value::as_str).unwrap_or(""),
            file.get("mime").and_then(Value::as_str).unwrap_or(""),
            format::size(file.get("size").and_then(Value::as_u64).unwrap_or(0)),
            format::extraction_label(file.get("extraction").and_then(Value::as_str).unwrap_or(""))
        ),
        _ => show(value),
    }
}

/// Updates store `field: [old, new]`; creations store the values themselves (empty
/// ones are left out).
fn changes(action: &str, value: &Value) -> Vec<Change> {
    let Value::Object(map) = value else {
        return Vec::new();
    };
    let mut fields: Vec<(&String, &Value)> = map.iter().collect();
    let rank = |field: &str| {
        FIELD_ORDER
            .iter()
            .position(|f| *f == field)
            .unwrap_or(FIELD_ORDER.len())
    };
    fields.sort_by_key(|(field, _)| rank(field));
    fields
        .into_iter()
        .filter(|(_, value)| action != "create" || !is_empty(value))
        .map(|(field, value)| {
            let (before, after) = match value {
                Value::Array(pair)
                    if pair.len() == 2 && action != "create" && field != "copies" =>
                {
                    (
                        Some(show_field(field, &pair[0])),
                        show_field(field, &pair[1]),
                    )
                }
                _ => (None, show_field(field, value)),
            };
            Change {
                field: format::field_label(field).to_owned(),
                before,
                after,
            }
        })
        .collect()
}

pub async fn show_history(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    Path(raw_id): Path<String>,
) -> Result<HistoryPage, PageError> {
    history_page(state, user.clone(), raw_id)
        .await
        .map_err(|err| err.for_user(&user))
}

async fn history_page(
    state: AppState,
    user: SessionUser,
    raw_id: String,
) -> Result<HistoryPage, PageError> {
    let id = resource_id(&raw_id).map_err(PageError::from)?;
    let (resource, history) = state
        .with_conn(move |conn| {
            let resource = catalog::get_resource(conn, &id)?;
            Ok::<_, catalog::CatalogError>((resource, catalog::history(conn, &id)?))
        })
        .await?;
    let entries = history
        .iter()
        .rev()
        .map(|entry| Entry {
            at: format::datetime(&entry.at),
            actor: entry.actor.clone(),
            action: format::history_action_label(&entry.action),
            changes: changes(&entry.action, &entry.changes),
        })
        .collect();
    Ok(HistoryPage {
        chrome: Chrome::for_user(&user, Section::Librarian),
        id: resource.id,
        title: resource.title,
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_read_as_before_and_after() {
        let update = serde_json::json!({"licences": [null, 3], "status": ["draft", "published"]});
        let changes = changes("update", &update);
        assert_eq!(changes[0].field, "状态");
        assert_eq!(changes[0].before.as_deref(), Some("草稿"));
        assert_eq!(changes[0].after, "已发布");
        assert_eq!(changes[1].before.as_deref(), Some("不限"));
        assert_eq!(changes[1].after, "3");
        let created =
            serde_json::json!({"sectors": ["税务", "海关"], "region": "", "kind": "video"});
        let changes = super::changes("create", &created);
        assert_eq!(changes.len(), 2, "empty values left out");
        assert_eq!(changes[0].after, "警示教育片");
        assert_eq!(changes[1].after, "税务、海关");
        assert!(changes[1].before.is_none());
        let copies = serde_json::json!({"copies": [{"barcode": "A", "added": true},
            {"barcode": "B", "withdrawn": true}]});
        assert_eq!(super::changes("copies", &copies)[0].after, "新增 A；停用 B");
    }
}
