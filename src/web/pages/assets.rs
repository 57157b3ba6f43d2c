//! Our static assets (CSS, script, icon), embedded in the binary and served under
//! content-hashed names with an ETag and a year-long immutable cache: a new build that
//! changes a file changes its name. Nothing is fetched from elsewhere.

use std::sync::OnceLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::app::AppState;

struct Asset {
    /// Logical name, e.g. `app.css`.
    name: &'static str,
    mime: &'static str,
    bytes: &'static [u8],
}

const ASSETS: [Asset; 4] = [
    Asset {
        name: "app.css",
        mime: "text/css; charset=utf-8",
        bytes: include_bytes!("../static/app.css"),
    },
    Asset {
        name: "stats.css",
        mime: "text/css; charset=utf-8",
        bytes: include_bytes!("../static/stats.css"),
    },
    Asset {
        name: "app.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../static/app.js"),
    },
    Asset {
        name: "icon.svg",
        mime: "image/svg+xml",
        bytes: include_bytes!("../static/icon.svg"),
    },
];

/// An asset under its hashed name.
struct Hashed {
    /// `app.3f2a1b9c0d1e.css`
    file: String,
    /// `/static/app.3f2a1b9c0d1e.css`
    url: &'static str,
    etag: String,
    asset: &'static Asset,
}

/// The URLs templates link to.
pub struct Urls {
    pub css: &'static str,
    /// The statistics page's own stylesheet, on top of `css`.
    pub stats_css: &'static str,
    pub js: &'static str,
    pub icon: &'static str,
}

fn hashed() -> &'static [Hashed] {
    static HASHED: OnceLock<Vec<Hashed>> = OnceLock::new();
    HASHED.get_or_init(|| {
        ASSETS
            .iter()
            .map(|asset| {
                let digest = hex::encode(Sha256::digest(asset.bytes));
                let short = &digest[..12];
                let (stem, ext) = asset.name.rsplit_once('.').unwrap_or((asset.name, ""));
                let file = format!("{stem}.{short}.{ext}");
                // Leaked once per asset for the life of the process, so templates can
                // hold `&'static str`.
                let url: &'static str = Box::leak(format!("/static/{file}").into_boxed_str());
                Hashed {
                    file,
                    url,
                    etag: format!("\"{short}\""),
                    asset,
                }
            })
            .collect()
    })
}

fn url_of(name: &str) -> &'static str {
    hashed()
        .iter()
        .find(|h| h.asset.name == name)
        .map(|h| h.url)
        .unwrap_or("/static/missing")
}

/// The hashed URLs of the stylesheets, the script and the icon.
pub fn urls() -> Urls {
    Urls {
        css: url_of("app.css"),
        stats_css: url_of("stats.css"),
        js: url_of("app.js"),
        icon: url_of("icon.svg"),
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/{file}", get(serve_asset))
        .route("/favicon.ico", get(favicon))
}

fn respond(hashed: &Hashed, headers: &HeaderMap, immutable: bool) -> Response {
    let etag = HeaderValue::from_str(&hashed.etag).ok();
    let cache = if immutable {
        HeaderValue::from_static("public, max-age=31536000, immutable")
    } else {
        HeaderValue::from_static("public, max-age=86400")
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == hashed.etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(hashed.asset.mime),
            )],
            hashed.asset.bytes,
        )
            .into_response()
    };
    let out = response.headers_mut();
    out.insert(header::CACHE_CONTROL, cache);
    if let Some(etag) = etag {
        out.insert(header::ETAG, etag);
    }
    response
}

async fn serve_asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match hashed().iter().find(|h| h.file == file) {
        Some(hashed) => respond(hashed, &headers, true),
        None => super::not_found_page(None),
    }
}

/// Browsers ask for `/favicon.ico` on their own; answer with the icon.
async fn favicon(headers: HeaderMap) -> Response {
    match hashed().iter().find(|h| h.asset.name == "icon.svg") {
        Some(hashed) => respond(hashed, &headers, false),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An unclosed block swallows every rule after it (a merge once left one open,
    /// and the slip's print style silently stopped applying).
    #[test]
    fn style_sheets_close_every_block() {
        for asset in ASSETS.iter().filter(|a| a.name.ends_with(".css")) {
            let text = std::str::from_utf8(asset.bytes).unwrap_or_default();
            let mut depth = 0i32;
            for (n, line) in text.lines().enumerate() {
                depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
                assert!(depth >= 0, "{}: a stray }} on line {}", asset.name, n + 1);
            }
            assert_eq!(depth, 0, "{}: a block is never closed", asset.name);
        }
    }

    #[test]
    fn names_carry_the_content_hash() {
        let urls = urls();
        assert!(urls.css.starts_with("/static/app.") && urls.css.ends_with(".css"));
        assert!(urls.js.ends_with(".js"));
        assert!(urls.stats_css.starts_with("/static/stats.") && urls.stats_css.ends_with(".css"));
        assert_eq!(urls.css.len(), "/static/app.".len() + 12 + ".css".len());
    }
}
