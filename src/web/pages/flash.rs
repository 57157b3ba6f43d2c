//! One-time notices after a redirect (post/redirect/get) that whatever page comes
//! next shows above its content, e.g. "已加入借阅清单（3 项）" after adding from a
//! search result: the form handler sets a short-lived cookie, the next page shows the
//! notice and clears it. The cookie carries a code and counts, never text, so a
//! planted cookie cannot make the site say anything of its choosing.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

/// The cookie's name.
pub const FLASH_COOKIE: &str = "jingshi_flash";

/// A notice to show on the next page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flash {
    /// Resources added to the basket: how many were added, were already in it, and
    /// could not be added.
    BasketAdded {
        added: usize,
        already: usize,
        refused: usize,
    },
}

/// A notice as the layout shows it.
#[derive(Debug, Clone)]
pub struct FlashView {
    pub message: String,
    /// Where to go from it, and the link's words.
    pub link: Option<(&'static str, &'static str)>,
    /// Something was refused: shown as a warning.
    pub warning: bool,
}

impl Flash {
    fn code(self) -> String {
        match self {
            Flash::BasketAdded {
                added,
                already,
                refused,
            } => format!("basket.{added}.{already}.{refused}"),
        }
    }

    fn parse(code: &str) -> Option<Self> {
        let mut parts = code.split('.');
        if parts.next()? != "basket" {
            return None;
        }
        let mut count = || parts.next()?.parse::<usize>().ok().filter(|n| *n <= 1000);
        let flash = Flash::BasketAdded {
            added: count()?,
            already: count()?,
            refused: count()?,
        };
        parts.next().is_none().then_some(flash)
    }

    /// The notice in words.
    pub fn view(self) -> FlashView {
        match self {
            Flash::BasketAdded {
                added,
                already,
                refused,
            } => {
                let mut message = if added > 0 {
                    format!("已加入借阅清单（{added} 项）")
                } else if already > 0 {
                    "所选资源已在借阅清单中".to_owned()
                } else {
                    "没有加入借阅清单".to_owned()
                };
                if added > 0 && already > 0 {
                    message.push_str(&format!("，另有 {already} 项原已在清单中"));
                }
                if refused > 0 {
                    message.push_str(&format!(
                        "；{refused} 项不能借阅，未加入（参观基地请预约参观；暂无馆藏或未向本单位开放的资源不能借阅）"
                    ));
                }
                message.push('。');
                FlashView {
                    message,
                    link: Some(("/basket", "查看借阅清单")),
                    warning: refused > 0,
                }
            }
        }
    }

    /// The cookie that carries the notice to the next page.
    pub fn cookie(self, secure: bool) -> Cookie<'static> {
        Cookie::build((FLASH_COOKIE, self.code()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .build()
    }
}

tokio::task_local! {
    /// The notice for the page being answered.
    static SHOWN: FlashView;
}

/// The notice for the page being built, if one came with the request.
pub fn shown() -> Option<FlashView> {
    SHOWN.try_with(Clone::clone).ok()
}

fn flash_of(headers: &HeaderMap) -> Option<Flash> {
    CookieJar::from_headers(headers)
        .get(FLASH_COOKIE)
        .and_then(|c| Flash::parse(c.value()))
}

/// Middleware: a page (GET, not the API or a static file) that comes with a notice
/// shows it, and the answer clears the cookie unless it is a redirect (the notice
/// then waits for the page redirected to).
pub async fn show_flash(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let page = request.method() == Method::GET
        && !path.starts_with("/api/")
        && !path.starts_with("/static/");
    let Some(flash) = flash_of(request.headers()).filter(|_| page) else {
        return next.run(request).await;
    };
    let mut response = SHOWN.scope(flash.view(), next.run(request)).await;
    if !response.status().is_redirection() {
        let mut removal = Cookie::build((FLASH_COOKIE, "")).path("/").build();
        removal.make_removal();
        if let Ok(value) = HeaderValue::from_str(&removal.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_travel_and_nothing_else_reads() {
        let flash = Flash::BasketAdded {
            added: 3,
            already: 1,
            refused: 0,
        };
        assert_eq!(Flash::parse(&flash.code()), Some(flash));
        assert_eq!(
            flash.view().message,
            "已加入借阅清单（3 项），另有 1 项原已在清单中。"
        );
        for planted in [
            "",
            "basket",
            "basket.1.2",
            "basket.1.2.3.4",
            "basket.x.0.0",
            "<script>",
            "basket.99999.0.0",
        ] {
            assert_eq!(Flash::parse(planted), None, "{planted}");
        }
    }
}
