//! Administration: units and accounts (admins), and the audit log (librarians).

use crate::web::api::openapi::routes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;

use crate::accounts::links::{self, Purpose};
use crate::accounts::manage::{self, AccountChange as FullChange};
use crate::accounts::units::{self, UnitDetail};
use crate::accounts::{self, Liaison, NewUser, Role, Unit, users::UserSummary};
use crate::actor::Actor;
use crate::app::AppState;
use crate::audit::{self, AuditEntry, AuditFilter};
use crate::web::auth::{Admin, CurrentUser, Librarian};
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiPath, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_units, create_unit))
        .routes(routes!(show_unit, update_unit))
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
        .routes(routes!(make_password_link))
        .routes(routes!(unlock_user))
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
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    roles: Option<Vec<Role>>,
    /// The unit's code; `""` for none.
    #[serde(default)]
    unit: Option<String>,
    /// `""` for none.
    #[serde(default)]
    email: Option<String>,
}

impl AccountChange {
    /// The account's name, roles, unit and e-mail after the change, if any of them
    /// is given.
    fn merged(&self, current: &UserSummary) -> Option<FullChange> {
        if self.display_name.is_none()
            && self.roles.is_none()
            && self.unit.is_none()
            && self.email.is_none()
        {
            return None;
        }
        Some(FullChange {
            display_name: self
                .display_name
                .clone()
                .unwrap_or_else(|| current.display_name.clone()),
            roles: self.roles.clone().unwrap_or_else(|| current.roles.clone()),
            unit: self.unit.clone().or_else(|| current.unit.clone()),
            email: self.email.clone().or_else(|| current.email.clone()),
        })
    }
}

/// Changes an account (admins): enables or disables it, sets its password, or its
/// display name, roles, unit and e-mail.
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
            let current = accounts::users::user_summary(conn, id)?
                .ok_or_else(|| AppError::not_found("没有这个账号"))?;
            if let Some(full) = change.merged(&current) {
                manage::update_account(conn, &actor, id, &full, at)?;
            }
            if let Some(password) = &change.password {
                accounts::users::reset_password(conn, &actor, id, password, at)?;
            }
            if let Some(active) = change.active {
                accounts::users::set_active(conn, &actor, id, active, at)?;
            }
            accounts::users::user_summary(conn, id)?
                .ok_or_else(|| AppError::not_found("没有这个账号"))
        })
        .await?;
    Ok(ApiJson(updated))
}

/// One unit with its liaison and account count (admins).
#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "admin",
    params(("id" = String, Path, description = "单位代码")),
    responses((status = 200, body = UnitDetail), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn show_unit(
    State(state): State<AppState>,
    Admin(_): Admin,
    ApiPath(code): ApiPath<String>,
) -> Result<ApiJson<UnitDetail>, AppError> {
    let wanted = code.clone();
    let found = state
        .with_conn(move |conn| units::unit_detail(conn, &wanted))
        .await?;
    found
        .map(ApiJson)
        .ok_or_else(|| AppError::not_found(format!("没有代码为“{code}”的单位")))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UnitChange {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    sector: Option<String>,
    #[serde(default)]
    liaison: Option<Liaison>,
    /// `false` deactivates the unit (its accounts can no longer sign in or borrow).
    #[serde(default)]
    active: Option<bool>,
}

/// Changes a unit's name, sector or liaison, or (de)activates it (admins).
#[utoipa::path(patch, path = "/api/v1/units/{id}", tag = "admin",
    params(("id" = String, Path, description = "单位代码")), request_body = UnitChange,
    responses((status = 200, body = UnitDetail), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn update_unit(
    State(state): State<AppState>,
    Admin(admin): Admin,
    ApiPath(code): ApiPath<String>,
    ApiJson(change): ApiJson<UnitChange>,
) -> Result<ApiJson<UnitDetail>, AppError> {
    let (actor, at) = (Actor::user(&admin), state.clock.moment());
    let sector_given = change.sector.is_some();
    let updated = state
        .with_conn(move |conn| {
            let current = units::unit_detail(conn, &code)?
                .ok_or_else(|| AppError::not_found(format!("没有代码为“{code}”的单位")))?;
            let mut detail = current.clone();
            if change.name.is_some() || change.sector.is_some() || change.liaison.is_some() {
                let input = units::UnitInput {
                    name: change.name.unwrap_or(current.unit.name),
                    sector: change.sector.unwrap_or(current.unit.sector),
                    liaison: change.liaison.unwrap_or(current.liaison),
                };
                detail = units::update_unit(conn, &actor, &code, &input, at)?;
            }
            if let Some(active) = change.active {
                detail = units::set_unit_active(conn, &actor, &code, active, at)?;
            }
            Ok::<_, AppError>(detail)
        })
        .await?;
    if sector_given {
        // Who finds the unit's sector-shared contributions follows its sector.
        state.refresh_index().await?;
    }
    Ok(ApiJson(updated))
}

/// A set-password link just made.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct PasswordLink {
    /// The link's path (absent when it was mailed: it is shown to nobody then).
    path: Option<String>,
    /// RFC 3339; the link works until then, once.
    expires_at: String,
    /// Where it was mailed, when a relay is configured and the account has an address.
    mailed_to: Option<String>,
}

/// Makes a one-time set-password link for an account, valid 24 hours (admins); the
/// earlier links of the account stop working. Its token is in this answer only.
#[utoipa::path(post, path = "/api/v1/users/{id}/password-link", tag = "admin",
    params(("id" = i64, Path, description = "账号编号")),
    responses((status = 201, body = PasswordLink), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn make_password_link(
    State(state): State<AppState>,
    Admin(admin): Admin,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, AppError> {
    let (actor, at) = (Actor::user(&admin), state.clock.moment());
    let mail = state
        .mails()
        .then(|| crate::web::shared::site_base(&state, &headers));
    let link = state
        .with_conn(move |conn| {
            links::issue_link(conn, &actor, id, Purpose::Reset, mail.as_deref(), at)
        })
        .await?;
    let answer = PasswordLink {
        path: link.mailed_to.is_none().then(|| link.path()),
        expires_at: link.expires_at.stamp(),
        mailed_to: link.mailed_to,
    };
    Ok((StatusCode::CREATED, ApiJson(answer)).into_response())
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct Unlocked {
    /// How many failure counters were cleared.
    cleared: usize,
}

/// Lifts the sign-in locks of an account (admins).
#[utoipa::path(post, path = "/api/v1/users/{id}/unlock", tag = "admin",
    params(("id" = i64, Path, description = "账号编号")),
    responses((status = 200, body = Unlocked), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn unlock_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<Unlocked>, AppError> {
    let (actor, at) = (Actor::user(&admin), state.clock.moment());
    let cleared = state
        .with_conn(move |conn| {
            manage::unlock_sign_in(conn, &actor, id, crate::web::auth::unix_now(), at)
        })
        .await?;
    Ok(ApiJson(Unlocked { cleared }))
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
