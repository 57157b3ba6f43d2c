//! Signing in and out in the browser: `/login` (a plain form; the same-origin check of
//! every POST guards it) and `/logout` (a form carrying the session's CSRF token).

use crate::web::client::ClientAddr;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::extract::{CsrfForm, PageQuery};
use super::url::is_local_path;
use super::{Chrome, PageError, pages, see_other};
use crate::accounts;
use crate::app::AppState;
use crate::web::auth::{self, CurrentUser, OptionalUser, SESSION_COOKIE};
use crate::web::drafts::Draft;
use crate::web::error::AppError;
use crate::web::shared::session::{Credentials, start_session};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(show_login).post(sign_in))
        .route("/logout", post(sign_out))
        .route("/drafts/{token}", get(take_draft))
}

/// The values of a form posted after its session expired, for the page's script to
/// fill in once the person is signed in again; each draft is given out once.
async fn take_draft(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Result<axum::Json<Draft>, AppError> {
    state.drafts.take(&token).map(axum::Json).ok_or_else(|| {
        AppError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "没有这份草稿（已取回或已超过 30 分钟）",
        )
    })
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    chrome: Chrome,
    username: String,
    next: String,
    error: Option<String>,
    /// Shown after signing out.
    notice: Option<&'static str>,
}
pages!(LoginPage);

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginQuery {
    next: Option<String>,
    signed_out: Option<String>,
    /// Sent here by a form posted after the session expired.
    expired: Option<String>,
    /// After a password was changed or set, or a change ended the session.
    password: Option<String>,
}

fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| is_local_path(n))
        .filter(|n| !n.starts_with("/login"))
        .unwrap_or("/")
        .to_owned()
}

async fn show_login(
    OptionalUser(user): OptionalUser,
    PageQuery(query): PageQuery<LoginQuery>,
) -> Response {
    let next = safe_next(query.next.as_deref());
    if user.is_some() {
        return see_other(&next);
    }
    LoginPage {
        chrome: Chrome::anonymous(),
        username: String::new(),
        next,
        error: None,
        notice: match (query.signed_out, query.password.as_deref()) {
            _ if query.expired.is_some() => {
                Some(if query.next.as_deref().unwrap_or("").contains("draft=") {
                    "登录已过期，请重新登录。登录后将回到原来的表单，已填写的内容会保留。"
                } else {
                    "登录已过期，请重新登录。"
                })
            }
            (_, Some("changed")) => Some("密码已修改，所有登录已退出。请用新密码重新登录。"),
            (_, Some("set")) => Some("密码已设置。请用用户名和新密码登录。"),
            (_, Some("ended")) => {
                Some("当前密码多次输入错误，为安全起见已退出登录。请重新登录；如忘记密码，请联系管理员。")
            }
            (Some(_), _) => Some("您已安全退出。"),
            _ => None,
        },
    }
    .into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

async fn sign_in(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let username = form.username.trim().to_owned();
    let failed = |status: StatusCode, message: String, username: String, next: String| {
        (
            status,
            LoginPage {
                chrome: Chrome::anonymous(),
                username,
                next,
                error: Some(message),
                notice: None,
            },
        )
            .into_response()
    };
    if username.is_empty() || form.password.is_empty() {
        return failed(
            StatusCode::UNPROCESSABLE_ENTITY,
            "请输入用户名和密码。".to_owned(),
            username,
            next,
        );
    }
    let credentials = Credentials {
        username: username.clone(),
        password: form.password,
    };
    match start_session(&state, &headers, client, credentials).await {
        Ok((jar, _user)) => (jar, see_other(&next)).into_response(),
        // Wrong password, locked out (the message says for how long), or our failure.
        // Our failure; "busy, retry" is not one and is said beside the form.
        Err(err) if err.status.is_server_error() && err.retry_after.is_none() => {
            PageError::from(err).into_response()
        }
        Err(err) => {
            let retry_after = err.retry_after;
            let mut page = failed(err.status, err.message, username, next);
            if let Some(secs) = retry_after {
                page.headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, secs.into());
            }
            page
        }
    }
}

async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    _form: CsrfForm,
) -> Response {
    if let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) {
        let ended = state
            .with_conn(move |conn| accounts::sessions::end_session(conn, &token))
            .await;
        if let Err(err) = ended {
            return PageError::from(err).into_response();
        }
    }
    (
        CookieJar::new().add(auth::removal_cookie(auth::is_https(&headers))),
        see_other("/login?signed_out=1"),
    )
        .into_response()
}
