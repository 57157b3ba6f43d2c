//! Errors as pages: the same [`AppError`] mapping as the API, rendered in the site's
//! layout. 5xx answers say only that something failed; the details are in the log.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Chrome, Section, render};
use crate::accounts::SessionUser;
use crate::web::error::AppError;

/// An error on its way to a browser, shown in the signed-in user's layout when known.
pub struct PageError {
    error: AppError,
    chrome: Option<Box<Chrome>>,
}

impl<E> From<E> for PageError
where
    AppError: From<E>,
{
    fn from(err: E) -> Self {
        PageError {
            error: AppError::from(err),
            chrome: None,
        }
    }
}

impl PageError {
    pub fn not_found(message: impl Into<String>) -> Self {
        AppError::not_found(message).into()
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::new(StatusCode::FORBIDDEN, "forbidden", message).into()
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        AppError::bad_request(message).into()
    }

    /// The status and message of a refusal of what the user typed (400, 409, 422),
    /// which a form can show beside its fields; `None` for any other error.
    pub fn input_problem(&self) -> Option<(StatusCode, String)> {
        matches!(self.error.status.as_u16(), 400 | 409 | 422)
            .then(|| (self.error.status, self.error.message.clone()))
    }

    /// Shows the error with the user's navigation and sign-out.
    pub fn for_user(mut self, user: &SessionUser) -> Self {
        self.chrome = Some(Box::new(Chrome::for_user(user, Section::None)));
        self
    }
}

impl std::fmt::Debug for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub status: u16,
    pub heading: &'static str,
    pub message: String,
}

impl ErrorPage {
    fn new(status: StatusCode, message: String, chrome: Option<Box<Chrome>>) -> Self {
        let heading = match status.as_u16() {
            400 | 422 => "请求有误",
            401 => "请先登录",
            403 => "没有权限",
            404 => "页面不存在",
            409 => "操作冲突",
            413 => "文件太大",
            415 => "文件类型不受支持",
            429 => "请求过于频繁",
            503 => "服务暂不可用",
            s if s >= 500 => "服务器出错了",
            _ => "出错了",
        };
        Self {
            chrome: chrome.map(|c| *c).unwrap_or_else(Chrome::anonymous),
            status: status.as_u16(),
            heading,
            message,
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.error.log();
        let AppError {
            status, message, ..
        } = self.error;
        // A session that ended meanwhile: sign in again rather than read an error.
        if status == StatusCode::UNAUTHORIZED {
            return super::see_other("/login");
        }
        let page = ErrorPage::new(status, message, self.chrome);
        (status, render(&page)).into_response()
    }
}

/// The 404 page for addresses that match no route.
pub fn not_found_page(user: Option<&SessionUser>) -> Response {
    let error = PageError::not_found("没有这个页面。地址可能有误，或者该页面已被移除。");
    match user {
        Some(user) => error.for_user(user),
        None => error,
    }
    .into_response()
}
