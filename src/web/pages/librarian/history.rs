//! `/librarian/resources/{id}/history`: who changed what, newest first.

use askama::Template;
use axum::extract::{Path, State};
use serde_json::Value;

use crate::app::AppState;
use crate::catalog;
use crate::web::api::resources::resource_id;
use crate::web::pages::extract::PageLibrarian;
use crate::web::pages::{Chrome, PageError, format, pages};

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

/// Updates store `field: [old, new]`; creations store the values themselves.
fn changes(action: &str, value: &Value) -> Vec<Change> {
    let Value::Object(map) = value else {
        return Vec::new();
    };
    map.iter()
        .map(|(field, value)| {
            let pair = match value {
                Value::Array(pair) if pair.len() == 2 && action != "create" => {
                    Some((show(&pair[0]), show(&pair[1])))
                }
                _ => None,
            };
            let (before, after) = match pair {
                Some((before, after)) => (Some(before), after),
                None => (None, show(value)),
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
    let id = resource_id(&raw_id).map_err(PageError)?;
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
        chrome: Chrome::for_user(&user, "librarian"),
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
        let update = serde_json::json!({"title": ["旧", "新"], "licences": [null, 3]});
        let changes = changes("update", &update);
        assert_eq!(changes[0].field, "数字许可数");
        assert_eq!(changes[0].before.as_deref(), Some("（空）"));
        assert_eq!(changes[0].after, "3");
        let created = serde_json::json!({"sectors": ["税务", "海关"]});
        let changes = super::changes("create", &created);
        assert_eq!(changes[0].after, "税务、海关");
        assert!(changes[0].before.is_none());
    }
}
