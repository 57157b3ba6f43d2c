//! `GET /calendar/{token}.ics`: the calendar feeds (SPEC §8) a calendar program
//! fetches without a cookie; the secret address is the key. Outside the JSON API.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::visits::feeds;
use crate::web::error::AppError;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/calendar/{file}", axum::routing::get(serve_feed))
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
