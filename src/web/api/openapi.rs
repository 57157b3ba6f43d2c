//! `GET /api/v1/openapi.json`: the OpenAPI 3 description of the JSON API. The
//! document is the other half of the router `api::router()` builds from the
//! `routes!` lists, so it describes exactly what is routed.
//!
//! The API's modules list their handlers with this module's [`routes!`], which is
//! `utoipa_axum::routes!` whose schemas can be checked for a name two schemas share
//! ([`schema_collisions`]): the document keeps one schema per name and drops the
//! other without a word.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

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

/// `utoipa_axum::routes!`, with the schemas its handlers bring noted for
/// [`schema_collisions`] (while it looks; otherwise it only passes them on).
macro_rules! routes {
    ($($handlers:tt)*) => {
        $crate::web::api::openapi::noted(
            module_path!(),
            stringify!($($handlers)*),
            utoipa_axum::routes!($($handlers)*),
        )
    };
}
pub(crate) use routes;

/// The schemas seen so far by name, each with where it was first seen, and the
/// names given to a second, different schema.
#[derive(Default)]
struct Noted {
    seen: BTreeMap<String, (serde_json::Value, String)>,
    collisions: BTreeSet<String>,
}

impl Noted {
    fn note(&mut self, schemas: &[(String, RefOr<Schema>)], from: &str) {
        for (name, schema) in schemas {
            let shape = serde_json::to_value(schema).unwrap_or_default();
            match self.seen.get(name) {
                Some((first, first_from)) if *first != shape => {
                    self.collisions.insert(format!(
                        "{name}: one schema from {first_from}, another from {from}"
                    ));
                }
                Some(_) => {}
                None => {
                    self.seen.insert(name.clone(), (shape, from.to_owned()));
                }
            }
        }
    }
}

thread_local! {
    /// Set while [`schema_collisions`] builds the routes.
    static NOTED: RefCell<Option<Noted>> = const { RefCell::new(None) };
}

/// Notes the schemas of one `routes!` list (see [`routes!`]) and passes it on.
pub(crate) fn noted<S>(
    module: &str,
    handlers: &str,
    routes: UtoipaMethodRouter<S>,
) -> UtoipaMethodRouter<S> {
    NOTED.with_borrow_mut(|noted| {
        if let Some(noted) = noted {
            noted.note(&routes.0, &format!("{module} ({handlers})"));
        }
    });
    routes
}

/// Each schema name that two different schemas of the API carry (two Rust types
/// deriving `ToSchema` under one name), with where they come from. The document
/// would silently keep only one, so an empty list is what a test expects.
pub fn schema_collisions() -> Vec<String> {
    let frame: Vec<_> = ApiDoc::openapi()
        .components
        .map(|components| components.schemas.into_iter().collect())
        .unwrap_or_default();
    collisions_while(&frame, || {
        let _ = super::routes();
    })
}

/// The collisions among `frame` and the schemas of the `routes!` lists `build` makes.
fn collisions_while(frame: &[(String, RefOr<Schema>)], build: impl FnOnce()) -> Vec<String> {
    let mut noted = Noted::default();
    noted.note(frame, "ApiDoc");
    NOTED.set(Some(noted));
    build();
    NOTED
        .take()
        .map(|noted| noted.collisions.into_iter().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    mod loans {
        /// A loan's period.
        #[derive(utoipa::ToSchema)]
        #[allow(dead_code, reason = "only its schema is looked at")]
        pub struct Period {
            pub start: String,
            pub end: String,
        }

        #[utoipa::path(get, path = "/loan", responses((status = 200, body = Period)))]
        pub async fn loan() {}

        #[utoipa::path(get, path = "/loans", responses((status = 200, body = Vec<Period>)))]
        pub async fn loans() {}
    }

    mod seasons {
        /// A season's period.
        #[derive(utoipa::ToSchema)]
        #[allow(dead_code, reason = "only its schema is looked at")]
        pub struct Period {
            pub season: String,
        }

        #[utoipa::path(get, path = "/season", responses((status = 200, body = Period)))]
        pub async fn season() {}
    }

    #[test]
    fn two_types_of_one_schema_name_are_reported_and_one_type_twice_is_not() {
        let found = collisions_while(&[], || {
            let _: OpenApiRouter = OpenApiRouter::new()
                .routes(routes!(loans::loan))
                .routes(routes!(loans::loans))
                .routes(routes!(seasons::season));
        });
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("Period: "), "{found:?}");
        assert!(found[0].contains("loans::loan"), "{found:?}");
        assert!(found[0].contains("seasons::season"), "{found:?}");
        // Routes built while nobody looks are not noted.
        let _: OpenApiRouter = OpenApiRouter::new().routes(routes!(seasons::season));
        assert!(NOTED.with_borrow(Option::is_none));
    }
}
