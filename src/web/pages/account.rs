//! A person's own account: `/account/password` (change one's password, for every
//! signed-in user) and `/account/reset/{token}` (set a password with the one-time
//! link an admin made; no session needed, the token is the proof).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;

use super::extract::{CsrfForm, FormData, PageUser};
use super::{Chrome, PageError, Section, pages, see_other};
use crate::accounts::links::{self, LinkHolder, Purpose};
use crate::accounts::strength::MIN_PASSWORD_CHARS;
use crate::accounts::{AccountError, LinkProblem, SessionUser};
use crate::app::AppState;
use crate::web::auth::{self, OptionalUser};
use crate::web::client::ClientAddr;
use crate::web::error::AppError;
use crate::web::shared::session::change_own_password;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/account/password",
            get(show_password_form).post(change_password),
        )
        .route(
            "/account/reset/{token}",
            get(show_reset_form).post(set_password),
        )
}

/// Which field a refusal is about: `current`, `new` or `confirm` (or none).
#[derive(Debug, Clone, Default)]
pub struct FieldProblem {
    pub field: &'static str,
    pub message: String,
}

impl FieldProblem {
    pub fn about(&self, field: &str) -> Option<&str> {
        (self.field == field).then_some(self.message.as_str())
    }
}

#[derive(Template)]
#[template(path = "account/password.html")]
pub struct PasswordPage {
    chrome: Chrome,
    username: String,
    min_chars: usize,
    problem: FieldProblem,
}
pages!(PasswordPage);

fn password_page(user: &SessionUser) -> PasswordPage {
    PasswordPage {
        chrome: Chrome::for_user(user, Section::None),
        username: user.username.clone(),
        min_chars: MIN_PASSWORD_CHARS,
        problem: FieldProblem::default(),
    }
}

async fn show_password_form(PageUser(user): PageUser) -> PasswordPage {
    password_page(&user)
}

/// The new password twice, the same.
fn confirmed(form: &FormData) -> Result<String, FieldProblem> {
    let new = form.get("new");
    if new != form.get("confirm") {
        return Err(FieldProblem {
            field: "confirm",
            message: "两次输入的新密码不一致，请重新输入".to_owned(),
        });
    }
    Ok(new.to_owned())
}

/// Where a refusal of a new password belongs on the form.
fn field_problem(err: AccountError) -> Result<(StatusCode, FieldProblem), AppError> {
    let field = match &err {
        AccountError::WrongPassword => "current",
        AccountError::Invalid { .. } => "new",
        _ => "",
    };
    let message = match &err {
        AccountError::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    };
    let error = AppError::from(err);
    match error.status.as_u16() {
        400 | 403 | 409 | 422 | 429 | 503 => Ok((error.status, FieldProblem { field, message })),
        _ => Err(error),
    }
}

async fn change_password(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let refuse = |status: StatusCode, problem: FieldProblem| {
        let mut page = password_page(&user);
        page.problem = problem;
        (status, page).into_response()
    };
    let new = match confirmed(&form) {
        Ok(new) => new,
        Err(problem) => return Ok(refuse(StatusCode::UNPROCESSABLE_ENTITY, problem)),
    };
    let current = form.get("current").to_owned();
    let outcome = change_own_password(&state, &user, &client, current, new)
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    // Every session of the user has ended: the browser forgets its cookie too.
    let removal = CookieJar::new().add(auth::removal_cookie(auth::is_https(&headers)));
    match outcome {
        Ok(()) => Ok((removal, see_other("/login?password=changed")).into_response()),
        Err(AccountError::SessionEnded) => {
            Ok((removal, see_other("/login?password=ended")).into_response())
        }
        Err(err) => match field_problem(err) {
            Ok((status, problem)) => Ok(refuse(status, problem)),
            Err(error) => Err(PageError::from(error).for_user(&user)),
        },
    }
}

#[derive(Template)]
#[template(path = "account/reset.html")]
pub struct ResetPage {
    chrome: Chrome,
    token: String,
    holder: Option<LinkHolder>,
    /// Why the link cannot be used.
    unusable: Option<&'static str>,
    min_chars: usize,
    problem: FieldProblem,
}
pages!(ResetPage);

impl ResetPage {
    fn welcome(&self) -> bool {
        self.holder
            .as_ref()
            .is_some_and(|h| h.purpose == Purpose::Welcome)
    }
}

fn reset_page(user: Option<&SessionUser>, token: &str) -> ResetPage {
    ResetPage {
        chrome: user.map_or_else(Chrome::anonymous, |user| {
            Chrome::for_user(user, Section::None)
        }),
        token: token.to_owned(),
        holder: None,
        unusable: None,
        min_chars: MIN_PASSWORD_CHARS,
        problem: FieldProblem::default(),
    }
}

/// The page for a link that cannot be used, with the status that says why.
fn unusable(mut page: ResetPage, problem: LinkProblem) -> Response {
    page.unusable = Some(problem.message());
    let status = AppError::from(AccountError::Link(problem)).status;
    (status, page).into_response()
}

async fn show_reset_form(
    State(state): State<AppState>,
    OptionalUser(user): OptionalUser,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let mut page = reset_page(user.as_ref(), &token);
    let at = state.clock.moment();
    let checked = state
        .with_conn(move |conn| Ok::<_, AppError>(links::link_holder(conn, &token, at)))
        .await?;
    match checked {
        Ok(holder) => {
            page.holder = Some(holder);
            Ok(page.into_response())
        }
        Err(AccountError::Link(problem)) => Ok(unusable(page, problem)),
        Err(err) => Err(PageError::from(err)),
    }
}

async fn set_password(
    State(state): State<AppState>,
    OptionalUser(user): OptionalUser,
    Path(token): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    let mut page = reset_page(user.as_ref(), &token);
    let at = state.clock.moment();
    let lookup = token.clone();
    let checked = state
        .with_conn(move |conn| Ok::<_, AppError>(links::link_holder(conn, &lookup, at)))
        .await?;
    match checked {
        Ok(holder) => page.holder = Some(holder),
        Err(AccountError::Link(problem)) => return Ok(unusable(page, problem)),
        Err(err) => return Err(PageError::from(err)),
    }
    let new = match confirmed(&form) {
        Ok(new) => new,
        Err(problem) => {
            page.problem = problem;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let permit = state.hashing.enter().await.map_err(PageError::from)?;
    let outcome = state
        .with_conn(move |conn| {
            let _permit = permit;
            Ok::<_, AppError>(links::set_password_by_link(conn, &token, &new, at))
        })
        .await?;
    match outcome {
        Ok(_) => Ok(see_other("/login?password=set")),
        Err(AccountError::Link(problem)) => Ok(unusable(page, problem)),
        Err(err) => match field_problem(err) {
            Ok((status, problem)) => {
                page.problem = problem;
                Ok((status, page).into_response())
            }
            Err(error) => Err(PageError::from(error)),
        },
    }
}
