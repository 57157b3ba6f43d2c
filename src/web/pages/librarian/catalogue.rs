//! `/librarian/`: the whole catalogue, drafts and withdrawn resources included, newest
//! first, with a search box and a kind filter.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use crate::app::AppState;
use crate::catalog::Kind;
use crate::search::{SearchRequest, SortOrder};
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
}

pub struct KindOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "librarian/catalogue.html")]
pub struct CataloguePage {
    chrome: Chrome,
    q: String,
    kinds: Vec<KindOption>,
    rows: Vec<Row>,
    total: u64,
    prev: Option<String>,
    next: Option<String>,
    page: usize,
    page_count: usize,
}
pages!(CataloguePage);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CatalogueQuery {
    q: Option<String>,
    kind: Option<String>,
    page: Option<String>,
}

const PER_PAGE: usize = 50;

pub async fn redirect_to_list() -> Response {
    see_other("/librarian/")
}

pub async fn list_catalogue(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    PageQuery(query): PageQuery<CatalogueQuery>,
) -> Result<CataloguePage, PageError> {
    let q = query.q.unwrap_or_default().trim().to_owned();
    let kind = query
        .kind
        .filter(|k| Kind::parse(k).is_ok())
        .unwrap_or_default();
    let page = query
        .page
        .and_then(|p| p.parse::<usize>().ok())
        .filter(|p| (1..=200).contains(p))
        .unwrap_or(1);
    let request = SearchRequest {
        q: q.clone(),
        kind: (!kind.is_empty()).then(|| kind.clone()),
        sort: if q.is_empty() {
            SortOrder::Newest
        } else {
            SortOrder::Relevance
        },
        page,
        per_page: PER_PAGE,
        include_unpublished: true,
        ..SearchRequest::default()
    };
    let results = run_search(&state, &user, request).await?;
    let page_count = (results.total as usize).div_ceil(PER_PAGE);
    let link = |n: usize| {
        Query::new()
            .set("q", q.as_str())
            .set("kind", kind.as_str())
            .set("page", if n > 1 { n.to_string() } else { String::new() })
            .href("/librarian/")
    };
    Ok(CataloguePage {
        chrome: Chrome::for_user(&user, Section::Librarian),
        kinds: Kind::ALL
            .iter()
            .map(|k| KindOption {
                value: k.as_str(),
                label: k.label(),
                selected: k.as_str() == kind,
            })
            .collect(),
        rows: results
            .hits
            .iter()
            .map(|hit| Row {
                id: hit.id.clone(),
                title: hit.title.clone(),
                kind_label: format::kind_label(&hit.kind),
                status: hit.status.clone(),
                status_label: format::status_label(&hit.status),
                access_label: format::access_label(&hit.access),
                year: hit.year.map(|y| y.to_string()).unwrap_or_default(),
                sectors: hit.sectors.join("、"),
            })
            .collect(),
        total: results.total,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < page_count).then(|| link(page + 1)),
        page,
        page_count,
        q,
    })
}
