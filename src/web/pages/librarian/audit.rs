//! `/librarian/audit`: the audit log, newest first, filtered by action, user, unit,
//! resource and dates (days in Beijing time). The many requests of one viewing of a
//! file show as one row with their count (`audit::list_viewings`: each access names
//! its viewing as it is written, so reading stays cheap and no row is rewritten), on
//! the page and in its CSV export alike; the background task's steps are credited to
//! 系统.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use std::collections::HashMap;

use crate::accounts;
use crate::app::AppState;
use crate::audit::{self, AuditAction, AuditFilter, AuditRow};
use crate::clock::time_zone;
use crate::spreadsheet;
use crate::web::error::AppError;
use crate::web::pages::extract::{PageLibrarian, PageQuery};
use crate::web::pages::format;
use crate::web::pages::url::Query;
use crate::web::pages::{Chrome, PageError, Section, pages};
use axum::http::header;

const PAGE_SIZE: u32 = 100;

pub struct Row {
    pub at: String,
    pub username: String,
    pub unit: String,
    pub action: String,
    pub denied: bool,
    pub resource_id: String,
    pub file_id: String,
    pub detail: String,
}

/// A unit in the filter, by name.
pub struct UnitOption {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

pub struct ActionOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct AuditQuery {
    action: String,
    username: String,
    unit: String,
    resource_id: String,
    from: String,
    to: String,
    before_id: String,
}

#[derive(Template)]
#[template(path = "librarian/audit.html")]
pub struct AuditPage {
    chrome: Chrome,
    query: AuditQuery,
    actions: Vec<ActionOption>,
    units: Vec<UnitOption>,
    rows: Vec<Row>,
    error: Option<String>,
    older: Option<String>,
    newest: Option<String>,
    /// The same filters as a CSV download.
    export: String,
}
pages!(AuditPage);

/// The first moment of a day in Beijing time as stored (`at` is an RFC 3339 UTC
/// timestamp), optionally a day later.
fn day_start(field: &str, text: &str, next_day: bool) -> Result<Option<String>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let date: jiff::civil::Date = text
        .parse()
        .map_err(|_| format!("{field}应为日期（YYYY-MM-DD），现在是“{text}”"))?;
    let date = if next_day {
        date.tomorrow().map_err(|_| format!("{field}超出范围"))?
    } else {
        date
    };
    let start = date
        .at(0, 0, 0, 0)
        .to_zoned_datetime(time_zone())
        .map_err(|_| format!("{field}超出范围"))?;
    Ok(Some(start.timestamp().to_string()))
}

fn filter_of(query: &AuditQuery) -> Result<AuditFilter, String> {
    let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let before_id = match query.before_id.trim() {
        "" => None,
        id => Some(id.parse::<i64>().map_err(|_| "分页参数无效".to_owned())?),
    };
    Ok(AuditFilter {
        action: text(&query.action),
        username: text(&query.username),
        unit: text(&query.unit),
        resource_id: text(&query.resource_id),
        from: day_start("起始日期", &query.from, false)?,
        to: day_start("截止日期", &query.to, true)?,
        limit: Some(PAGE_SIZE),
        before_id,
    })
}

fn link(query: &AuditQuery, before_id: Option<i64>) -> String {
    Query::new()
        .set("action", query.action.trim())
        .set("username", query.username.trim())
        .set("unit", query.unit.trim())
        .set("resource_id", query.resource_id.trim())
        .set("from", query.from.trim())
        .set("to", query.to.trim())
        .set(
            "before_id",
            before_id.map(|id| id.to_string()).unwrap_or_default(),
        )
        .href("/librarian/audit")
}

/// The recorded detail, with the usual English phrases of access and sign-in entries
/// in Chinese (other details, such as file names, are shown as recorded).
fn detail_text(action: Option<AuditAction>, detail: &str) -> String {
    use AuditAction::{FileAccess, LeakTraced, SignIn, SignInFailed};
    if !matches!(
        action,
        Some(FileAccess | LeakTraced | SignIn | SignInFailed)
    ) {
        return detail.to_owned();
    }
    const PHRASES: &[(&str, &str)] = &[
        ("granted", "允许"),
        ("denied", "拒绝"),
        ("; range ", "；范围 "),
        ("shown on the resource page", "在资源页显示"),
        ("as WebVTT", "作为 WebVTT 字幕"),
        ("from ", "来自 "),
        // Stamped copies of PDFs (`access::download`) and the tracer's findings.
        ("; stamped ", "；加注标记 "),
        (", loan ", "，借阅 #"),
        (", no loan", "，无借阅（个人标记）"),
        ("; original, unstamped", "；原件（未加注标记）"),
        ("; original, cannot be stamped", "；原件（无法加注标记）"),
        ("; cannot be stamped", "；无法加注标记"),
        ("found ", "查到 "),
        ("no mark found", "未发现标记"),
    ];
    PHRASES
        .iter()
        .fold(detail.to_owned(), |text, (en, zh)| text.replace(en, zh))
}

fn row_of(row: AuditRow, unit_names: &HashMap<String, String>) -> Row {
    let AuditRow {
        entry,
        count,
        first_at,
    } = row;
    // Rows written by an older version may carry a code this one does not know.
    let action = AuditAction::from_code(&entry.action);
    let unit = entry.unit.clone().unwrap_or_default();
    let label = action.map_or(entry.action.clone(), |a| a.label().to_owned());
    let (at, action_text, detail) = if count > 1 {
        // One viewing: its span, how many requests, and what they were without the
        // byte ranges of each.
        let first = format::datetime(&first_at);
        let last = format::datetime(&entry.at);
        let same_day = first.get(..10) == last.get(..10);
        let span = match last.get(11..) {
            _ if first == last => last.clone(),
            Some(time) if same_day => format!("{first}–{time}"),
            _ => format!("{first} – {last}"),
        };
        let plain = entry
            .detail
            .split_once("; range ")
            .map_or(entry.detail.as_str(), |(head, _)| head);
        (
            span,
            format!("{label} ×{count}"),
            format!("{}（共 {count} 次请求）", detail_text(action, plain)),
        )
    } else {
        (
            format::datetime(&entry.at),
            label,
            detail_text(action, &entry.detail),
        )
    };
    Row {
        at,
        username: audit::actor_label(&entry),
        // Units by name; a code stays shown when its unit is gone.
        unit: unit_names.get(&unit).cloned().unwrap_or(unit),
        denied: entry.detail.starts_with("denied") || action.is_some_and(AuditAction::is_refusal),
        detail,
        action: action_text,
        resource_id: entry.resource_id.unwrap_or_default(),
        file_id: entry.file_id.unwrap_or_default(),
    }
}

pub async fn show_audit(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    PageQuery(query): PageQuery<AuditQuery>,
) -> Result<Response, PageError> {
    let mut page = AuditPage {
        chrome: Chrome::for_user(&user, Section::Audit),
        actions: AuditAction::ALL
            .iter()
            .map(|action| ActionOption {
                value: action.code(),
                label: action.label(),
                selected: query.action == action.code(),
            })
            .collect(),
        units: Vec::new(),
        query: query.clone(),
        rows: Vec::new(),
        error: None,
        older: None,
        newest: None,
        export: link(&query, None).replacen("/librarian/audit", "/librarian/audit.csv", 1),
    };
    let filter = match filter_of(&query) {
        Ok(filter) => filter,
        Err(message) => {
            page.error = Some(message);
            return Ok((StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    let paged = filter.before_id.is_some();
    let (entries, units) = state
        .with_conn(move |conn| {
            let entries = audit::list_viewings(conn, &filter)?;
            Ok::<_, AppError>((entries, accounts::list_units(conn)?))
        })
        .await?;
    let unit_names: HashMap<String, String> = units
        .iter()
        .map(|unit| (unit.code.clone(), unit.name.clone()))
        .collect();
    page.units = units
        .into_iter()
        .map(|unit| UnitOption {
            selected: query.unit.trim() == unit.code,
            code: unit.code,
            name: unit.name,
        })
        .collect();
    if entries.len() == PAGE_SIZE as usize {
        page.older = entries.last().map(|last| link(&query, Some(last.entry.id)));
    }
    if paged {
        page.newest = Some(link(&query, None));
    }
    page.rows = entries
        .into_iter()
        .map(|entry| row_of(entry, &unit_names))
        .collect();
    Ok(page.into_response())
}

/// Rows one export may hold: years of a busy library's log.
const MAX_EXPORT_ROWS: usize = 100_000;

const EXPORT_HEADER: [&str; 7] = ["时间", "用户", "单位", "操作", "资源", "文件", "详情"];

/// `/librarian/audit.csv`: the log under the page's filters, newest first, for Excel.
pub async fn export_audit(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    PageQuery(query): PageQuery<AuditQuery>,
) -> Result<Response, PageError> {
    let mut filter =
        filter_of(&query).map_err(|message| PageError::bad_request(message).for_user(&user))?;
    filter.limit = Some(1000);
    let (entries, units) = state
        .with_conn(move |conn| {
            let mut entries = Vec::new();
            loop {
                let page = audit::list_viewings(conn, &filter)?;
                let full = page.len() == 1000;
                filter.before_id = page.last().map(|last| last.entry.id);
                entries.extend(page);
                if !full || entries.len() >= MAX_EXPORT_ROWS {
                    break;
                }
            }
            Ok::<_, AppError>((entries, accounts::list_units(conn)?))
        })
        .await?;
    let unit_names: HashMap<String, String> = units
        .into_iter()
        .map(|unit| (unit.code, unit.name))
        .collect();
    let rows = entries.into_iter().map(|entry| {
        let row = row_of(entry, &unit_names);
        [
            row.at,
            row.username,
            row.unit,
            row.action,
            row.resource_id,
            row.file_id,
            row.detail,
        ]
        .iter()
        .map(|text| spreadsheet::cell(text))
        .collect()
    });
    let bytes = spreadsheet::csv_bytes(&EXPORT_HEADER, rows);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit-log.csv\"",
            ),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_beijing_days() {
        assert_eq!(
            day_start("起始日期", "2024-06-18", false)
                .unwrap()
                .as_deref(),
            Some("2024-06-17T16:00:00Z")
        );
        assert_eq!(
            day_start("截止日期", "2024-06-18", true)
                .unwrap()
                .as_deref(),
            Some("2024-06-18T16:00:00Z")
        );
        assert!(day_start("起始日期", "18/06/2024", false).is_err());
        assert_eq!(day_start("起始日期", " ", false).unwrap(), None);
    }
}
