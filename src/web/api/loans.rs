//! Loans (SPEC §5, §7): requests, the workflow actions, the librarian's queue,
//! per-resource calendar and availability, holidays, loan settings and the unit's
//! notifications. Each handler extracts, calls one `loans` function, answers JSON.

use crate::web::api::openapi::routes;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use crate::loans::{
    self, Action, Actor, Command, Loan, LoanError, LoanFilter, LoanId, LoanRequest,
};
use crate::web::auth::{CurrentUser, Librarian};
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiPath, ApiQuery};

mod holidays;
mod notifications;

/// The loan actions a client may ask for: the schema is read off
/// `Action::REQUESTABLE`, so the document cannot name an action the server refuses.
pub struct ActionName;

impl utoipa::PartialSchema for ActionName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("借阅操作"))
            .enum_values(Some(Action::REQUESTABLE.map(Action::as_str)))
            .into()
    }
}

impl utoipa::ToSchema for ActionName {}

/// The loan routes, holidays and notifications included.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_loan, list_loans))
        .routes(routes!(show_queue))
        .routes(routes!(show_loan))
        .routes(routes!(act_on_loan))
        .routes(routes!(show_calendar))
        .routes(routes!(show_availability))
        .routes(routes!(show_loan_settings, update_loan_settings))
        .routes(routes!(list_reports))
        .merge(holidays::router())
        .merge(notifications::router())
}

/// A JSON body that may be absent (an empty body is the type's default); malformed
/// JSON answers 400 and mistyped fields 422, in words.
pub(super) struct Body<T>(T);

impl<T: DeserializeOwned + Default> Body<T> {
    pub(super) fn parse(bytes: &Bytes) -> Result<Self, AppError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Body(T::default()));
        }
        serde_json::from_slice(bytes).map(Body).map_err(|err| {
            use serde_json::error::Category;
            match err.classify() {
                Category::Data => AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    format!("请求内容的字段类型不对：{err}"),
                ),
                _ => AppError::bad_request(format!("请求内容不是有效的 JSON：{err}")),
            }
        })
    }
}

/// A JSON body that may be empty (then the type's default), for other API modules.
pub(super) fn parse_body<T: DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, AppError> {
    Body::parse(bytes).map(|Body(value)| value)
}

fn loan_id(raw: &str) -> Result<LoanId, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(LoanId)
        .ok_or_else(|| AppError::not_found(format!("没有编号为“{raw}”的借阅")))
}

/// Requests a loan for the borrower's unit; `requested`, or `waitlisted` when no copy
/// or licence is free for the period.
#[utoipa::path(post, path = "/api/v1/loans", tag = "loans",
    request_body = LoanRequest,
    responses((status = 201, body = Loan), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn create_loan(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    body: Bytes,
) -> Result<Response, AppError> {
    let Body(input) = Body::<LoanRequest>::parse(&body)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let loan = state
        .with_conn(move |conn| loans::create(conn, &actor, input, at))
        .await?;
    Ok((StatusCode::CREATED, ApiJson(loan)).into_response())
}

/// Loans newest first: a borrower's own unit's, any unit's for librarians.
#[utoipa::path(get, path = "/api/v1/loans", tag = "loans", params(LoanFilter),
    responses((status = 200, body = Vec<Loan>), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn list_loans(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(filter): ApiQuery<LoanFilter>,
) -> Result<ApiJson<Vec<Loan>>, AppError> {
    let (actor, today) = (Actor::user(&user), state.clock.today());
    let loans = state
        .with_conn(move |conn| loans::list(conn, &actor, &filter, today))
        .await?;
    Ok(ApiJson(loans))
}

/// The librarian's queue: requests to decide, oldest first, with their conflicts and
/// a suggested free period; `after` (the last id seen) and `limit` page through it.
#[utoipa::path(get, path = "/api/v1/loans/queue", tag = "loans", params(loans::QueueSlice),
    responses((status = 200, body = Vec<loans::QueueItem>), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn show_queue(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiQuery(slice): ApiQuery<loans::QueueSlice>,
) -> Result<ApiJson<Vec<loans::QueueItem>>, AppError> {
    let (actor, today) = (Actor::user(&user), state.clock.today());
    let queue = state
        .with_conn(move |conn| loans::queue(conn, &actor, today, slice))
        .await?;
    Ok(ApiJson(queue))
}

/// One loan.
#[utoipa::path(get, path = "/api/v1/loans/{id}", tag = "loans", params(("id" = String, Path, description = "借阅编号")),
    responses((status = 200, body = Loan), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn show_loan(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Loan>, AppError> {
    let id = loan_id(&id)?;
    let (actor, today) = (Actor::user(&user), state.clock.today());
    let loan = state
        .with_conn(move |conn| loans::get(conn, &actor, id, today))
        .await?;
    Ok(ApiJson(loan))
}

/// `POST /loans/{id}/{approve|reject|issue|return|renew|cancel|report|move|recall}`: a
/// transition not allowed from the loan's state is refused with 409 and changes nothing.
/// A librarian cancelling a unit's loan, and any recall, takes `{"reason"}`.
#[utoipa::path(post, path = "/api/v1/loans/{id}/{action}", tag = "loans",
    params(("id" = String, Path, description = "借阅编号"),
           ("action" = ActionName, Path, description = "操作")),
    request_body(content = Option<Command>, description = "depends on the action; may be empty"),
    responses((status = 200, body = Loan), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn act_on_loan(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, action)): ApiPath<(String, String)>,
    body: Bytes,
) -> Result<ApiJson<Loan>, AppError> {
    let id = loan_id(&id)?;
    let action = Command::action_named(&action)
        .ok_or_else(|| AppError::not_found(format!("借阅没有“{action}”这个操作")))?;
    let command = command_from_body(action, &body)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let loan = state
        .with_conn(move |conn| loans::act(conn, &actor, id, command, at))
        .await?;
    Ok(ApiJson(loan))
}

/// The command for `action` with the body that action takes (empty: its defaults).
fn command_from_body(action: Action, body: &Bytes) -> Result<Command, AppError> {
    Ok(match action {
        Action::Approve => Command::Approve,
        Action::Cancel => Command::Cancel(Body::parse(body)?.0),
        Action::Recall => Command::Recall(Body::parse(body)?.0),
        Action::Reject => Command::Reject(Body::parse(body)?.0),
        Action::Issue => Command::Issue(Body::parse(body)?.0),
        Action::Return => Command::Return(Body::parse(body)?.0),
        Action::Renew => Command::Renew(Body::parse(body)?.0),
        Action::Report => Command::Report(Body::parse(body)?.0),
        Action::Move => Command::Move(Body::parse(body)?.0),
        // Not requestable: only the background task does these.
        Action::Activate | Action::Expire | Action::MarkOverdue | Action::Promote => {
            return Err(AppError::not_found("没有这个操作"));
        }
    })
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct CalendarQuery {
    /// `YYYY-MM`; this month when absent.
    month: Option<String>,
}

/// A resource's bookings over a month, day by day, with closed days.
#[utoipa::path(get, path = "/api/v1/resources/{id}/calendar", tag = "loans",
    params(("id" = String, Path, description = "资源编号"), CalendarQuery),
    responses((status = 200, body = loans::MonthView), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn show_calendar(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<CalendarQuery>,
) -> Result<ApiJson<loans::MonthView>, AppError> {
    let (actor, today) = (Actor::user(&user), state.clock.today());
    let view = state
        .with_conn(move |conn| loans::month(conn, &actor, &id, query.month.as_deref(), today))
        .await?;
    Ok(ApiJson(view))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct AvailabilityQuery {
    /// `digital` or `physical`.
    format: Option<String>,
    start: Option<String>,
    end: Option<String>,
}

/// Whether a period fits, day by day, and the earliest free period otherwise.
#[utoipa::path(get, path = "/api/v1/resources/{id}/availability", tag = "loans",
    params(("id" = String, Path, description = "资源编号"), AvailabilityQuery),
    responses((status = 200, body = loans::Availability), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn show_availability(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<AvailabilityQuery>,
) -> Result<ApiJson<loans::Availability>, AppError> {
    let (actor, today) = (Actor::user(&user), state.clock.today());
    let view = state
        .with_conn(move |conn| {
            loans::availability(
                conn,
                &actor,
                &id,
                query.format.as_deref(),
                query.start,
                query.end,
                today,
            )
        })
        .await?;
    Ok(ApiJson(view))
}

/// A resource's loan settings, named by the resource.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ResourceLoanSettings {
    resource_id: String,
    #[serde(flatten)]
    settings: loans::LoanSettings,
}

/// A resource's loan settings.
#[utoipa::path(get, path = "/api/v1/resources/{id}/loan-settings", tag = "loans",
    params(("id" = String, Path, description = "资源编号")),
    responses((status = 200, body = ResourceLoanSettings), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn show_loan_settings(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<ResourceLoanSettings>, AppError> {
    let actor = Actor::user(&user);
    let settings = state
        .with_conn(move |conn| {
            let settings = loans::loan_settings(conn, &actor, &id)?;
            Ok::<_, LoanError>(ResourceLoanSettings {
                resource_id: id,
                settings,
            })
        })
        .await?;
    Ok(ApiJson(settings))
}

/// Changes a resource's loan settings (librarians); fields left out stay.
#[utoipa::path(put, path = "/api/v1/resources/{id}/loan-settings", tag = "loans",
    params(("id" = String, Path, description = "资源编号")), request_body = loans::SettingsChange,
    responses((status = 200, body = ResourceLoanSettings), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn update_loan_settings(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(id): ApiPath<String>,
    ApiJson(change): ApiJson<loans::SettingsChange>,
) -> Result<ApiJson<ResourceLoanSettings>, AppError> {
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let settings = state
        .with_conn(move |conn| {
            let settings = loans::change_loan_settings(conn, &actor, &id, change, at)?;
            Ok::<_, LoanError>(ResourceLoanSettings {
                resource_id: id,
                settings,
            })
        })
        .await?;
    Ok(ApiJson(settings))
}

/// Usage reports with their totals, newest held first: every unit's for librarians,
/// the own unit's for a borrower (naming another unit is refused).
#[utoipa::path(get, path = "/api/v1/reports", tag = "loans", params(loans::ReportFilter),
    responses((status = 200, body = loans::ReportList), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn list_reports(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(filter): ApiQuery<loans::ReportFilter>,
) -> Result<ApiJson<loans::ReportList>, AppError> {
    let actor = Actor::user(&user);
    let list = state
        .with_conn(move |conn| loans::reports(conn, &actor, &filter))
        .await?;
    Ok(ApiJson(list))
}
