//! Administration: units and accounts (admins), and the audit log (librarians).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::{self, NewUser, Role, Unit, users::UserSummary};
use crate::actor::Actor;
use crate::app::AppState;
use crate::audit::{self, AuditEntry, AuditFilter};
use crate::web::auth::{Admin, CurrentUser, Librarian};
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiPath, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_units, create_unit))
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
        .routes(routes!(list_audit))
        .routes(routes!(not_allowed))
}

/// The audit log cannot be written through the API.
#[utoipa::path(post, path = "/api/v1/audit/", tag = "admin",
    responses((status = 405, response = ErrorBody), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn not_allowed() -> AppError {
    AppError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "不支持此操作",
    )
}

/// Every unit.
#[utoipa::path(get, path = "/api/v1/units", tag = "admin",
    responses((status = 200, body = Vec<Unit>), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn list_units(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
) -> Result<ApiJson<Vec<Unit>>, AppError> {
    Ok(ApiJson(
        state.with_conn(|conn| accounts::list_units(conn)).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewUnit {
    code: String,
    name: String,
    #[serde(default)]
    sector: String,
}

/// Creates a unit (admins).
#[utoipa::path(post, path = "/api/v1/units", tag = "admin", request_body = NewUnit,
    responses((status = 201, body = Unit), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn create_unit(
    State(state): State<AppState>,
    Admin(user): Admin,
    ApiJson(unit): ApiJson<NewUnit>,
) -> Result<Response, AppError> {
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let unit = state
        .with_conn(move |conn| {
            accounts::create_unit(conn, &actor, &unit.code, &unit.name, &unit.sector, at)
        })
        .await?;
    Ok((StatusCode::CREATED, ApiJson(unit)).into_response())
}

/// Every account (admins).
#[utoipa::path(get, path = "/api/v1/users", tag = "admin",
    responses((status = 200, body = Vec<UserSummary>), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn list_users(
    State(state): State<AppState>,
    Admin(_): Admin,
) -> Result<ApiJson<Vec<UserSummary>>, AppError> {
    Ok(ApiJson(
        state
            .with_conn(|conn| accounts::users::list_users(conn))
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    username: String,
    password: String,
    roles: Vec<Role>,
    #[serde(default)]
    unit: Option<String>,
    /// Where the unit's notifications are also mailed (borrowers; optional).
    #[serde(default)]
    email: Option<String>,
}

/// Creates an account (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewAccount,
    responses((status = 201, body = UserSummary), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    ApiJson(account): ApiJson<NewAccount>,
) -> Result<Response, AppError> {
    let (actor, at) = (Actor::user(&admin), state.clock.moment());
    let created = state
        .with_conn(move |conn| {
            let hash = accounts::users::hash_new_password(&account.password, &account.username)?;
            let new_user = NewUser {
                username: &account.username,
                password_hash: &hash,
                roles: &account.roles,
                unit: account.unit.as_deref(),
                email: account.email.as_deref(),
            };
            let id = accounts::create_user(conn, &actor, &new_user, at)?;
            let users = accounts::users::list_users(conn)?;
            users
                .into_iter()
                .find(|u| u.id == id)
                .ok_or_else(|| AppError::internal("created user vanished"))
        })
        .await?;
    Ok((StatusCode::CREATED, ApiJson(created)).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AccountChange {
    #[serde(default)]
    active: Option<bool>,
    #[serde(default)]
    password: Option<String>,
}

/// Enables or disables an account, or resets its password (admins).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "admin",
    params(("id" = i64, Path, description = "账号编号")), request_body = AccountChange,
    responses((status = 200, body = UserSummary), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    ApiPath(id): ApiPath<i64>,
    ApiJson(change): ApiJson<AccountChange>,
) -> Result<ApiJson<UserSummary>, AppError> {
    let (actor, at) = (Actor::user(&admin), state.clock.moment());
    let updated = state
        .with_conn(move |conn| {
            if let Some(password) = &change.password {
                accounts::users::reset_password(conn, &actor, id, password, at)?;
            }
            if let Some(active) = change.active {
                accounts::users::set_active(conn, &actor, id, active, at)?;
            }
            accounts::users::list_users(conn)?
                .into_iter()
                .find(|u| u.id == id)
                .ok_or_else(|| AppError::not_found("没有这个账号"))
        })
        .await?;
    Ok(ApiJson(updated))
}

/// The audit log, newest first (librarians).
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", params(AuditFilter),
    responses((status = 200, body = Vec<AuditEntry>), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn list_audit(
    State(state): State<AppState>,
    Librarian(_): Librarian,
    ApiQuery(filter): ApiQuery<AuditFilter>,
) -> Result<ApiJson<Vec<AuditEntry>>, AppError> {
    Ok(ApiJson(
        state
            .with_conn(move |conn| audit::list(conn, &filter))
            .await?,
    ))
}
