//! Bases' sessions and units' visits (SPEC §8). Each handler extracts, calls one
//! `visits` function, answers JSON.

use crate::web::api::openapi::routes;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use crate::loans::Actor;
use crate::visits::{
    self, ReasonInput, ReportInput, ScheduleInput, Session, SessionEnd, SessionInput,
    SessionReason, Template, TemplateInput, Visit, VisitAction, VisitCommand, VisitFilter,
    VisitRequest,
};
use crate::web::auth::{CurrentUser, Librarian};
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiPath, ApiQuery};

use super::loans::parse_body;

/// The visit actions a client may ask for, read off `VisitAction::ALL`.
pub struct VisitActionName;

impl utoipa::PartialSchema for VisitActionName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("参观操作"))
            .enum_values(Some(VisitAction::ALL.map(VisitAction::as_str)))
            .into()
    }
}

impl utoipa::ToSchema for VisitActionName {}

/// `close` or `cancel`.
pub struct SessionActionName;

impl utoipa::PartialSchema for SessionActionName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("场次操作"))
            .enum_values(Some(["close", "cancel"]))
            .into()
    }
}

impl utoipa::ToSchema for SessionActionName {}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sessions, add_session))
        .routes(routes!(add_template))
        .routes(routes!(end_session))
        .routes(routes!(request_visit, list_visits))
        .routes(routes!(show_visit))
        .routes(routes!(act_on_visit))
}

fn positive_id(raw: &str, what: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::not_found(format!("没有编号为“{}”的{what}", short(raw))))
}

fn short(raw: &str) -> String {
    raw.chars().take(40).collect()
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct SessionRange {
    /// `YYYY-MM-DD`; today when absent.
    from: Option<String>,
    /// `YYYY-MM-DD`; eight weeks after `from` when absent.
    to: Option<String>,
}

/// A base's sessions over a date range, with the seats booked.
#[utoipa::path(get, path = "/api/v1/bases/{id}/sessions", tag = "visits",
    params(("id" = String, Path, description = "基地编号"), SessionRange),
    responses((status = 200, body = SessionList), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn list_sessions(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(range): ApiQuery<SessionRange>,
) -> Result<ApiJson<SessionList>, AppError> {
    let (actor, today) = (Actor::user(&user), state.clock.today());
    let sessions = state
        .with_conn(move |conn| {
            visits::list_sessions(
                conn,
                &actor,
                &id,
                range.from.as_deref(),
                range.to.as_deref(),
                today,
            )
        })
        .await?;
    Ok(ApiJson(SessionList { sessions }))
}

/// `{"sessions": [...]}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SessionList {
    pub sessions: Vec<Session>,
}

/// Adds a one-off session (e.g. 庭审旁听 with its seats).
#[utoipa::path(post, path = "/api/v1/bases/{id}/sessions", tag = "visits",
    params(("id" = String, Path, description = "基地编号")),
    request_body = SessionInput,
    responses((status = 201, body = Session), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn add_session(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let input: SessionInput = parse_body(&body)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let session = state
        .with_conn(move |conn| visits::add_session(conn, &actor, &id, input, at))
        .await?;
    Ok((StatusCode::CREATED, ApiJson(session)).into_response())
}

/// Adds a weekly template; its sessions are made on open days for half a year ahead.
#[utoipa::path(post, path = "/api/v1/bases/{id}/templates", tag = "visits",
    params(("id" = String, Path, description = "基地编号")),
    request_body = TemplateInput,
    responses((status = 201, body = Template), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn add_template(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let input: TemplateInput = parse_body(&body)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let template = state
        .with_conn(move |conn| visits::add_template(conn, &actor, &id, input, at))
        .await?;
    Ok((StatusCode::CREATED, ApiJson(template)).into_response())
}

/// Closes a session to new bookings, or cancels it (its groups are told why and
/// offered the nearest sessions with room).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/{action}", tag = "visits",
    params(("id" = String, Path, description = "场次编号"),
           ("action" = SessionActionName, Path, description = "close 或 cancel")),
    request_body = SessionReason,
    responses((status = 200, body = Session), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn end_session(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath((id, action)): ApiPath<(String, String)>,
    body: Bytes,
) -> Result<ApiJson<Session>, AppError> {
    let id = positive_id(&id, "场次")?;
    let how = match action.as_str() {
        "close" => SessionEnd::Close,
        "cancel" => SessionEnd::Cancel,
        other => {
            return Err(AppError::not_found(format!(
                "场次没有“{}”这个操作",
                short(other)
            )));
        }
    };
    let input: SessionReason = parse_body(&body)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let session = state
        .with_conn(move |conn| visits::end_session(conn, &actor, id, how, input, at))
        .await?;
    Ok(ApiJson(session))
}

/// Requests a visit for the borrower's unit: up to three sessions, preferred first.
#[utoipa::path(post, path = "/api/v1/visits", tag = "visits",
    request_body = VisitRequest,
    responses((status = 201, body = Visit), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn request_visit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    body: Bytes,
) -> Result<Response, AppError> {
    let input: VisitRequest = parse_body(&body)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let visit = state
        .with_conn(move |conn| visits::request(conn, &actor, input, at))
        .await?;
    Ok((StatusCode::CREATED, ApiJson(visit)).into_response())
}

/// Visits newest first: a borrower's own unit's, any unit's for librarians.
#[utoipa::path(get, path = "/api/v1/visits", tag = "visits", params(VisitFilter),
    responses((status = 200, body = Vec<Visit>), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn list_visits(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(filter): ApiQuery<VisitFilter>,
) -> Result<ApiJson<Vec<Visit>>, AppError> {
    let actor = Actor::user(&user);
    let list = state
        .with_conn(move |conn| visits::list(conn, &actor, &filter))
        .await?;
    Ok(ApiJson(list))
}

/// One visit.
#[utoipa::path(get, path = "/api/v1/visits/{id}", tag = "visits",
    params(("id" = String, Path, description = "参观编号")),
    responses((status = 200, body = Visit), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn show_visit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Visit>, AppError> {
    let id = positive_id(&id, "参观申请")?;
    let actor = Actor::user(&user);
    let visit = state
        .with_conn(move |conn| visits::get(conn, &actor, id))
        .await?;
    Ok(ApiJson(visit))
}

/// `POST /visits/{id}/{schedule|confirm|cancel|reject|report|no-show}`: a transition
/// not allowed from the visit's state is refused with 409 and changes nothing;
/// `schedule` answers 409 `session_full` when the group does not fit.
#[utoipa::path(post, path = "/api/v1/visits/{id}/{action}", tag = "visits",
    params(("id" = String, Path, description = "参观编号"),
           ("action" = VisitActionName, Path, description = "操作")),
    request_body(content = Option<ScheduleInput>, description = "schedule: {session_id}; reject/cancel: {reason}; report: {attended, reflections}; others: empty"),
    responses((status = 200, body = Visit), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn act_on_visit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, action)): ApiPath<(String, String)>,
    body: Bytes,
) -> Result<ApiJson<Visit>, AppError> {
    let id = positive_id(&id, "参观申请")?;
    let action = VisitAction::parse(&action)
        .ok_or_else(|| AppError::not_found(format!("参观没有“{}”这个操作", short(&action))))?;
    let command = match action {
        VisitAction::Schedule => VisitCommand::Schedule(parse_body::<ScheduleInput>(&body)?),
        VisitAction::Confirm => VisitCommand::Confirm,
        VisitAction::Cancel => VisitCommand::Cancel(parse_body::<ReasonInput>(&body)?),
        VisitAction::Reject => VisitCommand::Reject(parse_body::<ReasonInput>(&body)?),
        VisitAction::Report => VisitCommand::Report(parse_body::<ReportInput>(&body)?),
        VisitAction::NoShow => VisitCommand::NoShow,
    };
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let visit = state
        .with_conn(move |conn| visits::act(conn, &actor, id, command, at))
        .await?;
    Ok(ApiJson(visit))
}
