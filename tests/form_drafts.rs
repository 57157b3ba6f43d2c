//! A form posted after its session expired: the sign-in says so, and afterwards the
//! person is back on the form's page with a draft of what they typed; a POST-only
//! route is never where the sign-in leads.

use reqwest::header;
use serde_json::json;

use crate::common::web::{csrf_of, encode, form_body, no_redirects};
use crate::common::{TestApp, USER_PASSWORD};

const RESOURCE: &str = "demo-video-mooncake";

fn location(resp: &reqwest::Response) -> String {
    resp.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The `next` of a `/login?…&next=…` address, decoded.
fn next_of(login: &str) -> String {
    let query = login.split_once('?').unwrap().1;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    pairs
        .into_iter()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v)
        .unwrap_or_default()
}

#[tokio::test]
async fn an_expired_session_keeps_the_form_as_a_draft_until_the_sign_in() {
    let app = TestApp::spawn_with_demo().await;
    app.add_user(
        "officer",
        &[jingshi::accounts::Role::Borrower],
        Some("yn-tax"),
    );
    let browser = no_redirects(&app);
    let signed_in = browser
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": "officer", "password": USER_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);
    let page_path = format!("/resources/{RESOURCE}");
    let html = browser
        .get(app.url(&page_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);

    // The session ends while the officer types.
    app.state
        .db
        .get()
        .unwrap()
        .execute("DELETE FROM sessions", [])
        .unwrap();
    let purpose = "中秋节前<b>专题</b>警示教育";
    let posted = browser
        .post(app.url(&format!("{page_path}/loan")))
        .header(header::REFERER, app.url(&page_path))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("csrf", &csrf),
            ("format", "digital"),
            ("start", "2026-09-20"),
            ("end", "2026-09-22"),
            ("purpose", purpose),
            ("audience", "85"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 303);
    let login = location(&posted);
    assert!(login.starts_with("/login?expired=1&next="), "{login}");
    let next = next_of(&login);
    assert!(next.starts_with(&format!("{page_path}?draft=")), "{next}");
    let token = next.rsplit_once("draft=").unwrap().1.to_owned();

    let login_page = browser.get(app.url(&login)).send().await.unwrap();
    let login_html = login_page.text().await.unwrap();
    assert!(
        login_html.contains("登录已过期，请重新登录"),
        "{login_html}"
    );

    // The draft is only for a signed-in person.
    let anonymous = browser
        .get(app.url(&format!("/drafts/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let signed_in = browser
        .post(app.url("/login"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("username", "officer"),
            ("password", USER_PASSWORD),
            ("next", &next),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    assert_eq!(
        location(&signed_in),
        next,
        "back to the form's page, not a POST route"
    );
    let back = browser.get(app.url(&next)).send().await.unwrap();
    assert_eq!(back.status(), 200);

    let draft: serde_json::Value = browser
        .get(app.url(&format!("/drafts/{token}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(draft["action"], format!("{page_path}/loan"));
    let fields = draft["fields"].as_array().unwrap();
    assert!(fields.contains(&json!(["purpose", purpose])), "{draft}");
    assert!(fields.contains(&json!(["audience", "85"])), "{draft}");
    assert!(
        !fields.iter().any(|f| f[0] == "csrf"),
        "the stale token is dropped"
    );
    let again = browser
        .get(app.url(&format!("/drafts/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404, "a draft is given out once");
    assert_eq!(
        app.count("SELECT count(*) FROM loans"),
        0,
        "nothing was sent yet"
    );
}

#[tokio::test]
async fn a_post_route_is_never_the_next_page() {
    let app = TestApp::spawn_with_demo().await;
    let anonymous = no_redirects(&app);
    // No Referer, or a foreign one: home, never the POST route itself.
    for referer in [None, Some("http://evil.example/phish?x=1")] {
        let mut post = anonymous
            .post(app.url("/loans/1/renew"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("end=2026-10-01");
        if let Some(referer) = referer {
            post = post.header(header::REFERER, referer);
        }
        let resp = post.send().await.unwrap();
        assert_eq!(resp.status(), 303);
        let next = next_of(&location(&resp));
        assert!(next.starts_with("/?draft=") || next == "/", "{next}");
        assert!(!next.contains("renew") && !next.contains("evil"), "{next}");
    }
    // An oversized form is not kept, and the sign-in still leads to a page.
    let big = format!("feedback={}", encode(&"贪".repeat(40_000)));
    let resp = anonymous
        .post(app.url("/loans/1/report"))
        .header(header::REFERER, app.url("/loans"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(next_of(&location(&resp)), "/loans");
}
