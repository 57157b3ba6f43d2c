//! The JSON API under `/api/v1` (SPEC §7).

mod resources;
mod units;

use axum::Router;

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(resources::router())
        .merge(units::router())
}
