//! Saved searches and their feeds (SPEC §10): `POST`/`GET /api/v1/saved-searches`,
//! `DELETE /api/v1/saved-searches/{id}`, and the secret feed addresses. Each handler
//! calls one `alerts::saved` function.

use crate::web::api::openapi::routes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;

use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::alerts::atom::FEED_PATH;
use crate::alerts::saved;
use crate::alerts::{AlertError, SavedSearch, SavedSearchInput, SearchMatch};
use crate::app::AppState;
use crate::clock::Moment;
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiPath};
use crate::web::shared::site_base;

/// Matches listed with each saved search.
const LISTED_MATCHES: usize = 20;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, delete))
        .routes(routes!(rotate))
        .routes(routes!(mark_read))
        .routes(routes!(library_feed))
        .routes(routes!(rotate_library_feed))
}

/// A saved search as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SavedSearchView {
    #[serde(flatten)]
    pub search: SavedSearch,
    /// The search page that reruns it (`/search?{query}`).
    pub search_url: String,
    /// Its secret Atom feed address, for a feed reader (no cookie needed).
    pub feed_url: String,
    /// Its newest matches that the account may still see, unread first.
    pub matches: Vec<SearchMatch>,
}

/// A feed's secret address.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedUrl {
    pub url: String,
}

fn feed_url(site: &str, token: &str) -> String {
    format!("{site}{FEED_PATH}{token}.atom")
}

/// The views of `searches` with their matches, read for `user`.
async fn views(
    state: &AppState,
    headers: &HeaderMap,
    user: &SessionUser,
    searches: Vec<SavedSearch>,
) -> Result<Vec<SavedSearchView>, AppError> {
    let site = site_base(state, headers);
    let actor = Actor::user(user);
    state
        .with_conn(move |conn| {
            searches
                .into_iter()
                .map(|search| {
                    let matches = saved::matches(conn, &actor, search.id, LISTED_MATCHES)?;
                    Ok(SavedSearchView {
                        search_url: format!("/search?{}", search.query),
                        feed_url: feed_url(&site, &search.feed_token),
                        matches,
                        search,
                    })
                })
                .collect::<Result<Vec<_>, AlertError>>()
        })
        .await
}

/// Runs `work` on one of `user`'s saved searches and answers its view.
async fn one_view(
    state: &AppState,
    headers: &HeaderMap,
    user: &SessionUser,
    work: impl FnOnce(&mut rusqlite::Connection, &Actor, Moment) -> Result<SavedSearch, AlertError>
    + Send
    + 'static,
) -> Result<SavedSearchView, AppError> {
    let search = state.as_user(user, work).await?;
    let mut found = views(state, headers, user, vec![search]).await?;
    found
        .pop()
        .ok_or_else(|| AppError::internal("saved search view missing"))
}

/// Saves a search of the signed-in account (at most 50 per account). `query` is a
/// search URL's query string; a query the search would refuse answers 422.
#[utoipa::path(post, path = "/api/v1/saved-searches", tag = "saved-searches",
    request_body = SavedSearchInput,
    responses((status = 201, body = SavedSearchView), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    CurrentUser(user): CurrentUser,
    ApiJson(input): ApiJson<SavedSearchInput>,
) -> Result<Response, AppError> {
    let view = one_view(&state, &headers, &user, move |conn, actor, at| {
        saved::save(conn, actor, &input, at)
    })
    .await?;
    Ok((StatusCode::CREATED, ApiJson(view)).into_response())
}

/// The signed-in account's saved searches, oldest first, each with its newest matches.
#[utoipa::path(get, path = "/api/v1/saved-searches", tag = "saved-searches",
    responses((status = 200, body = Vec<SavedSearchView>), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    CurrentUser(user): CurrentUser,
) -> Result<ApiJson<Vec<SavedSearchView>>, AppError> {
    let searches = state
        .as_user(&user, |conn, actor, _| saved::list(conn, actor))
        .await?;
    Ok(ApiJson(views(&state, &headers, &user, searches).await?))
}

/// One saved search of the signed-in account; another account's is not found.
#[utoipa::path(get, path = "/api/v1/saved-searches/{id}", tag = "saved-searches",
    params(("id" = i64, Path, description = "订阅搜索编号")),
    responses((status = 200, body = SavedSearchView), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<SavedSearchView>, AppError> {
    let view = one_view(&state, &headers, &user, move |conn, actor, _| {
        saved::get(conn, actor, id)
    })
    .await?;
    Ok(ApiJson(view))
}

/// Deletes a saved search of the signed-in account, with its matches and feed.
#[utoipa::path(delete, path = "/api/v1/saved-searches/{id}", tag = "saved-searches",
    params(("id" = i64, Path, description = "订阅搜索编号")),
    responses((status = 204), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn delete(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    state
        .as_user(&user, move |conn, actor, at| {
            saved::delete(conn, actor, id, at)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Gives a saved search a new feed address; the old one stops working.
#[utoipa::path(post, path = "/api/v1/saved-searches/{id}/rotate", tag = "saved-searches",
    params(("id" = i64, Path, description = "订阅搜索编号")),
    responses((status = 200, body = SavedSearchView), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn rotate(
    State(state): State<AppState>,
    headers: HeaderMap,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<SavedSearchView>, AppError> {
    let view = one_view(&state, &headers, &user, move |conn, actor, at| {
        saved::rotate_feed(conn, actor, id, at)
    })
    .await?;
    Ok(ApiJson(view))
}

/// How many matches were marked read.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MarkedRead {
    pub marked: usize,
}

/// Marks a saved search's matches read (they leave the navigation's count).
#[utoipa::path(post, path = "/api/v1/saved-searches/{id}/read", tag = "saved-searches",
    params(("id" = i64, Path, description = "订阅搜索编号")),
    responses((status = 200, body = MarkedRead), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn mark_read(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<MarkedRead>, AppError> {
    let marked = state
        .as_user(&user, move |conn, actor, at| {
            saved::mark_read(conn, actor, Some(id), at)
        })
        .await?;
    Ok(ApiJson(MarkedRead { marked }))
}

async fn library_url(
    state: AppState,
    headers: HeaderMap,
    user: SessionUser,
    rotate: bool,
) -> Result<ApiJson<FeedUrl>, AppError> {
    let site = site_base(&state, &headers);
    let token = state
        .as_user(&user, move |conn, actor, at| {
            saved::library_feed_token(conn, actor, rotate, at)
        })
        .await?;
    Ok(ApiJson(FeedUrl {
        url: feed_url(&site, &token),
    }))
}

/// The secret address of the signed-in account's feed of new resources (the newest
/// the account may see), made on first use.
#[utoipa::path(get, path = "/api/v1/feeds/library", tag = "saved-searches",
    responses((status = 200, body = FeedUrl), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn library_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    CurrentUser(user): CurrentUser,
) -> Result<ApiJson<FeedUrl>, AppError> {
    library_url(state, headers, user, false).await
}

/// Replaces the address of the account's feed of new resources.
#[utoipa::path(post, path = "/api/v1/feeds/library/rotate", tag = "saved-searches",
    responses((status = 200, body = FeedUrl), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn rotate_library_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    CurrentUser(user): CurrentUser,
) -> Result<ApiJson<FeedUrl>, AppError> {
    library_url(state, headers, user, true).await
}
