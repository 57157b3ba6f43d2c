//! Signing in for both front ends: the API's `POST /session` and the login form.

use std::time::Duration;

use axum::http::HeaderMap;
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use crate::accounts::{self, AccountError, SessionUser};
use crate::app::AppState;
use crate::web::auth;
use crate::web::client::ClientAddr;
use crate::web::error::AppError;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// Checks credentials (throttled), starts a session and sets its cookie.
pub async fn start_session(
    state: &AppState,
    headers: &HeaderMap,
    client: ClientAddr,
    credentials: Credentials,
) -> Result<(CookieJar, SessionUser), AppError> {
    let addr = client.throttle_key();
    let at = state.clock.moment();
    // Argon2 runs a few at a time; beyond a short queue the answer is "busy, retry".
    let permit = state.hashing.enter().await?;
    let outcome = state
        .with_conn(move |conn| {
            let _permit = permit;
            // The refusal is an answer, not a failure of the call: it decides the delay.
            Ok::<_, AppError>(accounts::signin::sign_in(
                conn,
                &credentials.username,
                &credentials.password,
                &addr,
                auth::unix_now(),
                at,
            ))
        })
        .await?;
    match outcome {
        Ok(signed_in) => {
            let cookie = auth::session_cookie(
                signed_in.token,
                auth::cookie_is_secure(state.settings.public_url.as_ref(), headers),
            );
            Ok((CookieJar::new().add(cookie), signed_in.user))
        }
        Err(AccountError::BadCredentials { delay_secs }) => {
            // Slow down guessing: each failure past the first few waits longer.
            tokio::time::sleep(Duration::from_secs(delay_secs.min(5))).await;
            // Not the typed name: people type their password into it by mistake.
            tracing::info!(client = %client.throttle_key(), "failed sign-in");
            Err(AccountError::BadCredentials { delay_secs }.into())
        }
        Err(err) => Err(err.into()),
    }
}

/// Changes the signed-in user's own password from `client` (throttled like sign-in,
/// behind the hashing gate). The outer error is the service failing; the inner one is
/// the refusal (wrong current password, too weak, locked, or the session ended).
pub async fn change_own_password(
    state: &AppState,
    user: &SessionUser,
    client: &ClientAddr,
    current: String,
    new: String,
) -> Result<Result<(), AccountError>, AppError> {
    let (actor, at) = (crate::actor::Actor::user(user), state.clock.moment());
    let addr = client.throttle_key();
    let permit = match state.hashing.enter().await {
        Ok(permit) => permit,
        Err(busy) => return Ok(Err(busy)),
    };
    state
        .with_conn(move |conn| {
            let _permit = permit;
            let change = accounts::users::PasswordChange {
                current: &current,
                new: &new,
                addr: &addr,
                now_secs: auth::unix_now(),
            };
            Ok::<_, AppError>(accounts::users::change_password(conn, &actor, &change, at))
        })
        .await
}
