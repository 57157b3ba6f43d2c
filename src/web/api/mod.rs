//! The JSON API under `/api/v1` (SPEC §7).

mod admin;
mod basket;
mod collections;
mod contributions;
mod files;
mod loans;
mod machine_read;
pub mod openapi;
pub mod resources;
mod saved_searches;
pub mod search;
mod seasons;
pub mod session;
pub mod stats;
mod synonyms;
mod trace;
mod visit_planning;
mod visits;

use axum::{Extension, Router};
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

/// Every API route with its description: each module lists its handlers once, in
/// `routes!`, which routes them and describes them together.
fn routes() -> OpenApiRouter<AppState> {
    openapi::router()
        .merge(session::router())
        .merge(resources::router())
        .merge(files::router())
        .merge(loans::router())
        .merge(basket::router())
        .merge(search::router())
        .merge(admin::router())
        .merge(stats::router())
        .merge(visits::router())
        .merge(contributions::router())
        .merge(visit_planning::router())
        .merge(collections::router())
        .merge(saved_searches::router())
        .merge(seasons::router())
        .merge(synonyms::router())
        .merge(machine_read::router())
        .merge(trace::router())
}

/// The API's routes, serving the document that describes them. The handlers'
/// `#[utoipa::path]` paths are the full ones (`/api/v1/…`), so this router is merged
/// at the root rather than nested.
pub fn router() -> Router<AppState> {
    let (router, document) = routes().split_for_parts();
    router.route_layer(Extension(openapi::Document::new(&document)))
}
