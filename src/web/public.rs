//! The public address (`--public-url`): requests must name it, and over HTTPS
//! browsers are told never to use plain HTTP for it.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::AppError;
use crate::app::AppState;

/// One year, without subdomains: other services under the same domain may not serve
/// HTTPS yet, and HSTS cannot be taken back before it expires.
const HSTS: &str = "max-age=31536000";

/// Middleware: with a public URL set, a request for another host is answered 421
/// (a DNS name pointed at us, or a Host header forged to poison links), and every
/// answer over HTTPS carries HSTS. Without one, requests pass untouched.
///
/// `/healthz` answers whatever the host: monitoring probes the server by address.
pub async fn check_public_host(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(public) = state.settings.public_url.as_ref() else {
        return next.run(request).await;
    };
    // HTTP/2 names the host in the request's authority, HTTP/1.1 in `Host`.
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    let known = host.is_some_and(|host| public.matches_host(host));
    let mut response = if known || request.uri().path() == "/healthz" {
        next.run(request).await
    } else {
        AppError::new(
            StatusCode::MISDIRECTED_REQUEST,
            "unknown_host",
            format!("本站的地址是 {}，请通过它访问", public.authority),
        )
        .into_response()
    };
    if public.https {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}
