//! The feeds a program fetches without a cookie, the secret address being the key,
//! outside the JSON API: `GET /calendar/{token}.ics` (SPEC §8) and
//! `GET /feeds/{token}.atom` (SPEC §10).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::visits::feeds;
use crate::web::error::AppError;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/calendar/{file}", axum::routing::get(serve_feed))
        .route("/feeds/{file}", axum::routing::get(serve_atom))
}

/// `GET /calendar/{token}.ics`: the feed, for whoever holds the address.
async fn serve_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let not_found = || AppError::not_found("没有这个日历订阅地址，或地址已更换");
    let token = file.strip_suffix(".ics").ok_or_else(not_found)?.to_owned();
    let at = state.clock.moment();
    let feed = state
        .with_conn(move |conn| feeds::feed(conn, &token, at))
        .await?
        .ok_or_else(not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        feed,
    )
        .into_response())
}

/// `GET /feeds/{token}.atom`: new resources of the library or of one saved search, as
/// the address's account may see them.
async fn serve_atom(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let not_found = || AppError::not_found("没有这个订阅源地址，或地址已更换");
    let token = file.strip_suffix(".atom").ok_or_else(not_found)?.to_owned();
    let (at, site) = (
        state.clock.moment(),
        crate::web::shared::site_base(&state, &headers),
    );
    let feed = state
        .with_conn(move |conn| crate::alerts::atom::feed(conn, &token, &site, at))
        .await?
        .ok_or_else(not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/atom+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        feed,
    )
        .into_response())
}
