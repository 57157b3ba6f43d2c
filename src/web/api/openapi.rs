//! `GET /api/v1/openapi.json`: the OpenAPI 3 description of the JSON API, put together
//! from the `#[utoipa::path]` annotations on the handlers, so it follows the code.

use std::sync::OnceLock;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::app::AppState;
use crate::web::auth::SESSION_COOKIE;
use crate::web::error::{ErrorBody, ErrorDetail};

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(show_openapi))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "警示教育资源库 API",
        description = "检索、资源、借阅与统计。除 `POST /session` 和本文档外，每个接口都需要登录（会话 Cookie）；\
            用 Cookie 认证的改动请求必须带上本站的 `Origin`。错误一律为 `{\"error\": {\"code\", \"message\"}}`。",
    ),
    paths(show_openapi),
    components(
        schemas(ErrorBody, ErrorDetail, super::loans::ActionName),
        responses(ErrorBody)
    ),
    modifiers(&SessionCookie),
    security(("session" = [])),
    tags(
        (name = "session", description = "登录与退出"),
        (name = "search", description = "检索"),
        (name = "resources", description = "资源与编目"),
        (name = "files", description = "文件内容"),
        (name = "loans", description = "借阅、日历、节假日与通知"),
        (name = "admin", description = "单位、账号与审计日志"),
        (name = "stats", description = "统计与推荐"),
        (name = "meta", description = "本文档"),
    )
)]
struct ApiDoc;

/// The session cookie as the security scheme every route but sign-in uses.
struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "由 POST /api/v1/session 设置",
            ))),
        );
    }
}

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for part in [
        super::session::Doc::openapi(),
        super::search::Doc::openapi(),
        super::resources::Doc::openapi(),
        super::files::Doc::openapi(),
        super::loans::doc(),
        super::admin::Doc::openapi(),
        super::stats::Doc::openapi(),
    ] {
        doc.merge(part);
    }
    doc
}

/// This document (public: no sign-in needed).
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json")))]
async fn show_openapi() -> Response {
    static JSON: OnceLock<String> = OnceLock::new();
    let json = JSON.get_or_init(|| {
        document().to_pretty_json().unwrap_or_else(|err| {
            format!("{{\"error\":{{\"code\":\"internal\",\"message\":\"{err}\"}}}}")
        })
    });
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        json.clone(),
    )
        .into_response()
}
