//! HTTP: the router, extractors, error mapping, JSON API and pages. No SQL here.

pub mod api;
pub mod auth;
pub mod client;
pub mod connections;
pub mod drafts;
pub mod error;
pub mod extract;
pub mod feeds;
pub mod pages;
pub mod public;
pub mod shared;
pub mod sheet_upload;
pub mod upload;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tower::util::MapRequestLayer;
use tower_http::compression::{CompressionLayer, Predicate};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::app::AppState;

/// All routes of the service.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .merge(api::router())
        .merge(feeds::router())
        .merge(pages::router())
        .fallback(not_found)
        // Inside the session layer: it reads the signed-in user.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            pages::nav::count_for_nav,
        ))
        .layer(axum::middleware::from_fn(pages::flash::show_flash))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::load_session,
        ))
        // Small bodies everywhere; upload routes lift this with their own limits.
        .layer(DefaultBodyLimit::max(state.limits.body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            time_limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            public::check_public_host,
        ))
        // Every response, unless a handler set its own.
        .layer(header_layer(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_layer(header::REFERRER_POLICY, "same-origin"))
        .layer(header_layer(header::X_FRAME_OPTIONS, "SAMEORIGIN"))
        .layer(
            CompressionLayer::new()
                .no_deflate()
                .no_zstd()
                .compress_when(TextOnly),
        )
        // Outermost: everything a request logs, errors included, carries its span.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(record_response)
                .on_failure(()),
        )
        .with_state(state)
}

/// The span around one request: method and path now, the user once the session is
/// read (`auth::load_session`), status and latency when the answer starts.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = request.uri().path(),
        user = tracing::field::Empty,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    )
}

fn record_response(response: &Response, latency: std::time::Duration, span: &tracing::Span) {
    span.record("status", response.status().as_u16());
    span.record("latency_ms", latency.as_secs_f64() * 1000.0);
    tracing::debug!("answered");
}

/// Our scripts and styles only, no inline script, no framing by other sites.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; media-src 'self'; font-src 'self'; connect-src 'self'; \
    object-src 'self'; frame-src 'self'; frame-ancestors 'self'; base-uri 'self'; \
    form-action 'self'";

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// Compress pages, styles, scripts and JSON; never file downloads (they answer Range
/// requests, and video gains nothing from gzip).
#[derive(Clone, Copy)]
struct TextOnly;

impl Predicate for TextOnly {
    fn should_compress<B>(&self, response: &axum::http::Response<B>) -> bool
    where
        B: axum::body::HttpBody,
    {
        let headers = response.headers();
        if headers.contains_key(header::ACCEPT_RANGES)
            || headers.contains_key(header::CONTENT_RANGE)
        {
            return false;
        }
        let Some(mime) = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        let essence = mime.split(';').next().unwrap_or("").trim();
        let text = matches!(
            essence,
            "text/html"
                | "text/css"
                | "text/javascript"
                | "application/javascript"
                | "application/json"
                | "text/vtt"
                | "image/svg+xml"
        );
        // Tiny bodies grow when compressed.
        let big_enough = axum::body::HttpBody::size_hint(response.body())
            .exact()
            .is_none_or(|len| len >= 256);
        text && big_enough
    }
}

/// Bounds the time until a response starts (a stuck handler or a client that sends
/// its body slowly). Routes that stream for as long as they need (uploads, which bound
/// their own idle time) say so with [`untimed`]; the route decides, not a header the
/// client chooses. Downloads are unaffected because their bodies stream after the
/// response starts.
async fn time_limit(
    State(state): State<AppState>,
    mut request: Request,
    next: axum::middleware::Next,
) -> Response {
    let untimed = Untimed::default();
    request.extensions_mut().insert(untimed.clone());
    let api = request.uri().path().starts_with("/api/");
    let limit = state.limits.request_timeout;
    let mut answer = std::pin::pin!(next.run(request));
    match tokio::time::timeout(limit, answer.as_mut()).await {
        Ok(response) => response,
        // The route took itself out of the limit when it was reached (long before now).
        Err(_) if untimed.0.load(Ordering::Acquire) => answer.await,
        Err(_) => {
            tracing::warn!(seconds = limit.as_secs_f64(), "request timed out");
            let error = error::AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "请求处理超时，请稍后重试",
            );
            if api {
                error.into_response()
            } else {
                (error.status, error.message).into_response()
            }
        }
    }
}

/// Set by a route that is exempt from the response time limit.
#[derive(Clone, Default)]
struct Untimed(Arc<AtomicBool>);

/// The layer that exempts a route (an upload) from the response time limit.
pub fn untimed() -> UntimedLayer {
    MapRequestLayer::new(exempt_from_time_limit as fn(Request) -> Request)
}

fn exempt_from_time_limit(request: Request) -> Request {
    if let Some(untimed) = request.extensions().get::<Untimed>() {
        untimed.0.store(true, Ordering::Release);
    }
    request
}

/// See [`untimed`].
pub type UntimedLayer = MapRequestLayer<fn(Request) -> Request>;

/// 200 once the server can answer searches; 503 while the index is catching up.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    if state.is_ready() {
        (StatusCode::OK, axum::Json(json!({"status": "ok"})))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "starting"})),
        )
    }
}

/// JSON for the API, the 404 page for everything else.
async fn not_found(auth::OptionalUser(user): auth::OptionalUser, uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        error::AppError::not_found("没有这个地址").into_response()
    } else {
        pages::not_found_page(user.as_ref())
    }
}
