//! Pinyin in the search box over HTTP (issue 20): `GET /api/v1/suggest` answers full
//! pinyin and initials with dictionary terms, words of titles and titles, never one a
//! borrower may not find (a draft, another sector's resource), and hostile input never
//! fails it. In Chromium: typing `bxgd` offers 八项规定, choosing it searches it.

use std::time::Duration;

use serde_json::{Value, json};

use crate::browser::with_browser;
use crate::common::web::encode;
use crate::common::{Session, TestApp, USER_PASSWORD};
use jingshi::accounts::Role;

/// A title shared with the sector of its contributing unit only.
const SECTOR_TITLE: &str = "鸵鸟蛋走私专案通报";
/// A draft's title.
const DRAFT_TITLE: &str = "骆驼草稿内部通报";

async fn suggest(session: &Session, q: &str) -> (u16, Value) {
    session
        .get_json(&format!("/api/v1/suggest?q={}", encode(q)))
        .await
}

/// The suggested titles of `q`.
async fn titles(session: &Session, q: &str) -> Vec<String> {
    let (status, body) = suggest(session, q).await;
    assert_eq!(status, 200, "{q}: {body}");
    body.as_array()
        .expect("an array")
        .iter()
        .map(|s| s["title"].as_str().expect("title").to_owned())
        .collect()
}

/// Polls until `session` is offered `want` for `q` (the index follows the catalogue).
async fn offered(session: &Session, q: &str, want: &str) {
    for _ in 0..200 {
        if titles(session, q).await.iter().any(|t| t == want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{want} never offered for {q}");
}

#[tokio::test]
async fn a_borrower_typing_initials_gets_the_dictionary_term() {
    let app = TestApp::spawn().await;
    let borrower = app.borrower("officer", "kunming-customs").await;
    for q in ["bxgd", "baxiangguiding", "ba xiang", "BAXIANG"] {
        let (status, body) = suggest(&borrower, q).await;
        assert_eq!(status, 200, "{body}");
        let first = &body[0];
        assert_eq!(first["title"], "八项规定", "{q}: {body}");
        assert_eq!(first["kind"], "term", "{q}: {body}");
        assert_eq!(first["id"], "", "{q}: a term is no resource");
    }
    // Chinese as before (titles), plus dictionary terms starting with it.
    assert!(
        titles(&borrower, "八项")
            .await
            .iter()
            .any(|t| t == "八项规定")
    );
}

#[tokio::test]
async fn pinyin_never_offers_what_a_borrower_may_not_find() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (status, body) = admin
        .post_json(
            "/api/v1/units",
            &json!({"code": "yn-audit", "name": "云南省审计厅", "sector": "审计"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let librarian = app.librarian("lib").await;
    let contributor = app.borrower("audit-officer", "yn-audit").await;
    let customs = app.borrower("customs-officer", "kunming-customs").await;

    let (status, body) = contributor
        .post_json(
            "/api/v1/contributions",
            &json!({"kind": "case", "title": SECTOR_TITLE, "share": "sector", "declaration": true}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().expect("id").to_owned();
    let (status, body) = librarian
        .post_json(&format!("/api/v1/resources/{id}/publish"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": "draft-camel", "kind": "case", "title": DRAFT_TITLE,
                    "access": "open", "status": "draft"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    // Those who may find them are offered the titles and their words.
    offered(&contributor, "tuoniaodan", SECTOR_TITLE).await;
    offered(&contributor, "tndzs", SECTOR_TITLE).await;
    offered(&contributor, "tuoniao", "鸵鸟蛋").await;
    offered(&librarian, "luotuo", DRAFT_TITLE).await;
    offered(&librarian, "ltcg", DRAFT_TITLE).await;

    // Another sector's borrower and a borrower on a draft: nothing of them, by title,
    // by initials or by a word only they hold.
    for q in [
        "tuoniaodan",
        "tndzs",
        "tuoniao",
        "tn",
        "luotuo",
        "ltcg",
        "caogao",
        "ltcgnbtb",
    ] {
        for who in [&customs, &contributor] {
            let got = titles(who, q).await;
            for secret in [DRAFT_TITLE, "骆驼", "草稿"] {
                assert!(!got.iter().any(|t| t == secret), "{q}: {secret} in {got:?}");
            }
        }
        let got = titles(&customs, q).await;
        for secret in [SECTOR_TITLE, "鸵鸟蛋", "鸵鸟"] {
            assert!(!got.iter().any(|t| t == secret), "{q}: {secret} in {got:?}");
        }
        let (_, body) = suggest(&customs, q).await;
        assert!(
            !body.to_string().contains(&id),
            "{q}: the resource's id leaked: {body}"
        );
    }
}

#[tokio::test]
async fn hostile_input_never_fails_the_completions() {
    let app = TestApp::spawn().await;
    let borrower = app.borrower("officer", "kunming-customs").await;
    let long = "bxgd".repeat(2_500);
    let inputs = [
        long.as_str(),
        "<script>alert(1)</script>",
        "../../etc/passwd",
        "ba\u{0}xiang\u{1b}[0m",
        "\u{202e}gdxb",
        "ß∂ƒ©˙∆˚¬…😀",
        "'\"%00%ff",
        "\u{fffd}\u{fffd}",
    ];
    for q in inputs {
        let (status, body) = suggest(&borrower, q).await;
        assert!(status == 200 || status == 400, "{q:.40}: {status} {body}");
        if status == 200 {
            assert!(body.as_array().is_some_and(|a| a.len() <= 8), "{body}");
        } else {
            let message = body["error"]["message"].as_str().unwrap_or("");
            assert!(!message.is_empty(), "a message: {body}");
        }
    }
    // The oversized input is cut, not refused: its start still completes.
    let (status, body) = suggest(&borrower, &long).await;
    assert_eq!(status, 200, "{body}");
    // Raw control bytes and invalid UTF-8 in the query string.
    for raw in [
        "/api/v1/suggest?q=%FF%FE",
        "/api/v1/suggest?q=%00%01",
        "/api/v1/suggest?q=%",
    ] {
        let (status, body) = borrower.get_json(raw).await;
        assert!(status == 200 || status == 400, "{raw}: {status} {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_initials_in_the_search_box_offers_and_searches_the_term() {
    let app = TestApp::spawn_with_demo().await;
    app.add_user("officer", &[Role::Borrower], Some("yn-tax"));
    with_browser(app, |b, app| async move {
        b.sign_in(&app, "officer", USER_PASSWORD).await;
        for (width, height, name) in [(1280, 900, "desktop"), (390, 844, "phone")] {
            b.client
                .set_window_size(width, height)
                .await
                .expect("resize");
            b.goto(&app, "/").await;
            b.type_into("#q", "bxgd").await;
            let first = b
                .wait_js(
                    "const li = document.querySelector('#q-suggestions li');\
                     return li && !document.getElementById('q-suggestions').hidden \
                       ? li.textContent : ''",
                    "pinyin completions",
                    30,
                )
                .await;
            assert!(
                first.as_str().unwrap_or("").starts_with("八项规定"),
                "{first}"
            );
            let expanded = b
                .js("return document.getElementById('q').getAttribute('aria-expanded')")
                .await;
            assert_eq!(expanded, "true");
            b.screenshot(&format!("pinyin-suggest-{name}")).await;
            if name == "desktop" {
                // By keyboard: down to the first, Enter.
                b.js("const q = document.getElementById('q');\
                      for (const key of ['ArrowDown', 'Enter']) \
                        q.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true}));")
                    .await;
            } else {
                b.click("#q-suggestions li").await;
            }
            let path = b.wait_path("/search?q=").await;
            assert!(path.contains(&encode("八项规定")), "{path}");
            let value = b.js("return document.getElementById('q').value").await;
            assert_eq!(value, "八项规定");
            b.screenshot(&format!("pinyin-searched-{name}")).await;
        }
        b.assert_console_clean("pinyin completions", &[]).await;
    })
    .await;
}
