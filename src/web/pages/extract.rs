//! Extractors for pages: the signed-in user (anonymous visitors are sent to the sign-in
//! page), librarians (others get a 403 page), form bodies checked against the session's
//! CSRF token, and query strings whose rejection is an error page.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};

use super::error::PageError;
use super::url::{encode_component, is_local_path};
use crate::accounts::SessionUser;
use crate::web::auth::OptionalUser;
use crate::web::drafts::{FormDrafts, MAX_DRAFT_BYTES};

/// The signed-in user of a page; anonymous visitors are redirected to
/// `/login?next=<this page>`.
pub struct PageUser(pub SessionUser);

fn login_redirect(parts: &Parts) -> Response {
    let next = if parts.method == Method::GET || parts.method == Method::HEAD {
        parts
            .uri
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/")
            .to_owned()
    } else {
        // A POST-only route is never a `next`: back to the page the form was on.
        form_page(parts)
    };
    if next == "/" {
        super::see_other("/login")
    } else {
        super::see_other(&format!("/login?next={}", encode_component(&next)))
    }
}

/// The page a posted form was on: the same-site Referer's path and query, or home.
fn form_page(parts: &Parts) -> String {
    parts
        .headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|referer| {
            let uri: axum::http::Uri = referer.parse().ok()?;
            let same_host = match (uri.authority(), parts.headers.get(header::HOST)) {
                (Some(authority), Some(host)) => host.to_str().ok() == Some(authority.as_str()),
                _ => false,
            };
            same_host.then(|| uri.path_and_query().map(|pq| pq.as_str().to_owned()))?
        })
        .filter(|path| is_local_path(path) && !path.starts_with("/login"))
        .unwrap_or_else(|| "/".to_owned())
}

/// A form posted without a live session (it expired while the person typed): keeps
/// the values as a draft and sends them to sign in again, then back to the form's
/// page with `draft=TOKEN`, where the page's script fills the form in.
async fn keep_and_sign_in(parts: &Parts, body: axum::body::Body) -> Response {
    let page = form_page(parts);
    let drafts = parts.extensions.get::<Arc<FormDrafts>>().cloned();
    let kept = match (
        drafts,
        axum::body::to_bytes(body, MAX_DRAFT_BYTES * 3).await,
    ) {
        (Some(drafts), Ok(bytes)) => {
            let fields: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
            drafts.keep(parts.uri.path(), fields)
        }
        _ => None,
    };
    let next = match kept {
        Some(token) => {
            let joiner = if page.contains('?') { '&' } else { '?' };
            format!("{page}{joiner}draft={token}")
        }
        None => page,
    };
    super::see_other(&format!(
        "/login?expired=1&next={}",
        encode_component(&next)
    ))
}

impl<S: Send + Sync> FromRequestParts<S> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let OptionalUser(user) = match OptionalUser::from_request_parts(parts, state).await {
            Ok(user) => user,
            Err(never) => match never {},
        };
        user.map(PageUser).ok_or_else(|| login_redirect(parts))
    }
}

/// A signed-in librarian; anonymous visitors are redirected to sign in, other users
/// see a 403 page.
pub struct PageLibrarian(pub SessionUser);

/// The 403 for a signed-in user who is not a librarian.
pub fn librarians_only(user: &SessionUser) -> PageError {
    PageError::forbidden(
        "此页面仅限工委资料室的管理员（图书管理员）使用。如需查阅资料，请使用首页的检索。",
    )
    .for_user(user)
}

impl<S: Send + Sync> FromRequestParts<S> for PageLibrarian {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let PageUser(user) = PageUser::from_request_parts(parts, state).await?;
        if user.is_librarian() {
            Ok(PageLibrarian(user))
        } else {
            Err(librarians_only(&user).into_response())
        }
    }
}

/// The fields of an urlencoded form, in order (repeated names such as checkbox groups
/// keep every value).
#[derive(Debug, Default, Clone)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or("")
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .collect()
    }
}

/// Whether two tokens are equal, in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !a.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The message for a missing or stale form token.
pub fn stale_form() -> PageError {
    PageError::forbidden("表单已过期或来源不明（安全校验未通过）。请返回上一页，刷新后重新提交。")
}

/// Checks the first field of a multipart form (an upload): the session's CSRF token.
pub async fn check_upload_token(
    multipart: &mut axum::extract::Multipart,
    user: &SessionUser,
) -> Result<(), PageError> {
    let first = multipart
        .next_field()
        .await
        .map_err(|err| PageError::bad_request(format!("上传内容无法解析：{}", err.body_text())))?;
    let token = match first {
        Some(field) if field.name() == Some("csrf") => field.text().await.unwrap_or_default(),
        _ => String::new(),
    };
    if same_token(&token, &user.csrf_token) {
        Ok(())
    } else {
        Err(stale_form().for_user(user))
    }
}

/// A form posted by the signed-in user, whose hidden `csrf` (or `_csrf`) field matches
/// the session.
pub struct CsrfForm {
    pub user: SessionUser,
    pub form: FormData,
}

impl<S: Send + Sync> FromRequest<S> for CsrfForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let user = match PageUser::from_request_parts(&mut parts, state).await {
            Ok(PageUser(user)) => user,
            Err(_) => return Err(keep_and_sign_in(&parts, body).await),
        };
        let req = Request::from_parts(parts, body);
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(req, state)
            .await
            .map_err(|rejection| {
                PageError::bad_request(format!("表单无法解析：{}", rejection.body_text()))
                    .into_response()
            })?;
        let form = FormData(pairs);
        // `_csrf` is the same token under the name other forms' contracts use.
        let token = match form.get("csrf") {
            "" => form.get("_csrf"),
            token => token,
        };
        if !same_token(token, &user.csrf_token) {
            return Err(stale_form().for_user(&user).into_response());
        }
        Ok(CsrfForm { user, form })
    }
}

/// Query string whose rejection is an error page.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(PageError))]
pub struct PageQuery<T>(pub T);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "abcd"));
        assert!(!same_token("", ""));
    }

    #[test]
    fn form_data_keeps_repeated_fields() {
        let form = FormData(vec![
            ("sector".into(), "税务".into()),
            ("sector".into(), "海关".into()),
            ("title".into(), "t".into()),
        ]);
        assert_eq!(form.get("title"), "t");
        assert_eq!(form.get("missing"), "");
        assert_eq!(form.all("sector"), vec!["税务", "海关"]);
    }
}
