//! The admin's pages under `/admin/`: units (create, edit, deactivate), accounts
//! (create, edit, disable, set-password links, unlock) and creating many of either
//! from a sheet. Admins only: others get a 403 page, visitors are sent to sign in.

mod account;
mod accounts;
mod import;
mod units;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::extract::{CsrfForm, FormData, PageUser};
use super::{Chrome, PageError, Section, pages, see_other};
use crate::accounts::{AccountError, SessionUser};
use crate::app::AppState;
use crate::web::error::AppError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(|| async { see_other("/admin/") }))
        .route("/admin/", get(show_overview))
        .route(
            "/admin/units",
            get(units::list_units).post(units::create_unit),
        )
        .route(
            "/admin/units/{code}",
            get(units::show_unit).post(units::update_unit),
        )
        .route(
            "/admin/units/{code}/deactivate",
            post(units::deactivate_unit),
        )
        .route(
            "/admin/units/{code}/reactivate",
            post(units::reactivate_unit),
        )
        .route(
            "/admin/accounts",
            get(accounts::list_accounts).post(accounts::create_account),
        )
        .route(
            "/admin/accounts/{id}",
            get(account::show_account).post(account::update_account),
        )
        .route(
            "/admin/accounts/{id}/disable",
            post(account::disable_account),
        )
        .route("/admin/accounts/{id}/enable", post(account::enable_account))
        .route("/admin/accounts/{id}/link", post(account::make_link))
        .route("/admin/accounts/{id}/unlock", post(account::unlock_account))
        .merge(import::router())
}

/// A signed-in admin; visitors are sent to sign in, other users see a 403 page.
pub struct PageAdmin(pub SessionUser);

/// The 403 for a signed-in user who is not an admin.
fn admins_only(user: &SessionUser) -> PageError {
    PageError::forbidden(
        "此页面仅限系统管理员使用，用于管理单位和账号。如需开通账号或修改单位信息，请联系系统管理员。",
    )
    .for_user(user)
}

impl<S: Send + Sync> FromRequestParts<S> for PageAdmin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let PageUser(user) = PageUser::from_request_parts(parts, state).await?;
        if user.is_admin() {
            Ok(PageAdmin(user))
        } else {
            Err(admins_only(&user).into_response())
        }
    }
}

/// A form posted by an admin, carrying the session's CSRF token.
pub struct AdminForm {
    pub user: SessionUser,
    pub form: FormData,
}

impl<S: Send + Sync> FromRequest<S> for AdminForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let CsrfForm { user, form } = CsrfForm::from_request(req, state).await?;
        if user.is_admin() {
            Ok(AdminForm { user, form })
        } else {
            Err(admins_only(&user).into_response())
        }
    }
}

/// A refusal of what the admin typed, to show beside the form: the field it is about
/// (empty for the form as a whole) and the message.
#[derive(Debug, Clone, Default)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl Problem {
    /// The message when it is about `field`.
    pub fn about(&self, field: &str) -> Option<&str> {
        (self.field == field).then_some(self.message.as_str())
    }
}

/// The status and problem of a refusal the admin can fix; other errors (ours, or
/// permission) become an error page.
fn problem_of(err: AccountError, user: &SessionUser) -> Result<(StatusCode, Problem), PageError> {
    let field = match &err {
        AccountError::Invalid { field, .. } => field.clone(),
        AccountError::UnitExists(_) => "code".to_owned(),
        AccountError::UserExists(_) => "username".to_owned(),
        AccountError::UnknownUnit(_) => "unit".to_owned(),
        _ => String::new(),
    };
    let message = match &err {
        AccountError::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    };
    let error = AppError::from(err);
    if matches!(error.status.as_u16(), 400 | 409 | 413 | 422) {
        Ok((error.status, Problem { field, message }))
    } else {
        Err(PageError::from(error).for_user(user))
    }
}

/// A page that shows set-password links: kept in no cache, so that going back or
/// reopening the browser does not show the links again.
fn kept_nowhere(mut response: Response) -> Response {
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

/// The site's address for links in mail, when mail goes out.
fn mail_base(state: &AppState, headers: &HeaderMap) -> Option<String> {
    state
        .mails()
        .then(|| crate::web::shared::site_base(state, headers))
}

#[derive(Template)]
#[template(path = "admin/overview.html")]
pub struct OverviewPage {
    chrome: Chrome,
    units: usize,
    inactive_units: usize,
    accounts: usize,
    disabled_accounts: usize,
    without_password: usize,
    mails: bool,
}
pages!(OverviewPage);

async fn show_overview(
    State(state): State<AppState>,
    PageAdmin(user): PageAdmin,
) -> Result<OverviewPage, PageError> {
    let (units, accounts) = state
        .with_conn(|conn| {
            Ok::<_, AccountError>((
                crate::accounts::units::unit_details(conn)?,
                crate::accounts::users::list_users(conn)?,
            ))
        })
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    Ok(OverviewPage {
        chrome: Chrome::for_user(&user, Section::Admin),
        units: units.len(),
        inactive_units: units.iter().filter(|u| !u.unit.active).count(),
        accounts: accounts.len(),
        disabled_accounts: accounts.iter().filter(|a| !a.active).count(),
        without_password: accounts.iter().filter(|a| !a.has_password).count(),
        mails: state.mails(),
    })
}
