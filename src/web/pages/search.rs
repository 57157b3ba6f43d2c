//! `/search`: results with highlighted snippets, facet counts as links that add or
//! remove a filter, sort, paging. The query string is the API's (`GET /api/v1/search`),
//! so a result page can be bookmarked and shared.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::extract::{PageQuery, PageUser};
use super::format;
use super::url::Query;
use super::{Chrome, PageError, Section, pages};
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::catalog::Kind;
use crate::search::{Hit, MAX_OFFSET, SearchResults};
use crate::web::shared::search::SearchParams;
use crate::web::shared::search::search_sector_first;

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(show_search))
}

/// A subtitle cue that matched, linking to the player at its moment.
pub struct CueView {
    pub href: String,
    pub time: String,
    pub text_html: String,
}

/// One result as a page shows it. `title_html`, `snippet` and cue texts are HTML
/// escaped by the search module, with matches in `<mark>`.
pub struct HitView {
    pub href: String,
    pub kind_label: &'static str,
    pub title_html: String,
    pub snippet: String,
    pub year: String,
    pub sectors: String,
    pub access: String,
    pub access_label: &'static str,
    /// For librarians: "草稿"/"已撤回" when not published.
    pub status_label: Option<&'static str>,
    pub cues: Vec<CueView>,
}

impl HitView {
    pub fn new(hit: &Hit, librarian: bool) -> Self {
        let href = format!("/resources/{}", hit.id);
        Self {
            cues: hit
                .cues
                .iter()
                .map(|cue| CueView {
                    href: format!("{href}?t={}", cue.start.max(0.0).floor() as u64),
                    time: format::clock(cue.start),
                    text_html: cue.text.clone(),
                })
                .collect(),
            href,
            kind_label: format::kind_label(&hit.kind),
            title_html: hit.title_html.clone(),
            snippet: hit.snippet.clone(),
            year: hit.year.map(|y| y.to_string()).unwrap_or_default(),
            sectors: hit.sectors.join("、"),
            access: hit.access.clone(),
            access_label: format::access_label(&hit.access),
            status_label: (librarian && hit.status != "published")
                .then(|| format::status_label(&hit.status)),
        }
    }
}

pub struct FacetOption {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub selected: bool,
}

pub struct FacetGroup {
    pub title: &'static str,
    pub options: Vec<FacetOption>,
}

pub struct Link {
    pub label: String,
    pub href: String,
    pub current: bool,
}

/// The "my sector first" switch: a link that turns the ordering on or off.
pub struct SectorToggle {
    pub sector: String,
    pub href: String,
    pub current: bool,
}

/// The switch for `sector`, keeping every other parameter (back to page 1). Only a
/// valid `true` counts as on, so a bad value never shows as the active ordering.
fn sector_toggle(query: &Query, sector: Option<&str>) -> Option<SectorToggle> {
    let sector = sector.map(str::trim).filter(|s| !s.is_empty())?;
    let value = query.get("sector_first").map(|v| v.to_owned());
    let current = crate::web::shared::search::sector_first_flag(&value).unwrap_or(false);
    let base = query.clone().without("page");
    let href = if current {
        base.without("sector_first")
    } else {
        base.set("sector_first", "true")
    }
    .href("/search");
    Some(SectorToggle {
        sector: sector.to_owned(),
        href,
        current,
    })
}

/// A filter in force, with the link that drops it.
pub struct ActiveFilter {
    pub label: String,
    pub remove_href: String,
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
}
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

/// A facet group whose options toggle `key` (a new filter starts again at page 1).
fn facet_group<'a>(
    title: &'static str,
    key: &'static str,
    query: &Query,
    counts: impl Iterator<Item = (&'a String, &'a u64)>,
    label: impl Fn(&str) -> String,
) -> FacetGroup {
    let current = query.get(key).unwrap_or("");
    let options = counts
        .map(|(value, count)| {
            let selected = value == current;
            let base = query.clone().without("page");
            FacetOption {
                label: label(value),
                count: *count,
                href: if selected {
                    base.without(key).href("/search")
                } else {
                    base.set(key, value.as_str()).href("/search")
                },
                selected,
            }
        })
        .collect();
    FacetGroup { title, options }
}

fn by_count(
    map: &std::collections::BTreeMap<String, u64>,
) -> impl Iterator<Item = (&String, &u64)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    entries.into_iter()
}

fn groups(results: &SearchResults, query: &Query) -> Vec<FacetGroup> {
    let f = &results.facets;
    let kinds = Kind::ALL.iter().filter_map(|kind| {
        f.kind
            .get_key_value(kind.as_str())
            .filter(|(_, count)| **count > 0)
    });
    let year_selected = match (query.get("year_from"), query.get("year_to")) {
        (Some(from), Some(to)) if from == to => from.to_owned(),
        _ => String::new(),
    };
    // Years toggle both ends of the range at once.
    let mut years: Vec<_> = f.year.iter().collect();
    years.sort_by(|a, b| b.0.cmp(a.0));
    let year_options = years
        .into_iter()
        .map(|(year, count)| {
            let selected = *year == year_selected;
            let base = query.clone().without("page");
            let href = if selected {
                base.without("year_from").without("year_to")
            } else {
                base.set("year_from", year.as_str())
                    .set("year_to", year.as_str())
            }
            .href("/search");
            FacetOption {
                label: format!("{year} 年"),
                count: *count,
                href,
                selected,
            }
        })
        .collect();
    vec![
        facet_group("类型", "kind", query, kinds, |k| {
            format::kind_label(k).to_owned()
        }),
        facet_group("行业", "sector", query, by_count(&f.sector), str::to_owned),
        facet_group(
            "违纪违法类型",
            "violation",
            query,
            by_count(&f.violation),
            str::to_owned,
        ),
        FacetGroup {
            title: "年份",
            options: year_options,
        },
        facet_group("开放方式", "access", query, f.access.iter(), |a| {
            format::access_label(a).to_owned()
        }),
    ]
}

fn active_filters(query: &Query) -> Vec<ActiveFilter> {
    let mut active = Vec::new();
    let base = query.clone().without("page");
    let mut push = |label: String, remove: Query| {
        active.push(ActiveFilter {
            label,
            remove_href: remove.href("/search"),
        })
    };
    if let Some(kind) = query.get("kind") {
        push(
            format!("类型：{}", format::kind_label(kind)),
            base.clone().without("kind"),
        );
    }
    if let Some(sector) = query.get("sector") {
        push(format!("行业：{sector}"), base.clone().without("sector"));
    }
    if let Some(violation) = query.get("violation") {
        push(
            format!("违纪违法类型：{violation}"),
            base.clone().without("violation"),
        );
    }
    match (query.get("year_from"), query.get("year_to")) {
        (None, None) => {}
        (from, to) => {
            let label = match (from, to) {
                (Some(f), Some(t)) if f == t => format!("年份：{f} 年"),
                (Some(f), Some(t)) => format!("年份：{f}–{t} 年"),
                (Some(f), None) => format!("年份：{f} 年以后"),
                (None, Some(t)) => format!("年份：{t} 年以前"),
                (None, None) => String::new(),
            };
            push(label, base.clone().without("year_from").without("year_to"));
        }
    }
    if let Some(access) = query.get("access") {
        push(
            format!("开放方式：{}", format::access_label(access)),
            base.clone().without("access"),
        );
    }
    if query.get("available").is_some() {
        push("现在可借".to_owned(), base.clone().without("available"));
    }
    active
}

fn sorts(query: &Query) -> Vec<Link> {
    let current = query.get("sort").unwrap_or("relevance");
    [
        ("relevance", "相关度"),
        ("newest", "最新"),
        ("most_borrowed", "借阅最多"),
    ]
    .into_iter()
    .map(|(code, label)| {
        let base = query.clone().without("page");
        Link {
            label: label.to_owned(),
            href: if code == "relevance" {
                base.without("sort")
            } else {
                base.set("sort", code)
            }
            .href("/search"),
            current: current == code || (code == "relevance" && current.is_empty()),
        }
    })
    .collect()
}

/// Page links around the current one: 1 … 4 5 [6] 7 8 … 20.
fn page_links(query: &Query, page: usize, page_count: usize) -> Vec<Link> {
    let link = |n: usize| Link {
        label: n.to_string(),
        href: if n == 1 {
            query.clone().without("page")
        } else {
            query.clone().set("page", n.to_string())
        }
        .href("/search"),
        current: n == page,
    };
    let mut links = Vec::new();
    let (start, end) = (page.saturating_sub(2).max(1), (page + 2).min(page_count));
    if start > 1 {
        links.push(link(1));
        if start > 2 {
            links.push(Link {
                label: "…".into(),
                href: String::new(),
                current: false,
            });
        }
    }
    links.extend((start..=end).map(link));
    if end < page_count {
        if end + 1 < page_count {
            links.push(Link {
                label: "…".into(),
                href: String::new(),
                current: false,
            });
        }
        links.push(link(page_count));
    }
    links
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
    let librarian = user.is_librarian();
    let q = params.q.clone().unwrap_or_default();
    let kept: Vec<(&'static str, String)> =
        query.clone().without("q").without("page").pairs().to_vec();
    let year_kept = query
        .clone()
        .without("q")
        .without("page")
        .without("year_from")
        .without("year_to")
        .pairs()
        .to_vec();
    let mut page = SearchPage {
        chrome: Chrome::for_user(&user, Section::Search),
        q: q.clone(),
        kept,
        year_from: query.get("year_from").unwrap_or("").to_owned(),
        year_to: query.get("year_to").unwrap_or("").to_owned(),
        year_kept,
        error: None,
        searched: false,
        total: 0,
        took_ms: String::new(),
        notice: None,
        hits: Vec::new(),
        groups: Vec::new(),
        available: None,
        active: active_filters(&query),
        clear_href: Query::new().set("q", q.trim()).href("/search"),
        sorts: sorts(&query),
        sector_toggle: sector_toggle(&query, user.unit_sector.as_deref()),
        prev: None,
        next: None,
        pages: Vec::new(),
        page: 1,
        page_count: 0,
    };
    let outcome = match params.to_request(librarian) {
        Ok(request) => search_sector_first(&state, &user, request, &params.sector_first).await,
        Err(err) => Err(err),
    };
    let results = match outcome {
        Ok(results) => results,
        // A bad parameter or query: say what is wrong on the search page itself.
        Err(err) if err.status == StatusCode::BAD_REQUEST => {
            page.error = Some(err.into_message());
            return Ok((StatusCode::BAD_REQUEST, page).into_response());
        }
        Err(err) => return Err(PageError::from(err)),
    };
    let per_page = results.per_page.max(1);
    let reachable = (MAX_OFFSET / per_page).max(1);
    let page_count = (results.total as usize).div_ceil(per_page).min(reachable);
    let current = results.page;
    page.searched = true;
    page.total = results.total;
    page.took_ms = format!("{:.0}", results.took_ms.max(1.0));
    page.notice = results.notice.clone();
    page.hits = results
        .hits
        .iter()
        .map(|hit| HitView::new(hit, librarian))
        .collect();
    page.groups = groups(&results, &query);
    page.available =
        (results.facets.available > 0 || query.get("available").is_some()).then(|| {
            let selected = query.get("available").is_some();
            let base = query.clone().without("page");
            FacetOption {
                label: "现在可借".to_owned(),
                count: results.facets.available,
                href: if selected {
                    base.without("available")
                } else {
                    base.set("available", "true")
                }
                .href("/search"),
                selected,
            }
        });
    page.page = current;
    page.page_count = page_count;
    if page_count > 1 {
        page.pages = page_links(&query, current, page_count);
        page.prev = (current > 1).then(|| {
            if current == 2 {
                query.clone().without("page")
            } else {
                query.clone().set("page", (current - 1).to_string())
            }
            .href("/search")
        });
        page.next = (current < page_count).then(|| {
            query
                .clone()
                .set("page", (current + 1).to_string())
                .href("/search")
        });
    }
    Ok(page.into_response())
}

impl SearchPage {
    fn has_filters(&self) -> bool {
        !self.active.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_elide_the_middle() {
        let labels = |page, count| -> Vec<String> {
            page_links(&Query::new(), page, count)
                .into_iter()
                .map(|l| l.label)
                .collect()
        };
        assert_eq!(labels(1, 3), ["1", "2", "3"]);
        assert_eq!(
            labels(6, 20),
            ["1", "…", "4", "5", "6", "7", "8", "…", "20"]
        );
        assert_eq!(labels(20, 20), ["1", "…", "18", "19", "20"]);
    }

    #[test]
    fn facet_links_toggle_their_filter() {
        let query = Query::new()
            .set("q", "受贿")
            .set("kind", "case")
            .set("page", "3");
        let counts = std::collections::BTreeMap::from([
            ("case".to_owned(), 3u64),
            ("video".to_owned(), 2u64),
        ]);
        let group = facet_group("类型", "kind", &query, counts.iter(), str::to_owned);
        let case = &group.options[0];
        assert!(case.selected);
        assert_eq!(case.href, "/search?q=%E5%8F%97%E8%B4%BF");
        assert_eq!(
            group.options[1].href,
            "/search?q=%E5%8F%97%E8%B4%BF&kind=video"
        );
    }
}
