//! Sessions on the HTTP side: the session cookie, the signed-in user as an extractor,
//! role checks, and the same-origin check for state-changing requests.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use super::error::AppError;
use crate::accounts::{self, SessionUser};
use crate::app::AppState;
use crate::config::PublicUrl;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "jingshi_session";

/// Unix seconds now; sessions and throttling take time as a parameter. Deliberately
/// the wall clock, not the library's `Clock`: a session's idle and absolute limits
/// bound a stolen cookie in real elapsed time, which a test that moves the calendar
/// forward by days must not stretch or expire.
pub fn unix_now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// The session found for a request, if any (put in extensions by [`load_session`]).
#[derive(Clone)]
struct MaybeUser(Option<SessionUser>);

/// Middleware: resolves the session cookie once per request and refuses
/// cross-origin state changes.
pub async fn load_session(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let jar = CookieJar::from_headers(request.headers());
    let token = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned());
    let public_url = state.settings.public_url.as_ref();
    if is_state_changing(request.method()) && !same_origin(request.headers(), public_url) {
        // A present but foreign Origin is always refused; a missing one only matters
        // when a cookie would authenticate the request.
        if token.is_some() || request.headers().contains_key(header::ORIGIN) {
            return Err(AppError::new(
                StatusCode::FORBIDDEN,
                "cross_origin",
                "请求来源与本站不符（Origin/Referer 检查未通过），已拒绝",
            ));
        }
    }
    let user = match token {
        Some(token) => {
            state
                .with_conn(move |conn| accounts::sessions::lookup_session(conn, &token, unix_now()))
                .await?
        }
        None => None,
    };
    if let Some(user) = &user {
        tracing::Span::current().record("user", user.username.as_str());
    }
    request.extensions_mut().insert(MaybeUser(user));
    // For a page form posted after its session expired (`pages::extract`).
    request.extensions_mut().insert(state.drafts.clone());
    Ok(next.run(request).await)
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether Origin (or, without it, Referer) names this site: the public URL's scheme
/// and host when one is set, otherwise the host the request was sent to.
fn same_origin(headers: &HeaderMap, public_url: Option<&PublicUrl>) -> bool {
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some((scheme, rest)) = source.and_then(|source| source.split_once("://")) else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if let Some(public) = public_url {
        return public.matches(scheme.eq_ignore_ascii_case("https"), authority);
    }
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| authority.eq_ignore_ascii_case(host))
}

/// Whether the session cookie is `Secure`: as the public URL says when one is set,
/// otherwise when the request came over HTTPS.
pub fn cookie_is_secure(public_url: Option<&PublicUrl>, headers: &HeaderMap) -> bool {
    public_url.map_or_else(|| is_https(headers), |public| public.https)
}

/// Whether the request came over HTTPS (directly or through a proxy that says so).
pub fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

/// The cookie that carries a new session.
pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build()
}

/// A cookie that removes the session cookie: expired at once (`Max-Age=0`), with the
/// attributes of the cookie it replaces, or browsers keep that one.
pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = session_cookie(String::new(), secure);
    cookie.make_removal();
    cookie
}

/// The signed-in user; 401 when there is none.
pub struct CurrentUser(pub SessionUser);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<MaybeUser>() {
            Some(MaybeUser(Some(user))) => Ok(CurrentUser(user.clone())),
            _ => Err(AppError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "请先登录",
            )),
        }
    }
}

/// The signed-in user if any, for routes that behave differently when signed in.
pub struct OptionalUser(pub Option<SessionUser>);

impl<S: Send + Sync> FromRequestParts<S> for OptionalUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(OptionalUser(
            parts
                .extensions
                .get::<MaybeUser>()
                .and_then(|m| m.0.clone()),
        ))
    }
}

/// A signed-in librarian; 403 for other users.
pub struct Librarian(pub SessionUser);

impl<S: Send + Sync> FromRequestParts<S> for Librarian {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        if user.is_librarian() {
            Ok(Librarian(user))
        } else {
            Err(AppError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "此操作仅限管理员（图书管理员）",
            ))
        }
    }
}

/// A signed-in admin; 403 for other users.
pub struct Admin(pub SessionUser);

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        if user.is_admin() {
            Ok(Admin(user))
        } else {
            Err(AppError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "此操作仅限系统管理员",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    fn same_origin_here(headers: &HeaderMap) -> bool {
        same_origin(headers, None)
    }

    #[test]
    fn with_a_public_url_the_origin_must_be_exactly_it() {
        let public = PublicUrl::parse("https://jingshi.example.cn").unwrap();
        let check = |pairs: &[(&'static str, &str)]| same_origin(&headers(pairs), Some(&public));
        assert!(check(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://jingshi.example.cn")
        ]));
        assert!(check(&[(
            "referer",
            "https://JINGSHI.example.cn:443/loans?x=1"
        )]));
        // The same host over plain HTTP, or the Host the proxy forwarded, is not it.
        assert!(!check(&[
            ("host", "jingshi.example.cn"),
            ("origin", "http://jingshi.example.cn")
        ]));
        assert!(!check(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080")
        ]));
        assert!(!check(&[(
            "origin",
            "https://jingshi.example.cn.evil.example"
        )]));
        assert!(!check(&[("host", "jingshi.example.cn")]));
    }

    #[test]
    fn origin_must_name_our_host() {
        assert!(same_origin_here(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080")
        ])));
        assert!(same_origin_here(&headers(&[
            ("host", "lib.example"),
            ("referer", "https://lib.example/search?q=1")
        ])));
        assert!(!same_origin_here(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://evil.example")
        ])));
        assert!(!same_origin_here(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080.evil.example")
        ])));
        assert!(!same_origin_here(&headers(&[("host", "127.0.0.1:8080")])));
        assert!(!same_origin_here(&headers(&[
            ("host", "a"),
            ("origin", "null")
        ])));
    }
}
