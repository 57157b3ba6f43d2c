//! The library's holidays and make-up working days: anyone signed in reads them (the
//! request form shows closed days), librarians keep them.

use crate::web::api::openapi::routes;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;

use super::Body;
use crate::actor::Actor;
use crate::app::AppState;
use crate::loans::days::{self, DayKind, LibraryDay};
use crate::loans::notice::{self, AppliedNotice};
use crate::web::auth::{CurrentUser, Librarian};
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiPath, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_holidays, set_holiday))
        .routes(routes!(remove_holiday))
        .routes(routes!(apply_notice))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct YearQuery {
    year: Option<i16>,
}

/// Holidays and make-up working days.
#[utoipa::path(get, path = "/api/v1/holidays", tag = "loans", params(YearQuery),
    responses((status = 200, body = Vec<LibraryDay>), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn list_holidays(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<ApiJson<Vec<LibraryDay>>, AppError> {
    let days = state
        .with_conn(move |conn| days::list_days(conn, query.year))
        .await?;
    Ok(ApiJson(days))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
struct HolidayInput {
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    date: Option<String>,
    /// `holiday` (closed, the default) or `workday` (a make-up working day).
    kind: Option<String>,
    name: Option<String>,
}

/// Adds (or replaces) a holiday or make-up working day.
#[utoipa::path(post, path = "/api/v1/holidays", tag = "loans", request_body = HolidayInput,
    responses((status = 201, body = LibraryDay), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn set_holiday(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    body: Bytes,
) -> Result<Response, AppError> {
    let Body(input) = Body::<HolidayInput>::parse(&body)?;
    let day = LibraryDay {
        date: days::parse_date("date", input.date.as_deref().unwrap_or(""))?,
        kind: DayKind::parse(input.kind.as_deref().unwrap_or("holiday"))?,
        name: input.name.unwrap_or_default().trim().to_owned(),
    };
    let saved = day.clone();
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    state
        .with_conn(move |conn| days::set_day(conn, &actor, &day, at))
        .await?;
    Ok((StatusCode::CREATED, ApiJson(saved)).into_response())
}

/// Removes a holiday or make-up working day.
#[utoipa::path(delete, path = "/api/v1/holidays/{date}", tag = "loans",
    params(("date" = String, Path, format = Date, description = "YYYY-MM-DD")),
    responses((status = 204, description = "removed"), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn remove_holiday(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(date): ApiPath<String>,
) -> Result<StatusCode, AppError> {
    let date = days::parse_date("date", &date)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    state
        .with_conn(move |conn| days::remove_day(conn, &actor, date, at))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
struct NoticeInput {
    /// The notice's text as published, at least its 放假/上班 lines.
    text: String,
    /// The year to fill; when absent, the year the notice's title names.
    year: Option<i16>,
}

/// Fills a year's holidays and make-up working days from the State Council's notice:
/// the year then lists exactly the notice's days.
#[utoipa::path(post, path = "/api/v1/holidays/notice", tag = "loans", request_body = NoticeInput,
    responses((status = 200, body = AppliedNotice), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn apply_notice(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    body: Bytes,
) -> Result<ApiJson<AppliedNotice>, AppError> {
    let Body(input) = Body::<NoticeInput>::parse(&body)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let applied = state
        .with_conn(move |conn| notice::apply_notice(conn, &actor, &input.text, input.year, at))
        .await?;
    Ok(ApiJson(applied))
}
