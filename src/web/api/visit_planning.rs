//! The coordinator's proposal (一键排期), visitor lists, and calendar feeds (SPEC §8).
//! Each handler extracts, calls one `visits` function, answers.

use crate::web::api::openapi::routes;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use crate::visits::feeds::{self, FEED_PATH};
use crate::visits::proposal::{self, Applied, ApplyInput, ProposalView};
use crate::visits::visitor_list::{self, VisitorList, VisitorSource};
use crate::web::auth::{CurrentUser, Librarian};
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiPath, ApiQuery};
use crate::web::sheet_upload::{SheetRefusal, read_visitor_sheet};

use super::loans::parse_body;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(make_proposal))
        .routes(routes!(apply_proposal))
        .routes(routes!(show_visitors, put_visitors))
        .routes(routes!(calendar_url))
        .routes(routes!(rotate_calendar))
}

fn visit_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::not_found("没有这个参观申请"))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct ProposalRange {
    /// `YYYY-MM-DD`; today when absent.
    from: Option<String>,
    /// `YYYY-MM-DD`; a week after `from` when absent.
    to: Option<String>,
}

/// Proposes sessions for the base's pending requests in the range; changes nothing.
#[utoipa::path(post, path = "/api/v1/bases/{id}/proposal", tag = "visits",
    params(("id" = String, Path, description = "基地编号"), ProposalRange),
    responses((status = 200, body = ProposalView), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn make_proposal(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(id): ApiPath<String>,
    ApiQuery(range): ApiQuery<ProposalRange>,
) -> Result<ApiJson<ProposalView>, AppError> {
    let view = state
        .as_user(&user, move |conn, actor, at| {
            proposal::make(
                conn,
                actor,
                &id,
                range.from.as_deref(),
                range.to.as_deref(),
                at,
            )
        })
        .await?;
    Ok(ApiJson(view))
}

/// Applies a proposal (as made, or changed line by line) in one transaction; a
/// request changed since the proposal was made answers 409 `stale_proposal`.
#[utoipa::path(post, path = "/api/v1/bases/{id}/proposal/apply", tag = "visits",
    params(("id" = String, Path, description = "基地编号")),
    request_body = ApplyInput,
    responses((status = 200, body = Applied), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn apply_proposal(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<ApiJson<Applied>, AppError> {
    let input: ApplyInput = parse_body(&body)?;
    let applied = state
        .as_user(&user, move |conn, actor, at| {
            proposal::apply(conn, actor, &id, input, at)
        })
        .await?;
    Ok(ApiJson(applied))
}

/// The visit's visitor list, ID numbers masked.
#[utoipa::path(get, path = "/api/v1/visits/{id}/visitors", tag = "visits",
    params(("id" = String, Path, description = "参观编号")),
    responses((status = 200, body = VisitorList), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn show_visitors(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<VisitorList>, AppError> {
    let id = visit_id(&id)?;
    let list = state
        .as_user(&user, move |conn, actor, _| {
            visitor_list::visitors(conn, actor, id)
        })
        .await?;
    Ok(ApiJson(list))
}

/// `{"visitors": [{"name", "id_number"}]}`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct VisitorsBody {
    pub visitors: Option<Vec<TypedVisitor>>,
}

#[derive(Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TypedVisitor {
    pub name: Option<String>,
    /// The 18-character resident ID number.
    pub id_number: Option<String>,
}

/// Replaces the visit's visitor list: JSON, or a CSV/XLSX upload in the multipart
/// field `file` (columns 姓名 and 身份证号). Every bad row is named; nothing is kept
/// unless all are good. ID numbers come back masked.
#[utoipa::path(put, path = "/api/v1/visits/{id}/visitors", tag = "visits",
    params(("id" = String, Path, description = "参观编号")),
    request_body = VisitorsBody,
    responses((status = 200, body = VisitorList), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn put_visitors(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
    request: Request,
) -> Result<ApiJson<VisitorList>, AppError> {
    let id = visit_id(&id)?;
    let source = visitor_source(&state, request).await?;
    let list = state
        .as_user(&user, move |conn, actor, at| {
            visitor_list::set_visitors(conn, actor, id, source, at)
        })
        .await?;
    Ok(ApiJson(list))
}

async fn visitor_source(state: &AppState, request: Request) -> Result<VisitorSource, AppError> {
    if !crate::web::upload::is_multipart(&request) {
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|err| AppError::new(err.status(), "invalid", err.body_text()))?;
        let typed: VisitorsBody = parse_body(&body)?;
        let pairs = typed
            .visitors
            .unwrap_or_default()
            .into_iter()
            .map(|v| (v.name.unwrap_or_default(), v.id_number.unwrap_or_default()))
            .collect();
        return Ok(VisitorSource::Typed(pairs));
    }
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|err| AppError::new(err.status(), "invalid", err.body_text()))?;
    let (file_name, bytes) = read_visitor_sheet(&mut form, state.limits.upload_idle_timeout)
        .await
        .map_err(|SheetRefusal(status, message)| AppError::new(status, "invalid", message))?;
    Ok(VisitorSource::Sheet { file_name, bytes })
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct CalendarQuery {
    /// A base's id (librarians); the signed-in user's unit when absent.
    base: Option<String>,
}

/// `{"url"}`: where a calendar program subscribes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CalendarUrl {
    pub url: String,
}

/// The secret feed address of the signed-in user's unit (or, for a librarian, of a
/// base): its confirmed visits and its loans' periods.
#[utoipa::path(get, path = "/api/v1/calendar", tag = "visits", params(CalendarQuery),
    responses((status = 200, body = CalendarUrl), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn calendar_url(
    State(state): State<AppState>,
    headers: HeaderMap,
    CurrentUser(user): CurrentUser,
    ApiQuery(query): ApiQuery<CalendarQuery>,
) -> Result<ApiJson<CalendarUrl>, AppError> {
    feed_url(state, headers, user, query, false).await
}

/// Replaces the feed's secret address; the old one stops working.
#[utoipa::path(post, path = "/api/v1/calendar/rotate", tag = "visits", params(CalendarQuery),
    responses((status = 200, body = CalendarUrl), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn rotate_calendar(
    State(state): State<AppState>,
    headers: HeaderMap,
    CurrentUser(user): CurrentUser,
    ApiQuery(query): ApiQuery<CalendarQuery>,
) -> Result<ApiJson<CalendarUrl>, AppError> {
    feed_url(state, headers, user, query, true).await
}

async fn feed_url(
    state: AppState,
    headers: HeaderMap,
    user: crate::accounts::SessionUser,
    query: CalendarQuery,
    rotate: bool,
) -> Result<ApiJson<CalendarUrl>, AppError> {
    let site = crate::web::shared::site_base(&state, &headers);
    let token = state
        .as_user(&user, move |conn, actor, at| {
            feeds::feed_token(conn, actor, query.base.as_deref(), rotate, at)
        })
        .await?;
    Ok(ApiJson(CalendarUrl {
        url: format!("{site}{FEED_PATH}{token}.ics"),
    }))
}
