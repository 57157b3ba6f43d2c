//! HTML pages (SPEC §7): sign-in, home, search, resource pages with the video player,
//! the librarian's catalogue editor, history and audit log, and error pages. Pages are
//! askama template structs (escaping by default) rendered by [`render`]; forms that
//! change state carry the session's CSRF token ([`extract::CsrfForm`]).

mod account;
mod admin;
pub mod assets;
mod basket;
mod collections;
mod contributions;
mod error;
mod extract;
pub mod flash;
mod format;
mod home;
mod librarian;
pub(crate) mod loans;
pub mod nav;
mod resource;
mod search;
mod searches;
mod session;
pub mod stats;
mod url;
mod visits;

use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::accounts::SessionUser;
use crate::app::AppState;

pub use error::{PageError, not_found_page};

/// Every page route.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(session::router())
        .merge(account::router())
        .merge(admin::router())
        .merge(home::router())
        .merge(search::router())
        .merge(searches::router())
        .merge(resource::router())
        .merge(librarian::router())
        .merge(loans::router())
        .merge(basket::router())
        .merge(assets::router())
        .merge(stats::router())
        .merge(visits::router())
        .merge(contributions::router())
        .merge(collections::router())
}

/// The navigation entry a page belongs to, marked as current in the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Error and sign-in pages: no entry is current.
    None,
    Home,
    Search,
    /// 借阅 for units, 借阅审批 for librarians.
    Loans,
    /// 参观: a unit's visits to bases (every unit's for librarians).
    Visits,
    Stats,
    /// 资源管理: the librarian's catalogue and editor.
    Librarian,
    Audit,
    /// 账号管理: units and accounts (admins).
    Admin,
    /// 参观协调: the coordinator's bases, weeks and reception sheets.
    Coordination,
    /// 投稿审核: the librarian's review of units' contributions.
    Review,
    /// 投稿: a unit's own contributions (我单位的投稿).
    Contributions,
    /// 专题: the published collections.
    Collections,
    /// 专题管理: the librarian's collection editor.
    CollectionEditor,
    /// 订阅: the account's saved searches and feeds.
    Searches,
    /// 借阅清单: an officer's request basket.
    Basket,
    /// 检索词典: the librarian's abbreviation dictionary.
    Synonyms,
}

/// What the layout shows around every page: who is signed in, the assets, the form token.
pub struct Chrome {
    /// The name shown for the signed-in user: the display name, or the username.
    pub username: String,
    /// The sign-in name (shown on hover when a display name is shown).
    pub login: String,
    /// The user's unit, or their role for committee staff.
    pub affiliation: String,
    pub librarian: bool,
    /// May manage units and accounts.
    pub admin: bool,
    pub signed_in: bool,
    pub csrf: String,
    /// Which navigation entry is current.
    pub section: Section,
    pub css: &'static str,
    pub js: &'static str,
    pub icon: &'static str,
    /// Requests waiting for a librarian's decision (librarians' pages, see [`nav`]).
    pub requested: Option<u64>,
    /// The unit's unread notifications (officers' pages).
    pub unread: Option<u64>,
    /// Visit requests waiting for the coordinator (librarians' pages).
    pub visits_requested: Option<u64>,
    /// Contributions awaiting review (librarians' pages).
    pub contributions_submitted: Option<u64>,
    /// The saved searches' unread matches.
    pub search_alerts: Option<u64>,
    /// The account keeps a request basket (an officer of a unit).
    pub has_basket: bool,
    /// Items in the basket, when counted for this page.
    pub basket: Option<u64>,
    /// A notice the page before the redirect left (see [`flash`]).
    pub flash: Option<flash::FlashView>,
}

impl Chrome {
    pub fn for_user(user: &SessionUser, section: Section) -> Self {
        let affiliation = match (&user.unit_name, user.is_librarian()) {
            (Some(unit), _) => unit.clone(),
            (None, true) => "工委资料室".to_owned(),
            (None, false) => String::new(),
        };
        Self {
            affiliation,
            login: user.username.clone(),
            username: user.shown_name().to_owned(),
            librarian: user.is_librarian(),
            admin: user.is_admin(),
            signed_in: true,
            csrf: user.csrf_token.clone(),
            section,
            requested: nav::requested().filter(|_| user.is_librarian()),
            unread: nav::requested().filter(|_| !user.is_librarian()),
            visits_requested: nav::visits_requested().filter(|_| user.is_librarian()),
            contributions_submitted: nav::contributions_submitted().filter(|_| user.is_librarian()),
            search_alerts: nav::search_alerts(),
            has_basket: !user.is_librarian() && user.unit.is_some(),
            basket: nav::basket().filter(|_| !user.is_librarian() && user.unit.is_some()),
            flash: flash::shown(),
            ..Self::anonymous()
        }
    }

    /// The count beside 借阅, when the unit has unread notifications.
    pub fn unread_badge(&self) -> Option<u64> {
        self.unread.filter(|n| *n > 0)
    }

    /// The count beside 借阅审批, when there is something to decide.
    pub fn requested_badge(&self) -> Option<u64> {
        self.requested.filter(|n| *n > 0)
    }

    /// The count beside 借阅清单, when the basket holds something.
    pub fn basket_badge(&self) -> Option<u64> {
        self.basket.filter(|n| *n > 0)
    }

    /// The count beside 参观协调, when visit requests wait.
    pub fn visits_badge(&self) -> Option<u64> {
        self.visits_requested.filter(|n| *n > 0)
    }

    /// The count beside 投稿审核, when contributions await review.
    pub fn contributions_badge(&self) -> Option<u64> {
        self.contributions_submitted.filter(|n| *n > 0)
    }

    /// The count beside 订阅, when saved searches have unread matches.
    pub fn alerts_badge(&self) -> Option<u64> {
        self.search_alerts.filter(|n| *n > 0)
    }

    /// The layout for pages shown before sign-in (and error pages).
    pub fn anonymous() -> Self {
        let assets = assets::urls();
        Self {
            username: String::new(),
            login: String::new(),
            affiliation: String::new(),
            librarian: false,
            admin: false,
            signed_in: false,
            csrf: String::new(),
            section: Section::None,
            css: assets.css,
            js: assets.js,
            icon: assets.icon,
            requested: None,
            unread: None,
            visits_requested: None,
            contributions_submitted: None,
            search_alerts: None,
            has_basket: false,
            basket: None,
            flash: None,
        }
    }
}

/// Renders a page as `text/html`; a template failure is logged and answered with a
/// plain 500 (the error page itself is a template, so it cannot be used here).
pub fn render<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => {
            let mut response = html.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            // Pages carry the user's data and form tokens.
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-cache"),
            );
            response
        }
        Err(err) => {
            tracing::error!(%err, "page template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "服务器内部错误，请稍后重试",
            )
                .into_response()
        }
    }
}

/// Implements `IntoResponse` for page structs through [`render`].
macro_rules! pages {
    ($($page:ty),+ $(,)?) => {
        $(impl axum::response::IntoResponse for $page {
            fn into_response(self) -> axum::response::Response {
                $crate::web::pages::render(&self)
            }
        })+
    };
}
pub(crate) use pages;

/// A 303 redirect (after a form post, and to the sign-in page).
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// A file to download: its MIME type, `Content-Disposition` and bytes (exports).
pub(crate) fn attachment(
    mime: &'static str,
    disposition: &'static str,
    bytes: Vec<u8>,
) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, mime),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}
