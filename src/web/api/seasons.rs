//! The holiday periods of a year (SPEC §10): anyone signed in reads them, librarians
//! keep them and the reminders' lead time.

use crate::web::api::openapi::routes;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;

use crate::actor::Actor;
use crate::app::AppState;
use crate::seasons::{self, SeasonYear, SeasonsChange, periods::parse_year};
use crate::web::auth::{CurrentUser, Librarian};
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiPath};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show_seasons, save_seasons))
}

/// The seven holiday periods of a year: those the committee confirmed, else the ones
/// the closed-days calendar suggests (`confirmed: false`), else without dates.
#[utoipa::path(get, path = "/api/v1/seasons/{year}", tag = "loans",
    params(("year" = i16, Path, minimum = 2000, maximum = 2100)),
    responses((status = 200, body = SeasonYear), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn show_seasons(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
    ApiPath(year): ApiPath<String>,
) -> Result<ApiJson<SeasonYear>, AppError> {
    let year = parse_year(&year)?;
    let shown = state
        .with_conn(move |conn| seasons::season_year(conn, year))
        .await?;
    Ok(ApiJson(shown))
}

/// Sets or clears periods of a year (a season not listed stays as it is) and the
/// reminders' lead time in weeks; every period is checked first and nothing is
/// saved when one is wrong (422 naming it).
#[utoipa::path(put, path = "/api/v1/seasons/{year}", tag = "loans",
    params(("year" = i16, Path, minimum = 2000, maximum = 2100)),
    request_body = SeasonsChange,
    responses((status = 200, body = SeasonYear), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn save_seasons(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(year): ApiPath<String>,
    ApiJson(change): ApiJson<SeasonsChange>,
) -> Result<ApiJson<SeasonYear>, AppError> {
    let year = parse_year(&year)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let saved = state
        .with_conn(move |conn| seasons::save(conn, &actor, year, &change, at))
        .await?;
    Ok(ApiJson(saved))
}
