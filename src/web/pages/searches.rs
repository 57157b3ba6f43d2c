//! `/searches` (我的订阅搜索): the account's saved searches, each with a link that
//! reruns it, its new matches (unread first), its Atom feed address and buttons to
//! replace that address or delete the search; the whole library's feed address. The
//! search page saves a search by posting `name` and `query` to `POST /searches`; a
//! refused one comes back here with what was typed and the reason.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::extract::{CsrfForm, PageQuery, PageUser};
use super::{Chrome, PageError, Section, format, pages, see_other};
use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::alerts::atom::FEED_PATH;
use crate::alerts::{MAX_SAVED, SavedSearchInput, SearchMatch, saved};
use crate::app::AppState;
use crate::search::SearchParams;
use crate::web::shared::site_base;

/// Matches shown per saved search.
const SHOWN_MATCHES: usize = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/searches", get(show_searches).post(save_search))
        .route("/searches/read", post(mark_read))
        .route("/searches/feed/rotate", post(rotate_library_feed))
        .route("/searches/{id}/{action}", post(act_on_search))
}

/// A match as the page lists it.
pub struct MatchLine {
    pub href: String,
    pub title: String,
    pub kind: &'static str,
    pub when: String,
    pub unread: bool,
}

impl From<SearchMatch> for MatchLine {
    fn from(found: SearchMatch) -> Self {
        MatchLine {
            href: format!("/resources/{}", found.resource_id),
            kind: format::kind_label(&found.kind),
            when: format::minute(&found.matched_at),
            unread: !found.read,
            title: found.title,
        }
    }
}

/// A saved search as the page shows it.
pub struct SearchCard {
    pub id: i64,
    pub name: String,
    /// What it searches for, in words ("检索词：月饼 · 类型：典型案例通报").
    pub described: String,
    pub search_href: String,
    pub feed_url: String,
    pub unread: u64,
    pub matches: Vec<MatchLine>,
}

/// What the save form had typed, shown again when refused.
#[derive(Default)]
pub struct Typed {
    pub name: String,
    pub query: String,
}

#[derive(Template)]
#[template(path = "searches.html")]
pub struct SearchesPage {
    chrome: Chrome,
    notice: Option<String>,
    error: Option<String>,
    typed: Typed,
    library_feed: String,
    searches: Vec<SearchCard>,
    unread: u64,
    max_saved: usize,
}
pages!(SearchesPage);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: Option<String>,
}

fn done_message(done: &str) -> Option<String> {
    let text = match done {
        "saved" => "已保存。有符合条件的新资源发布时，会在这里和导航栏“订阅”旁提醒您。",
        "deleted" => "已删除该订阅搜索。",
        "read" => "已全部标为已读。",
        "rotated" => "已更换订阅源地址，原地址不再可用；请在阅读器中改用新地址。",
        _ => return None,
    };
    Some(text.to_owned())
}

/// The parameters of a saved query in words, for its card.
fn describe(query: &str) -> String {
    let Ok(params) = SearchParams::from_query_string(query) else {
        return query.to_owned();
    };
    let value = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or("").to_owned();
    let mut parts = Vec::new();
    let mut push = |label: &str, text: String| {
        if !text.is_empty() {
            parts.push(format!("{label}：{text}"));
        }
    };
    push("检索词", value(&params.q));
    push("类型", {
        let kind = value(&params.kind);
        if kind.is_empty() {
            kind
        } else {
            format::kind_label(&kind).to_owned()
        }
    });
    push("行业", value(&params.sector));
    push("违纪违法类型", value(&params.violation));
    let years = match (value(&params.year_from), value(&params.year_to)) {
        (from, to) if from.is_empty() && to.is_empty() => String::new(),
        (from, to) if from == to => format!("{from} 年"),
        (from, to) if to.is_empty() => format!("{from} 年以后"),
        (from, to) if from.is_empty() => format!("{to} 年以前"),
        (from, to) => format!("{from}–{to} 年"),
    };
    push("年份", years);
    push("开放方式", {
        let access = value(&params.access);
        if access.is_empty() {
            access
        } else {
            format::access_label(&access).to_owned()
        }
    });
    if parts.is_empty() {
        "全部新资源".to_owned()
    } else {
        parts.join(" · ")
    }
}

async fn show_searches(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageUser(user): PageUser,
    PageQuery(done): PageQuery<Done>,
) -> Result<SearchesPage, PageError> {
    let mut page = searches_page(&state, &headers, &user).await?;
    page.notice = done.done.as_deref().and_then(done_message);
    Ok(page)
}

async fn searches_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &SessionUser,
) -> Result<SearchesPage, PageError> {
    let site = site_base(state, headers);
    let (actor, at) = (Actor::user(user), state.clock.moment());
    let (library, listed) = state
        .with_conn(move |conn| {
            let library = saved::library_feed_token(conn, &actor, false, at)?;
            let mut listed = Vec::new();
            for search in saved::list(conn, &actor)? {
                let matches = saved::matches(conn, &actor, search.id, SHOWN_MATCHES)?;
                listed.push((search, matches));
            }
            Ok::<_, crate::alerts::AlertError>((library, listed))
        })
        .await
        .map_err(|err| PageError::from(err).for_user(user))?;
    let searches: Vec<SearchCard> = listed
        .into_iter()
        .map(|(search, matches)| SearchCard {
            id: search.id,
            described: describe(&search.query),
            search_href: format!("/search?{}", search.query),
            feed_url: format!("{site}{FEED_PATH}{}.atom", search.feed_token),
            unread: search.unread,
            matches: matches.into_iter().map(MatchLine::from).collect(),
            name: search.name,
        })
        .collect();
    Ok(SearchesPage {
        chrome: Chrome::for_user(user, Section::Searches),
        notice: None,
        error: None,
        typed: Typed::default(),
        library_feed: format!("{site}{FEED_PATH}{library}.atom"),
        unread: searches.iter().map(|s| s.unread).sum(),
        searches,
        max_saved: MAX_SAVED,
    })
}

/// `POST /searches` (`name`, `query`): the search page's "保存此搜索".
async fn save_search(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let input = SavedSearchInput {
        name: form.get("name").to_owned(),
        query: form.get("query").to_owned(),
    };
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let typed = Typed {
        name: input.name.clone(),
        query: input.query.clone(),
    };
    let saved = state
        .with_conn(move |conn| saved::save(conn, &actor, &input, at))
        .await;
    let err = match saved {
        Ok(search) => {
            return Ok(see_other(&format!(
                "/searches?done=saved#search-{}",
                search.id
            )));
        }
        Err(err) => PageError::from(err),
    };
    let Some((status, message)) = err.input_problem() else {
        return Err(err.for_user(&user));
    };
    let mut page = searches_page(&state, &headers, &user).await?;
    page.error = Some(message);
    page.typed = typed;
    Ok((status, page).into_response())
}

/// Runs one change of the signed-in account's saved searches, then back to the page.
async fn changed<T: Send + 'static>(
    state: &AppState,
    user: &SessionUser,
    change: impl FnOnce(
        &mut rusqlite::Connection,
        &Actor,
        crate::clock::Moment,
    ) -> Result<T, crate::alerts::AlertError>
    + Send
    + 'static,
    done: &str,
) -> Result<Response, PageError> {
    let (actor, at) = (Actor::user(user), state.clock.moment());
    state
        .with_conn(move |conn| change(conn, &actor, at))
        .await
        .map_err(|err| PageError::from(err).for_user(user))?;
    Ok(see_other(&format!("/searches?done={done}")))
}

/// `POST /searches/{id}/delete` and `POST /searches/{id}/rotate` (a new feed address).
async fn act_on_search(
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<Response, PageError> {
    let rotate = match action.as_str() {
        "delete" => false,
        "rotate" => true,
        _ => return Err(PageError::not_found("没有这个操作").for_user(&user)),
    };
    changed(
        &state,
        &user,
        move |conn, actor, at| match rotate {
            true => saved::rotate_feed(conn, actor, id, at).map(drop),
            false => saved::delete(conn, actor, id, at),
        },
        if rotate { "rotated" } else { "deleted" },
    )
    .await
}

async fn rotate_library_feed(
    State(state): State<AppState>,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<Response, PageError> {
    changed(
        &state,
        &user,
        |conn, actor, at| saved::library_feed_token(conn, actor, true, at),
        "rotated",
    )
    .await
}

/// Marks the matches read: of one saved search (`id`), or of all.
async fn mark_read(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let id = form.get("id").trim().parse::<i64>().ok();
    changed(
        &state,
        &user,
        move |conn, actor, at| saved::mark_read(conn, actor, id, at),
        "read",
    )
    .await
}
