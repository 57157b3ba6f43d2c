//! `/librarian/`: the whole catalogue, drafts and withdrawn resources included, newest
//! first (best match first with a query), filtered by status, kind and sector (all in
//! the URL), each row with its loan counts, paged; the filtered list exported to CSV
//! or XLSX; and the selected rows published or withdrawn (`catalogue_bulk`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::catalog::{Kind, Status};
use crate::loans::{self, LoanCounts};
use crate::search::{Hit, SearchRequest, SortOrder};
use crate::web::error::AppError;
use crate::web::pages::extract::{PageLibrarian, PageQuery};
use crate::web::pages::url::Query;
use crate::web::pages::{Chrome, PageError, Section, format, pages, see_other};
use crate::web::shared::search::run_search;

pub struct Row {
    pub id: String,
    pub title: String,
    pub kind_label: &'static str,
    pub status: String,
    pub status_label: &'static str,
    pub access_label: &'static str,
    pub year: String,
    pub sectors: String,
    /// A video's length as `12:34`, or "".
    pub length: String,
    pub open_loans: u64,
    pub total_loans: u64,
    /// Ticked again after a bulk action refused it.
    pub checked: bool,
}

impl Row {
    pub(super) fn of(hit: &Hit, counts: LoanCounts) -> Self {
        Row {
            id: hit.id.clone(),
            title: hit.title.clone(),
            kind_label: format::kind_label(&hit.kind),
            status: hit.status.clone(),
            status_label: format::status_label(&hit.status),
            access_label: format::access_label(&hit.access),
            year: hit.year.map(|y| y.to_string()).unwrap_or_default(),
            sectors: hit.sectors.join("、"),
            length: hit
                .duration
                .map(|seconds| format::clock(f64::from(seconds)))
                .unwrap_or_default(),
            open_loans: counts.open,
            total_loans: counts.total,
            checked: false,
        }
    }
}

/// An option of a filter's list.
pub struct FilterOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One resource a bulk action handled, and what became of it.
pub struct Outcome {
    pub id: String,
    pub title: String,
    /// Why it was refused (empty when it succeeded or was already so).
    pub reason: String,
}

/// What a bulk publish or withdraw did, row by row.
#[derive(Default)]
pub struct BulkResult {
    /// "发布" or "撤回".
    pub verb: &'static str,
    pub done: Vec<Outcome>,
    /// Already published (or withdrawn): nothing to do.
    pub unchanged: Vec<Outcome>,
    pub refused: Vec<Outcome>,
    /// The form itself was refused (nothing selected, unknown action).
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "librarian/catalogue.html")]
pub struct CataloguePage {
    chrome: Chrome,
    filters: Filters,
    kinds: Vec<FilterOption>,
    statuses: Vec<FilterOption>,
    sectors: Vec<FilterOption>,
    pub(super) rows: Vec<Row>,
    total: u64,
    prev: Option<String>,
    next: Option<String>,
    page: usize,
    page_count: usize,
    csv_href: String,
    xlsx_href: String,
    /// Whether any filter or query is set (to offer clearing them).
    filtered: bool,
    pub(super) result: Option<BulkResult>,
}
pages!(CataloguePage);

/// The list's filters as the URL carries them; unknown values are dropped.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub q: String,
    pub kind: String,
    pub status: String,
    pub sector: String,
    pub page: usize,
}

impl Filters {
    /// Checked filters: a kind or status the catalogue does not know is no filter.
    pub fn checked(q: &str, kind: &str, status: &str, sector: &str, page: &str) -> Self {
        Filters {
            q: q.trim().chars().take(200).collect(),
            kind: Kind::parse(kind)
                .map(|k| k.as_str().to_owned())
                .unwrap_or_default(),
            status: Status::parse(status)
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            sector: sector.trim().chars().take(100).collect(),
            page: page
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|p| (1..=MAX_PAGE).contains(p))
                .unwrap_or(1),
        }
    }

    /// The filters as a query string (without the page).
    pub fn query(&self) -> Query {
        Query::new()
            .set("q", self.q.as_str())
            .set("status", self.status.as_str())
            .set("kind", self.kind.as_str())
            .set("sector", self.sector.as_str())
    }

    /// The list at page `page` with these filters.
    pub fn href(&self, page: usize) -> String {
        self.query()
            .set(
                "page",
                if page > 1 {
                    page.to_string()
                } else {
                    String::new()
                },
            )
            .href("/librarian/")
    }

    /// The search for one page of the list.
    pub fn request(&self, page: usize, per_page: usize) -> SearchRequest {
        let some = |value: &str| (!value.is_empty()).then(|| value.to_owned());
        SearchRequest {
            q: self.q.clone(),
            kind: some(&self.kind),
            status: some(&self.status),
            sector: some(&self.sector),
            sort: if self.q.is_empty() {
                SortOrder::Newest
            } else {
                SortOrder::Relevance
            },
            page,
            per_page,
            include_unpublished: true,
            // A librarian managing the catalogue sees every copy and edition.
            group: false,
            ..SearchRequest::default()
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CatalogueQuery {
    q: String,
    kind: String,
    status: String,
    sector: String,
    page: String,
    /// After a bulk action that fully succeeded: `publish` or `withdraw`…
    done: String,
    /// …the ids it changed…
    ok: String,
    /// …and those already so.
    same: String,
}

impl CatalogueQuery {
    pub fn filters(&self) -> Filters {
        Filters::checked(&self.q, &self.kind, &self.status, &self.sector, &self.page)
    }
}

pub(super) const PER_PAGE: usize = 50;
/// Pages beyond this are not offered (the search reads at most 10,000 matches).
const MAX_PAGE: usize = 200;

pub async fn redirect_to_list() -> Response {
    see_other("/librarian/")
}

pub async fn list_catalogue(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    PageQuery(query): PageQuery<CatalogueQuery>,
) -> Result<CataloguePage, PageError> {
    let filters = query.filters();
    let mut page = catalogue_page(&state, &user, filters).await?;
    if let Some(verb) = verb_of(&query.done) {
        page.result = Some(done_result(&state, verb, &query.ok, &query.same).await?);
    }
    Ok(page)
}

/// "发布" or "撤回" for a bulk action's code.
pub(super) fn verb_of(action: &str) -> Option<&'static str> {
    match action {
        "publish" => Some("发布"),
        "withdraw" => Some("撤回"),
        _ => None,
    }
}

/// The result of a bulk action that fully succeeded, from the ids in the address.
async fn done_result(
    state: &AppState,
    verb: &'static str,
    ok: &str,
    same: &str,
) -> Result<BulkResult, PageError> {
    let ids = |list: &str| -> Vec<String> {
        list.split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty() && id.len() <= 80)
            .take(super::catalogue_bulk::MAX_SELECTED)
            .map(str::to_owned)
            .collect()
    };
    let (ok, same) = (ids(ok), ids(same));
    let (ok, same) = state
        .with_conn(move |conn| {
            Ok::<_, AppError>((
                crate::catalog::read::titles(conn, &ok)?,
                crate::catalog::read::titles(conn, &same)?,
            ))
        })
        .await?;
    let outcomes = |found: Vec<(String, String)>| {
        found
            .into_iter()
            .map(|(id, title)| Outcome {
                id,
                title,
                reason: String::new(),
            })
            .collect()
    };
    Ok(BulkResult {
        verb,
        done: outcomes(ok),
        unchanged: outcomes(same),
        ..BulkResult::default()
    })
}

/// One page of the list with `filters`.
pub(super) async fn catalogue_page(
    state: &AppState,
    user: &SessionUser,
    filters: Filters,
) -> Result<CataloguePage, PageError> {
    let results = run_search(state, user, filters.request(filters.page, PER_PAGE)).await?;
    let ids: Vec<String> = results.hits.iter().map(|hit| hit.id.clone()).collect();
    let counts = loan_counts(state, ids).await?;
    let (catalogue_sectors, _) = super::editor::catalogue_vocabulary(state, user).await;
    let page_count = (results.total as usize).div_ceil(PER_PAGE).min(MAX_PAGE);
    let page = filters.page;
    let option = |value: &str, label: &str, chosen: &str| FilterOption {
        value: value.to_owned(),
        label: label.to_owned(),
        selected: value == chosen,
    };
    let mut sectors: Vec<FilterOption> = catalogue_sectors
        .iter()
        .map(|s| option(s, s, &filters.sector))
        .collect();
    if !filters.sector.is_empty() && !catalogue_sectors.contains(&filters.sector) {
        sectors.push(option(&filters.sector, &filters.sector, &filters.sector));
    }
    Ok(CataloguePage {
        chrome: Chrome::for_user(user, Section::Librarian),
        kinds: Kind::ALL
            .iter()
            .map(|k| option(k.as_str(), k.label(), &filters.kind))
            .collect(),
        statuses: [Status::Draft, Status::Published, Status::Withdrawn]
            .iter()
            .map(|s| option(s.as_str(), format::status_name(*s), &filters.status))
            .collect(),
        sectors,
        rows: results
            .hits
            .iter()
            .map(|hit| Row::of(hit, counts.get(&hit.id).copied().unwrap_or_default()))
            .collect(),
        total: results.total,
        prev: (page > 1).then(|| filters.href(page - 1)),
        next: (page < page_count).then(|| filters.href(page + 1)),
        page,
        page_count,
        csv_href: filters.query().href("/librarian/catalogue.csv"),
        xlsx_href: filters.query().href("/librarian/catalogue.xlsx"),
        filtered: !filters.query().pairs().is_empty(),
        filters,
        result: None,
    })
}

/// The loan counts of the listed resources.
pub(super) async fn loan_counts(
    state: &AppState,
    ids: Vec<String>,
) -> Result<HashMap<String, LoanCounts>, PageError> {
    Ok(state
        .with_conn(move |conn| loans::loan_counts(conn, &ids))
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_filters_are_no_filters() {
        let f = Filters::checked(" 月饼 ", "film", "gone", "税务", "0");
        assert_eq!((f.q.as_str(), f.kind.as_str()), ("月饼", ""));
        assert_eq!(
            (f.status.as_str(), f.sector.as_str(), f.page),
            ("", "税务", 1)
        );
        let f = Filters::checked("", "video", "draft", "", "3");
        assert_eq!(f.href(3), "/librarian/?status=draft&kind=video&page=3");
        assert_eq!(f.href(1), "/librarian/?status=draft&kind=video");
        let request = f.request(2, 50);
        assert_eq!(request.status.as_deref(), Some("draft"));
        assert!(request.include_unpublished && request.sector.is_none());
        assert_eq!(Filters::checked("", "", "", "", "999").page, 1);
    }
}
