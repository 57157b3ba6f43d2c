//! The home page: the search box, the collections (专题) of the coming holiday period
//! and of the viewer's sector, newest and most used resources, and ways in by kind
//! and by sector.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::collections::CollectionCard;
use super::extract::PageUser;
use super::search::HitView;
use super::url::Query;
use super::{Chrome, PageError, Section, pages};
use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::app::AppState;
use crate::catalog::Kind;
use crate::recommend::Recommendation;
use crate::search::{SearchRequest, SortOrder};
use crate::web::shared::search::run_search;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(show_home))
}

/// A way into the catalogue: a label, how many resources, and the search link.
pub struct Entry {
    pub label: String,
    pub count: u64,
    pub href: String,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    chrome: Chrome,
    /// The search box starts empty and keeps no filters.
    q: String,
    kept: Vec<(&'static str, String)>,
    total: u64,
    newest: Vec<HitView>,
    most_used: Vec<HitView>,
    kinds: Vec<Entry>,
    sectors: Vec<Entry>,
    /// "For your unit" (borrowers; `partials/recommendations.html`).
    recommendations: Vec<Recommendation>,
    /// Collections: the coming season's first, then the viewer's sector's.
    collections: Vec<CollectionCard>,
    /// The coming season's name, and its collections' list when it has any.
    coming: (&'static str, Option<String>),
}

/// The most collections the home page shows.
const HOME_COLLECTIONS: usize = 6;
pages!(HomePage);

async fn show_home(
    State(state): State<AppState>,
    PageUser(user): PageUser,
) -> Result<HomePage, PageError> {
    home_page(state, user.clone())
        .await
        .map_err(|err| err.for_user(&user))
}

async fn home_page(state: AppState, user: SessionUser) -> Result<HomePage, PageError> {
    let listing = |sort| SearchRequest {
        sort,
        per_page: 6,
        ..SearchRequest::default()
    };
    let newest = run_search(&state, &user, listing(SortOrder::Newest)).await?;
    let most_used = run_search(&state, &user, listing(SortOrder::MostBorrowed)).await?;
    let kinds = Kind::ALL
        .iter()
        .map(|kind| Entry {
            label: kind.label().to_owned(),
            count: newest.facets.kind.get(kind.as_str()).copied().unwrap_or(0),
            href: Query::new().set("kind", kind.as_str()).href("/search"),
        })
        .collect();
    let mut sectors: Vec<Entry> = newest
        .facets
        .sector
        .iter()
        .map(|(sector, count)| Entry {
            label: sector.clone(),
            count: *count,
            href: Query::new().set("sector", sector.as_str()).href("/search"),
        })
        .collect();
    sectors.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    let librarian = user.is_librarian();
    let recommendations = super::stats::recommendations(&state, &user, 4, None).await;
    let (actor, today) = (Actor::user(&user), state.clock.today());
    let featured = state
        .with_conn(move |conn| crate::collections::featured(conn, &actor, today, HOME_COLLECTIONS))
        .await?;
    Ok(HomePage {
        chrome: Chrome::for_user(&user, Section::Home),
        q: String::new(),
        kept: Vec::new(),
        total: newest.total,
        newest: newest
            .hits
            .iter()
            .map(|hit| HitView::new(hit, librarian))
            .collect(),
        most_used: most_used
            .hits
            .iter()
            .map(|hit| HitView::new(hit, librarian))
            .collect(),
        kinds,
        sectors,
        recommendations,
        collections: featured
            .collections
            .iter()
            .map(CollectionCard::new)
            .collect(),
        coming: (
            featured.season.label(),
            featured
                .collections
                .iter()
                .any(|c| c.season.as_deref() == Some(featured.season.code()))
                .then(|| format!("/collections?season={}", featured.season.code())),
        ),
    })
}
