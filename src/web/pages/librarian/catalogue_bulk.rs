//! What the catalogue list does beyond showing a page: publish or withdraw the selected
//! rows (each through the curation use case, on its own; the page then says which
//! succeeded and which were refused and why), and export the filtered list, every
//! page of it, to CSV or XLSX.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::catalogue::{
    BulkResult, CatalogueQuery, Filters, Outcome, Row, catalogue_page, loan_counts, verb_of,
};
use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::app::AppState;
use crate::catalog::curation::{self, CurationCommand};
use crate::catalog::{CatalogError, ResourceId};
use crate::search::MAX_PER_PAGE;
use crate::spreadsheet;
use crate::web::error::AppError;
use crate::web::pages::extract::{CsrfForm, PageLibrarian, PageQuery, librarians_only};
use crate::web::pages::{PageError, see_other};
use crate::web::shared::search::run_search;

/// Most rows one bulk action handles (a page shows 50).
pub const MAX_SELECTED: usize = 200;
/// Most rows an export holds.
const MAX_EXPORT_ROWS: usize = 10_000;

/// How one selected row fared.
enum Fate {
    Done,
    Unchanged,
    Refused(String),
}

/// Publishes or withdraws the rows ticked in the list (`ids`), each through the
/// curation use case in its own transaction, then refreshes the index once. All
/// done: back to the list (post/redirect/get) naming them. Any refused: the list
/// again with what succeeded, what was refused and why, the refused rows still ticked.
pub async fn change_selected(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    if !user.is_librarian() {
        return Err(librarians_only(&user));
    }
    let filters = Filters::checked(
        form.get("q"),
        form.get("kind"),
        form.get("status"),
        form.get("sector"),
        form.get("page"),
    );
    let action = form.get("action").to_owned();
    let ids = form.all("ids");
    let (Some(verb), false, true) = (verb_of(&action), ids.is_empty(), ids.len() <= MAX_SELECTED)
    else {
        let message = if verb_of(&action).is_none() {
            "请点击“发布所选”或“撤回所选”按钮".to_owned()
        } else if ids.is_empty() {
            "请先勾选要发布或撤回的资源".to_owned()
        } else {
            format!("一次最多处理 {MAX_SELECTED} 份资源，请分批操作")
        };
        return refused_form(&state, &user, filters, message).await;
    };
    let fates = run_each(&state, &user, &action, ids.clone()).await?;
    let titles = titles_of(&state, &ids).await?;
    let mut result = BulkResult {
        verb,
        ..BulkResult::default()
    };
    for (id, fate) in ids.iter().zip(fates) {
        let outcome = |reason: String| Outcome {
            id: id.clone(),
            title: titles
                .iter()
                .find(|(known, _)| known == id)
                .map_or_else(|| id.chars().take(80).collect(), |(_, t)| t.clone()),
            reason,
        };
        match fate {
            Fate::Done => result.done.push(outcome(String::new())),
            Fate::Unchanged => result.unchanged.push(outcome(String::new())),
            Fate::Refused(reason) => result.refused.push(outcome(reason)),
        }
    }
    if result.refused.is_empty() {
        let joined = |list: &[Outcome]| {
            list.iter()
                .map(|o| o.id.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        let back = filters
            .query()
            .set("done", action)
            .set("ok", joined(&result.done))
            .set("same", joined(&result.unchanged))
            .href("/librarian/");
        return Ok(see_other(&format!("{back}#bulk-result")));
    }
    let mut page = catalogue_page(&state, &user, filters).await?;
    for row in &mut page.rows {
        row.checked = result.refused.iter().any(|o| o.id == row.id);
    }
    page.result = Some(result);
    Ok((StatusCode::CONFLICT, page).into_response())
}

/// The list again with why the form itself was refused.
async fn refused_form(
    state: &AppState,
    user: &SessionUser,
    filters: Filters,
    message: String,
) -> Result<Response, PageError> {
    let mut page = catalogue_page(state, user, filters).await?;
    page.result = Some(BulkResult {
        error: Some(message),
        ..BulkResult::default()
    });
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// Runs the action on each id in turn, each its own use case and transaction.
async fn run_each(
    state: &AppState,
    user: &SessionUser,
    action: &str,
    ids: Vec<String>,
) -> Result<Vec<Fate>, PageError> {
    let (actor, at, publish) = (Actor::user(user), state.clock.moment(), action == "publish");
    let indexing = state.clone();
    let fates = state
        .with_conn(move |conn| {
            let fates: Vec<Fate> = ids
                .iter()
                .map(|raw| {
                    let id = ResourceId::parse(raw.trim())?;
                    let command = if publish {
                        CurationCommand::Publish(id)
                    } else {
                        CurationCommand::Withdraw(id)
                    };
                    curation::curate(conn, &actor, command, at)
                })
                .map(|outcome| match outcome {
                    Ok(curated) if curated.changed => Fate::Done,
                    Ok(_) => Fate::Unchanged,
                    Err(err) => Fate::Refused(reason(&err)),
                })
                .collect();
            // Borrowers' search shows the change before the answer.
            indexing.refresh_index_now();
            Ok::<_, AppError>(fates)
        })
        .await?;
    Ok(fates)
}

/// Why a row was refused, in words for the librarian.
fn reason(err: &CatalogError) -> String {
    match err {
        CatalogError::Invalid { message, .. } => message.clone(),
        err if err.is_user_error() => err.to_string(),
        err => {
            tracing::warn!(%err, "a bulk catalogue change failed");
            "系统出错，未能处理，请稍后重试".to_owned()
        }
    }
}

async fn titles_of(state: &AppState, ids: &[String]) -> Result<Vec<(String, String)>, PageError> {
    let ids = ids.to_vec();
    Ok(state
        .with_conn(move |conn| crate::catalog::read::titles(conn, &ids))
        .await?)
}

const EXPORT_HEADER: [&str; 10] = [
    "编号",
    "标题",
    "类型",
    "状态",
    "开放方式",
    "年份",
    "行业",
    "时长",
    "进行中借阅",
    "累计借阅",
];

/// Every row of the filtered list (up to [`MAX_EXPORT_ROWS`]) as export cells.
async fn export_rows(
    state: &AppState,
    user: &SessionUser,
    filters: &Filters,
) -> Result<Vec<Vec<String>>, PageError> {
    let mut hits = Vec::new();
    for page in 1.. {
        let results = run_search(state, user, filters.request(page, MAX_PER_PAGE)).await?;
        let last = results.hits.len() < MAX_PER_PAGE;
        hits.extend(results.hits);
        if last || hits.len() >= MAX_EXPORT_ROWS {
            break;
        }
    }
    hits.truncate(MAX_EXPORT_ROWS);
    let counts = loan_counts(state, hits.iter().map(|h| h.id.clone()).collect()).await?;
    Ok(hits
        .iter()
        .map(|hit| {
            let row = Row::of(hit, counts.get(&hit.id).copied().unwrap_or_default());
            [
                row.id,
                row.title,
                row.kind_label.to_owned(),
                row.status_label.to_owned(),
                row.access_label.to_owned(),
                row.year,
                row.sectors,
                row.length,
                row.open_loans.to_string(),
                row.total_loans.to_string(),
            ]
            .iter()
            .map(|text| spreadsheet::cell(text))
            .collect()
        })
        .collect())
}

/// `/librarian/catalogue.csv`: the filtered list as CSV (UTF-8 with BOM, for Excel).
pub async fn export_csv(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    PageQuery(query): PageQuery<CatalogueQuery>,
) -> Result<Response, PageError> {
    let rows = export_rows(&state, &user, &query.filters()).await?;
    Ok(crate::web::pages::attachment(
        "text/csv; charset=utf-8",
        "attachment; filename=\"catalogue.csv\"",
        spreadsheet::csv_bytes(&EXPORT_HEADER, rows),
    ))
}

/// `/librarian/catalogue.xlsx`: the filtered list as an XLSX workbook.
pub async fn export_xlsx(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    PageQuery(query): PageQuery<CatalogueQuery>,
) -> Result<Response, PageError> {
    let rows = export_rows(&state, &user, &query.filters()).await?;
    let bytes = spreadsheet::xlsx_bytes("资源目录", &EXPORT_HEADER, rows)
        .map_err(|err| PageError::from(AppError::internal(err)))?;
    Ok(crate::web::pages::attachment(
        spreadsheet::XLSX_MIME,
        "attachment; filename=\"catalogue.xlsx\"",
        bytes,
    ))
}
