//! `/search`: results with highlighted snippets, facet counts as links that add or
//! remove a filter, sort, paging, and above them the collections (专题) the words find. The query string is the API's (`GET /api/v1/search`),
//! so a result page can be bookmarked and shared.

mod facets;
mod hit;
mod links;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::collections::CollectionCard;
use super::extract::{PageQuery, PageUser};
use super::url::Query;
use super::{Chrome, PageError, Section, pages};
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::search::{MAX_OFFSET, SearchResults};
use crate::web::shared::search::SearchParams;
use crate::web::shared::search::search_sector_first;
use facets::{ActiveFilter, Facet, FacetGroup, FacetOption};
pub use hit::HitView;
use links::{Link, Pager, SectorToggle};

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(show_search))
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    chrome: Chrome,
    q: String,
    /// Filters and sort to keep when the words change (hidden form fields).
    kept: Vec<(&'static str, String)>,
    year_from: String,
    year_to: String,
    /// The year form keeps everything but the years.
    year_kept: Vec<(&'static str, String)>,
    error: Option<String>,
    searched: bool,
    total: u64,
    took_ms: String,
    notice: Option<String>,
    /// "已同时搜索：刑事诉讼法": what the abbreviation dictionary added.
    expansion_notice: Option<String>,
    hits: Vec<HitView>,
    groups: Vec<FacetGroup>,
    available: Option<FacetOption>,
    active: Vec<ActiveFilter>,
    clear_href: String,
    sorts: Vec<Link>,
    /// "本行业优先" for a user whose unit has a sector; `current` when in force.
    sector_toggle: Option<SectorToggle>,
    prev: Option<String>,
    next: Option<String>,
    pages: Vec<Link>,
    page: usize,
    page_count: usize,
    /// The link to the last page when the asked page lies past it (there are
    /// results, just not this many pages of them).
    past_last: Option<String>,
    /// Published collections the words find (at most [`COLLECTION_HITS`]).
    collections: Vec<CollectionCard>,
    /// "保存此搜索": the query string to save (without paging) and a name to start from.
    save_query: String,
    save_name: String,
}

/// The most collections shown above the results.
const COLLECTION_HITS: usize = 3;
pages!(SearchPage);

/// The parameters in a fixed order, as a link builder.
fn current_query(params: &SearchParams) -> Query {
    let value = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or("").to_owned();
    Query::new()
        .set("q", value(&params.q))
        .set("kind", value(&params.kind))
        .set("sector", value(&params.sector))
        .set("violation", value(&params.violation))
        .set("year_from", value(&params.year_from))
        .set("year_to", value(&params.year_to))
        .set("access", value(&params.access))
        .set("available", value(&params.available))
        .set("include_unpublished", value(&params.include_unpublished))
        .set("sort", value(&params.sort))
        .set("sector_first", value(&params.sector_first))
        .set("per_page", value(&params.per_page))
        .set("page", value(&params.page))
}

async fn show_search(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    PageQuery(params): PageQuery<SearchParams>,
) -> Result<Response, PageError> {
    search_page(state, user.clone(), params)
        .await
        .map_err(|err| err.for_user(&user))
}

async fn search_page(
    state: AppState,
    user: SessionUser,
    params: SearchParams,
) -> Result<Response, PageError> {
    let query = current_query(&params);
    let mut page = SearchPage::before_search(&user, &params, &query);
    page.collections = matching_collections(&state, &user, page.q.trim()).await?;
    let outcome = match params.to_request(&user) {
        Ok(request) => search_sector_first(&state, &user, request, &params.sector_first).await,
        Err(err) => Err(err),
    };
    match outcome {
        Ok(results) => {
            page.show(&results, &query, user.is_librarian());
            page.offer_basket(&state, &user, &query).await;
            Ok(page.into_response())
        }
        // A bad parameter or query: say what is wrong on the search page itself.
        Err(err) if err.status == StatusCode::BAD_REQUEST => {
            page.error = Some(err.into_message());
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(err) => Err(PageError::from(err)),
    }
}

/// The published collections `q` finds, for the 专题 block (none without words).
async fn matching_collections(
    state: &AppState,
    user: &SessionUser,
    q: &str,
) -> Result<Vec<CollectionCard>, PageError> {
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let (actor, q) = (crate::actor::Actor::user(user), q.to_owned());
    let found = state
        .with_conn(move |conn| crate::collections::search(conn, &actor, &q, COLLECTION_HITS))
        .await?;
    Ok(found.iter().map(CollectionCard::new).collect())
}

/// The name a saved search starts with: the words, or the filters in words.
fn save_name(q: &str, query: &Query) -> String {
    let name = match q.trim() {
        "" => facets::active_filters(query)
            .into_iter()
            .map(|filter| filter.label)
            .collect::<Vec<_>>()
            .join("，"),
        words => words.to_owned(),
    };
    let name = if name.is_empty() {
        "全部新资源".to_owned()
    } else {
        name
    };
    name.chars().take(crate::alerts::MAX_NAME_CHARS).collect()
}

impl SearchPage {
    /// The form, the filters in force and the sort links, with no results yet.
    fn before_search(user: &SessionUser, params: &SearchParams, query: &Query) -> Self {
        let q = params.q.clone().unwrap_or_default();
        let without_words = query.clone().without("q").without("page");
        Self {
            chrome: Chrome::for_user(user, Section::Search),
            kept: without_words.pairs().to_vec(),
            year_from: query.get("year_from").unwrap_or("").to_owned(),
            year_to: query.get("year_to").unwrap_or("").to_owned(),
            year_kept: without_words
                .without("year_from")
                .without("year_to")
                .pairs()
                .to_vec(),
            error: None,
            searched: false,
            total: 0,
            took_ms: String::new(),
            notice: None,
            expansion_notice: None,
            hits: Vec::new(),
            groups: Vec::new(),
            available: None,
            active: facets::active_filters(query),
            clear_href: Query::new().set("q", q.trim()).href("/search"),
            sorts: links::sorts(query),
            sector_toggle: links::sector_toggle(query, user.unit_sector.as_deref()),
            prev: None,
            next: None,
            pages: Vec::new(),
            page: 1,
            page_count: 0,
            past_last: None,
            collections: Vec::new(),
            save_query: query.clone().without("page").without("per_page").encoded(),
            save_name: save_name(&q, query),
            q,
        }
    }

    /// The results with their facets and the pager.
    fn show(&mut self, results: &SearchResults, query: &Query, librarian: bool) {
        let per_page = results.per_page.max(1);
        let reachable = (MAX_OFFSET / per_page).max(1);
        let page_count = (results.total as usize).div_ceil(per_page).min(reachable);
        self.searched = true;
        self.total = results.total;
        self.took_ms = format!("{:.0}", results.took_ms.max(1.0));
        self.notice = results.notice.clone();
        self.expansion_notice = results.expansion_notice.clone();
        self.hits = results
            .hits
            .iter()
            .map(|hit| HitView::new(hit, librarian))
            .collect();
        self.groups = facets::groups(results, query);
        self.available = facets::available_option(results, query);
        self.page = results.page;
        self.page_count = page_count;
        if self.hits.is_empty() && page_count > 0 {
            // Said once, by the past-last message; the fallback notice would repeat it.
            self.notice = None;
            self.past_last = Some(if page_count == 1 {
                query.clone().without("page").href("/search")
            } else {
                query
                    .clone()
                    .set("page", page_count.to_string())
                    .href("/search")
            });
        }
        let pager = Pager::new(query, results.page, page_count);
        (self.prev, self.next, self.pages) = (pager.prev, pager.next, pager.pages);
    }

    /// The "加入借阅清单" buttons of an officer of a unit: on the hits they may add,
    /// or a note on those already in their basket.
    async fn offer_basket(&mut self, state: &AppState, user: &SessionUser, query: &Query) {
        if user.is_librarian() || user.unit.is_none() || self.hits.is_empty() {
            return;
        }
        let ids: Vec<String> = self.hits.iter().map(|h| h.id.clone()).collect();
        let actor = crate::loans::Actor::user(user);
        let marks = state
            .with_conn(move |conn| crate::loans::basket_marks(conn, &actor, &ids))
            .await;
        let marks = match marks {
            Ok(Some(marks)) => marks,
            Ok(None) => return,
            // The results matter more than their buttons.
            Err(err) => {
                err.log();
                return;
            }
        };
        let back = query.href("/search");
        for hit in &mut self.hits {
            let in_basket = marks.in_basket.contains(&hit.id);
            if in_basket || marks.addable.contains(&hit.id) {
                hit.basket = Some(hit::BasketOffer {
                    in_basket,
                    back: back.clone(),
                });
            }
        }
    }

    fn has_filters(&self) -> bool {
        !self.active.is_empty()
    }
}
