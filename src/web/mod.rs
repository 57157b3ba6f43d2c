//! HTTP: the router, extractors, error mapping, JSON API and pages. No SQL here.

pub mod api;
pub mod auth;
pub mod error;
pub mod extract;
pub mod upload;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

use crate::app::AppState;

/// All routes of the service.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .nest("/api/v1", api::router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::load_session,
        ))
        .with_state(state)
}

/// 200 once the server can answer searches; 503 while the index is catching up.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    if state.is_ready() {
        (StatusCode::OK, axum::Json(json!({"status": "ok"})))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "starting"})),
        )
    }
}

async fn not_found() -> error::AppError {
    error::AppError::not_found("没有这个地址")
}
