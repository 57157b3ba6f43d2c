//! `/librarian/reports` (使用报告): what the units reported after their loans, by
//! unit, resource and the dates held, with the totals, and the same list as CSV
//! (`/librarian/reports.csv`) and XLSX (`/librarian/reports.xlsx`).

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::accounts;
use crate::app::AppState;
use crate::loans::{self, Actor, LoanError, ReportFilter, ReportList, ReportRow};
use crate::spreadsheet;
use crate::web::error::AppError;
use crate::web::pages::extract::{PageLibrarian, PageQuery};
use crate::web::pages::format;
use crate::web::pages::url::Query;
use crate::web::pages::{Chrome, PageError, Section, pages};

/// Rows shown on the page; the exports hold them all.
const SHOWN_ROWS: usize = 500;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ReportsQuery {
    unit: String,
    resource_id: String,
    from: String,
    to: String,
}

impl ReportsQuery {
    fn filter(&self) -> ReportFilter {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        ReportFilter {
            unit: text(&self.unit),
            resource_id: text(&self.resource_id),
            from: text(&self.from),
            to: text(&self.to),
        }
    }

    fn link(&self, path: &str) -> String {
        Query::new()
            .set("unit", self.unit.trim())
            .set("resource_id", self.resource_id.trim())
            .set("from", self.from.trim())
            .set("to", self.to.trim())
            .href(path)
    }
}

/// A choice of a filter's select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One report as the table shows it.
pub struct Line {
    pub loan_id: i64,
    pub held_on: String,
    pub unit_name: String,
    pub resource_id: String,
    pub resource_title: String,
    pub format_label: &'static str,
    pub sessions: u32,
    pub participants: u32,
    pub feedback: String,
    pub reported_by: String,
}

#[derive(Template)]
#[template(path = "librarian/reports.html")]
pub struct ReportsPage {
    chrome: Chrome,
    query: ReportsQuery,
    units: Vec<Choice>,
    resources: Vec<Choice>,
    totals: loans::ReportTotals,
    lines: Vec<Line>,
    /// More reports than shown; the exports have them all.
    more: bool,
    error: Option<String>,
    csv: String,
    xlsx: String,
}
pages!(ReportsPage);

/// The reports under the filters, and the filters' choices.
async fn read(
    state: &AppState,
    actor: Actor,
    filter: ReportFilter,
) -> Result<
    (
        Result<ReportList, LoanError>,
        Vec<accounts::Unit>,
        Vec<(String, String)>,
    ),
    AppError,
> {
    state
        .with_conn(move |conn| {
            let list = loans::reports(conn, &actor, &filter);
            let units = accounts::list_units(conn)?;
            let resources = loans::reported_resources(conn)?;
            Ok::<_, AppError>((list, units, resources))
        })
        .await
}

pub async fn show_reports(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    PageQuery(query): PageQuery<ReportsQuery>,
) -> Result<Response, PageError> {
    let (list, units, resources) = read(&state, Actor::user(&user), query.filter())
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    let (unit, resource) = (query.unit.trim(), query.resource_id.trim());
    let mut page = ReportsPage {
        chrome: Chrome::for_user(&user, Section::Loans),
        units: units
            .into_iter()
            .map(|u| Choice {
                selected: u.code == unit,
                value: u.code,
                label: u.name,
            })
            .collect(),
        resources: resources
            .into_iter()
            .map(|(id, title)| Choice {
                selected: id == resource,
                label: if title.is_empty() { id.clone() } else { title },
                value: id,
            })
            .collect(),
        totals: loans::ReportTotals::default(),
        lines: Vec::new(),
        more: false,
        error: None,
        csv: query.link("/librarian/reports.csv"),
        xlsx: query.link("/librarian/reports.xlsx"),
        query,
    };
    match list {
        Ok(list) => {
            page.totals = list.totals;
            page.more = list.rows.len() > SHOWN_ROWS || list.truncated;
            page.lines = list.rows.iter().take(SHOWN_ROWS).map(line).collect();
            Ok(page.into_response())
        }
        Err(err) => {
            let err = AppError::from(err);
            let status = err.status;
            page.error = Some(err.into_message());
            Ok((status, page).into_response())
        }
    }
}

fn line(row: &ReportRow) -> Line {
    Line {
        loan_id: row.loan_id.0,
        held_on: row.held_on.to_string(),
        unit_name: row.unit_name.clone(),
        resource_id: row.resource_id.clone(),
        resource_title: row.resource_title.clone(),
        format_label: row.format.label(),
        sessions: row.sessions,
        participants: row.participants,
        feedback: row.feedback.clone(),
        reported_by: row.reported_by.clone(),
    }
}

const EXPORT_HEADER: [&str; 11] = [
    "举办日期",
    "单位",
    "单位代码",
    "资源",
    "资源编号",
    "形式",
    "场次",
    "人次",
    "观后感",
    "借阅编号",
    "填报",
];

/// The export's rows: the table's, every one, with codes and when each was filed,
/// then the totals. `text` guards what people typed (CSV: against formulas; XLSX
/// writes every cell as text already).
fn export_rows(list: &ReportList, text: fn(&str) -> String) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = list
        .rows
        .iter()
        .map(|r| {
            vec![
                r.held_on.to_string(),
                text(&r.unit_name),
                text(&r.unit),
                text(&r.resource_title),
                text(&r.resource_id),
                r.format.label().to_owned(),
                r.sessions.to_string(),
                r.participants.to_string(),
                text(&r.feedback),
                r.loan_id.to_string(),
                text(&format!(
                    "{} {}",
                    r.reported_by,
                    format::minute(&r.reported_at)
                )),
            ]
        })
        .collect();
    rows.push(totals_row(list));
    rows
}

/// The totals as the export's last row.
fn totals_row(list: &ReportList) -> Vec<String> {
    let t = list.totals;
    vec![
        "合计".to_owned(),
        format!("{} 个单位", t.units),
        String::new(),
        format!("{} 个资源", t.resources),
        String::new(),
        String::new(),
        t.sessions.to_string(),
        t.participants.to_string(),
        format!("{} 份报告", t.reports),
        String::new(),
        String::new(),
    ]
}

async fn exported(
    state: &AppState,
    user: &crate::accounts::SessionUser,
    query: &ReportsQuery,
) -> Result<ReportList, PageError> {
    let (list, ..) = read(state, Actor::user(user), query.filter())
        .await
        .map_err(|err| PageError::from(err).for_user(user))?;
    list.map_err(|err| PageError::from(AppError::from(err)).for_user(user))
}

/// `/librarian/reports.csv`: the list under the page's filters, for Excel.
pub async fn export_csv(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    PageQuery(query): PageQuery<ReportsQuery>,
) -> Result<Response, PageError> {
    let list = exported(&state, &user, &query).await?;
    let rows = export_rows(&list, spreadsheet::cell);
    Ok(crate::web::pages::attachment(
        "text/csv; charset=utf-8",
        "attachment; filename=\"usage-reports.csv\"",
        spreadsheet::csv_bytes(&EXPORT_HEADER, rows),
    ))
}

/// `/librarian/reports.xlsx`: the same as a workbook.
pub async fn export_xlsx(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    PageQuery(query): PageQuery<ReportsQuery>,
) -> Result<Response, PageError> {
    let list = exported(&state, &user, &query).await?;
    let rows = export_rows(&list, str::to_owned);
    let bytes = spreadsheet::xlsx_bytes("使用报告", &EXPORT_HEADER, rows)
        .map_err(|err| PageError::from(AppError::internal(err)).for_user(&user))?;
    Ok(crate::web::pages::attachment(
        spreadsheet::XLSX_MIME,
        "attachment; filename=\"usage-reports.xlsx\"",
        bytes,
    ))
}
