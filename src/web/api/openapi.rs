//! `GET /api/v1/openapi.json`: the OpenAPI 3 description of the JSON API. The
//! document is the other half of the router `api::router()` builds from the
//! `routes!` lists, so it describes exactly what is routed.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::web::auth::SESSION_COOKIE;
use crate::web::error::{AppError, ErrorBody, ErrorDetail};

/// The document's frame (info, tags, security, shared components) and its own route;
/// the other modules' routers are merged into this one.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).routes(routes!(show_openapi))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "警示教育资源库 API",
        description = "检索、资源、借阅与统计。除 `POST /session` 和本文档外，每个接口都需要登录（会话 Cookie）；\
            用 Cookie 认证的改动请求必须带上本站的 `Origin`。错误一律为 `{\"error\": {\"code\", \"message\"}}`。",
    ),
    components(
        schemas(
            ErrorBody,
            ErrorDetail,
            super::loans::ActionName,
            super::visits::VisitActionName,
            super::visits::SessionActionName
        ),
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
        (name = "visits", description = "警示教育基地的场次与参观"),
        (name = "collections", description = "专题：成套的警示教育资源"),
        (name = "saved-searches", description = "订阅搜索、新资源提醒与 Atom 订阅源地址"),
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

/// The serialised document, handed to `show_openapi` by `api::router()` once the
/// router is split from it.
#[derive(Clone)]
pub struct Document(Result<Bytes, Arc<str>>);

impl Document {
    pub fn new(document: &utoipa::openapi::OpenApi) -> Self {
        Self(
            document
                .to_pretty_json()
                .map(Bytes::from)
                .map_err(|err| Arc::from(err.to_string())),
        )
    }
}

/// This document (public: no sign-in needed).
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json")))]
async fn show_openapi(Extension(Document(json)): Extension<Document>) -> Response {
    match json {
        Ok(json) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            json,
        )
            .into_response(),
        Err(err) => AppError::internal(format!("OpenAPI document: {err}")).into_response(),
    }
}
