//! Units: the list of borrowing units.

use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::accounts::{self, Unit};
use crate::app::AppState;
use crate::web::error::AppError;
use crate::web::extract::ApiJson;

pub fn router() -> Router<AppState> {
    Router::new().route("/units", get(list_units))
}

async fn list_units(State(state): State<AppState>) -> Result<ApiJson<Vec<Unit>>, AppError> {
    let units = state.with_conn(|conn| accounts::list_units(conn)).await?;
    Ok(ApiJson(units))
}
