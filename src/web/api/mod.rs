//! The JSON API under `/api/v1` (SPEC §7).

mod admin;
mod files;
mod loans;
pub mod openapi;
pub mod resources;
pub mod search;
pub mod session;
pub mod stats;

use axum::Router;

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(session::router())
        .merge(resources::router())
        .merge(files::router())
        .merge(loans::router())
        .merge(search::router())
        .merge(admin::router())
        .merge(stats::router())
        .merge(openapi::router())
}
