//! Collections (专题) as pages: the list of published collections (`?season=` for a
//! holiday period's, which the reminders link to; librarians also see drafts), a
//! collection with its items, their availability for a chosen period and the form
//! that adds the whole set to the unit's request basket, and the librarian's editor
//! under `/librarian/collections`. The home and search pages show collections through
//! [`CollectionCard`].

mod editor;
mod form;
mod list;
mod show;

use axum::Router;
use axum::routing::{get, post};

use crate::app::AppState;
use crate::collections::{CollectionStatus, CollectionSummary};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/collections", get(list::show_collections))
        .route("/collections/{id}", get(show::show_collection))
        .route(
            "/librarian/collections",
            get(editor::list_for_editing).post(editor::create_collection),
        )
        .route("/librarian/collections/new", get(editor::new_collection))
        .route(
            "/librarian/collections/{id}",
            get(editor::edit_collection).post(editor::update_collection),
        )
        .route(
            "/librarian/collections/{id}/publish",
            post(editor::publish_collection),
        )
        .route(
            "/librarian/collections/{id}/withdraw",
            post(editor::withdraw_collection),
        )
}

/// A collection in a list, on the home page or above search results.
pub struct CollectionCard {
    pub href: String,
    /// The librarian's editor of it.
    pub edit_href: String,
    pub title: String,
    pub season_label: Option<&'static str>,
    /// 税务、海关, or empty for every sector.
    pub sectors: String,
    pub item_count: usize,
    /// The introduction's beginning.
    pub excerpt: String,
    /// Shown to librarians when not published.
    pub status: Option<(&'static str, &'static str)>,
}

/// How much of the introduction a card shows.
const EXCERPT_CHARS: usize = 90;

impl CollectionCard {
    pub fn new(summary: &CollectionSummary) -> Self {
        let intro = summary
            .intro
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let mut excerpt: String = intro.chars().take(EXCERPT_CHARS).collect();
        if intro.chars().count() > EXCERPT_CHARS {
            excerpt.push('…');
        }
        Self {
            href: format!("/collections/{}", summary.id),
            edit_href: format!("/librarian/collections/{}", summary.id),
            title: summary.title.clone(),
            season_label: summary.season_label,
            sectors: summary.sectors.join("、"),
            item_count: summary.item_count,
            excerpt,
            status: (summary.status != CollectionStatus::Published)
                .then(|| (summary.status.as_str(), summary.status.label())),
        }
    }
}
