//! Signing in and out: `POST /api/v1/session`, `DELETE /api/v1/session`, the current
//! user, and changing one's password.

use crate::web::api::openapi::routes;
use crate::web::client::ClientAddr;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;

use crate::accounts::{self, AccountError, SessionUser};
use crate::app::AppState;
use crate::web::auth::{self, CurrentUser, SESSION_COOKIE};
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::ApiJson;
use crate::web::shared::session::{Credentials, change_own_password, start_session};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_in, sign_out, show_session))
        .routes(routes!(change_password))
}

/// The signed-in user, as sign-in and `GET /session` answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    pub user: SessionUser,
}

/// Signs in: sets the session cookie `jingshi_session`.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", security(()),
    request_body = Credentials,
    responses((status = 200, body = SignedIn, description = "signed in; the cookie is set"), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    ApiJson(credentials): ApiJson<Credentials>,
) -> Result<Response, AppError> {
    let (jar, user) = start_session(&state, &headers, client, credentials).await?;
    Ok((jar, ApiJson(SignedIn { user })).into_response())
}

/// Signs out and removes the cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "signed out"), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Response, AppError> {
    if let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) {
        state
            .with_conn(move |conn| accounts::sessions::end_session(conn, &token))
            .await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        CookieJar::new().add(auth::removal_cookie(auth::is_https(&headers))),
    )
        .into_response())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, body = SignedIn), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn show_session(CurrentUser(user): CurrentUser) -> ApiJson<SignedIn> {
    ApiJson(SignedIn { user })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current: String,
    new: String,
}

/// Changes the signed-in user's password and ends all their sessions.
#[utoipa::path(post, path = "/api/v1/session/password", tag = "session",
    request_body = PasswordChange,
    responses((status = 204, description = "changed; signed out everywhere"), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    client: ClientAddr,
    headers: HeaderMap,
    ApiJson(change): ApiJson<PasswordChange>,
) -> Result<Response, AppError> {
    let outcome = change_own_password(&state, &user, &client, change.current, change.new).await?;
    let removal = CookieJar::new().add(auth::removal_cookie(auth::is_https(&headers)));
    match outcome {
        Ok(()) => Ok((StatusCode::NO_CONTENT, removal).into_response()),
        // The session is gone: the browser forgets its cookie too.
        Err(err @ AccountError::SessionEnded) => Ok((removal, AppError::from(err)).into_response()),
        Err(err) => Err(err.into()),
    }
}
