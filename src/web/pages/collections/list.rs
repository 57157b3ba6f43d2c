//! `/collections`: the published collections, newest first, filtered by holiday period
//! with `?season=<code>` (the holiday reminders link there); librarians also see
//! drafts and withdrawn ones.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::CollectionCard;
use crate::actor::Actor;
use crate::app::AppState;
use crate::collections::{self, ListFilter};
use crate::seasons::Season;
use crate::web::pages::extract::{PageQuery, PageUser};
use crate::web::pages::{Chrome, PageError, Section, pages};

/// A season filter link.
pub struct SeasonLink {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "collections/list.html")]
pub struct CollectionsPage {
    chrome: Chrome,
    seasons: Vec<SeasonLink>,
    /// The season filtered on, if any.
    season: Option<&'static str>,
    cards: Vec<CollectionCard>,
    error: Option<String>,
}
pages!(CollectionsPage);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    season: Option<String>,
}

pub async fn show_collections(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    PageQuery(query): PageQuery<ListQuery>,
) -> Result<Response, PageError> {
    let asked = query.season.as_deref().map(str::trim).unwrap_or("");
    let season = Season::parse(asked);
    let error = (season.is_none() && !asked.is_empty()).then(|| {
        format!(
            "没有“{}”这个节点，下面列出全部专题。",
            asked.chars().take(20).collect::<String>()
        )
    });
    let filter = ListFilter {
        season,
        ..ListFilter::default()
    };
    let actor = Actor::user(&user);
    let found = state
        .with_conn(move |conn| collections::list(conn, &actor, &filter))
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    let mut seasons = vec![SeasonLink {
        label: "全部",
        href: "/collections".to_owned(),
        current: season.is_none(),
    }];
    seasons.extend(Season::ALL.into_iter().map(|s| SeasonLink {
        label: s.label(),
        href: format!("/collections?season={}", s.code()),
        current: season == Some(s),
    }));
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = CollectionsPage {
        chrome: Chrome::for_user(&user, Section::Collections),
        seasons,
        season: season.map(Season::label),
        cards: found.iter().map(CollectionCard::new).collect(),
        error,
    };
    Ok((status, page).into_response())
}
