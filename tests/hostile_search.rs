//! What search reveals of loan-only resources (issue 14): a borrower whose unit cannot
//! open one sees the hit, its title, summary and metadata, how often the words occur in
//! its body and the time codes of its subtitle matches — never body or cue text. A
//! unit with an active loan and librarians see snippets as before. Over the API, the
//! search page and the home page, also with hostile queries.
//!
//! Figure: `cargo test --test integration hostile_search -- --nocapture` prints the
//! characters of loan-only body text a borrower without a loan receives for `备付资金`.
//!
//! Over 400 lines on purpose: one capability (what search reveals), seen by each kind of
//! viewer, through each front end and the domain function, sharing its fixtures.

use jingshi::access;
use jingshi::accounts::{Role, SessionUser};
use jingshi::search::SearchRequest;
use serde_json::{Value, json};

use crate::common::lending::{MONDAY, approved, day};
use crate::common::web::{encode, page, upload};
use crate::common::{Session, TestApp, repo_root};

/// The demo's loan-only bulletin whose body (not its summary) mentions 备付资金.
const BULLETIN: &str = "demo-bank-loan-case";
/// The demo's loan-only film whose subtitles (not its summary) mention 工程老板.
const FILM: &str = "demo-video-banquet";

/// `html` as text: without `<mark>` tags, entities decoded, without the ellipses a
/// snippet is cut with.
fn plain(html: &str) -> String {
    html.replace("<mark>", "")
        .replace("</mark>", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .replace('…', "")
}

/// Characters of a hit that can only come from the resource's content: its snippet
/// when that is not part of the title or summary, and its cue texts.
fn content_chars(hit: &Value, title: &str, summary: &str) -> usize {
    let snippet = plain(hit["snippet"].as_str().unwrap_or_default());
    let from_snippet =
        if snippet.is_empty() || summary.contains(&snippet) || title.contains(&snippet) {
            0
        } else {
            snippet.chars().count()
        };
    let from_cues: usize = hit["cues"]
        .as_array()
        .map(|cues| {
            cues.iter()
                .map(|c| {
                    plain(c["text"].as_str().unwrap_or_default())
                        .chars()
                        .count()
                })
                .sum()
        })
        .unwrap_or(0);
    from_snippet + from_cues
}

/// The demo manifest's entry for `id`.
fn demo_entry(id: &str) -> Value {
    let manifest = std::fs::read_to_string(repo_root().join("content/demo/manifest.json")).unwrap();
    let manifest: Value = serde_json::from_str(&manifest).unwrap();
    manifest["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()
        .clone()
}

/// Characters of loan-only content in a search answer, over its loan-only hits.
fn loan_only_content_chars(body: &Value) -> usize {
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["access"] == "loan" && h["id"].as_str().unwrap().starts_with("demo-"))
        .map(|h| {
            let entry = demo_entry(h["id"].as_str().unwrap());
            content_chars(
                h,
                entry["title"].as_str().unwrap_or_default(),
                entry["summary"].as_str().unwrap_or_default(),
            )
        })
        .sum()
}

fn hit<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == id)
        .unwrap_or_else(|| panic!("{id} is not among the hits: {body}"))
}

async fn search(session: &Session, q: &str) -> Value {
    let (status, body) = session
        .get_json(&format!("/api/v1/search?q={}&per_page=100", encode(q)))
        .await;
    assert_eq!(status, 200, "{q}: {body}");
    body
}

/// How often `word` occurs in the bulletin's document.
fn body_occurrences(word: &str) -> usize {
    std::fs::read_to_string(repo_root().join("content/demo/files/bank-loan-case.md"))
        .unwrap()
        .matches(word)
        .count()
}

#[tokio::test]
async fn a_borrower_without_a_loan_gets_no_body_text_only_the_count_and_cue_times() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let borrower = app.borrower("officer", "yn-tax").await;

    let body = search(&borrower, "备付资金").await;
    let leaked = loan_only_content_chars(&body);
    println!(
        "loan-only body characters a borrower without a loan receives for q=备付资金: {leaked}"
    );
    let bulletin = hit(&body, BULLETIN);
    assert_eq!(leaked, 0, "{bulletin}");
    assert_eq!(bulletin["title"], demo_entry(BULLETIN)["title"]);
    assert_eq!(bulletin["locked"], true, "{bulletin}");
    let count = body_occurrences("备付资金");
    assert!(count >= 1);
    assert_eq!(bulletin["body_matches"], count, "{bulletin}");
    assert_eq!(
        bulletin["locked_note"],
        format!("正文中有 {count} 处匹配（借阅后可查看）")
    );
    // The snippet is the summary's beginning, not a passage of the body.
    let summary = demo_entry(BULLETIN)["summary"].as_str().unwrap().to_owned();
    assert!(
        summary.starts_with(plain(bulletin["snippet"].as_str().unwrap()).as_str()),
        "{bulletin}"
    );

    let (status, html) = page(&borrower, &format!("/search?q={}", encode("备付资金"))).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("正文中有 {count} 处匹配（借阅后可查看）")),
        "{html}"
    );
    assert!(!html.contains("<mark>备付资金</mark>"), "{html}");
    assert!(!html.contains("代理业务资金"), "{html}");

    // A subtitle match: its moment, not its words.
    let body = search(&borrower, "工程老板").await;
    let film = hit(&body, FILM);
    assert_eq!(loan_only_content_chars(&body), 0, "{film}");
    let cues = film["cues"].as_array().unwrap();
    assert_eq!(cues.len(), 1, "{film}");
    assert_eq!(cues[0]["start"], 16.0);
    assert_eq!(cues[0]["text"], "", "{film}");
    let (status, html) = page(&borrower, &format!("/search?q={}", encode("工程老板"))).await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("/resources/{FILM}?t=16")), "{html}");
    assert!(!html.contains("工程老板买单"), "{html}");
    assert!(!html.contains("<mark>工程老板</mark>"), "{html}");
}

#[tokio::test]
async fn a_unit_with_an_active_loan_and_librarians_see_snippets_other_units_still_do_not() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("desk").await;
    let lending = app.borrower("officer-finance", "yn-finance").await;
    let other = app.borrower("officer-tax", "yn-tax").await;
    // Asked before any loan, so that a cached answer would be the locked one...
    assert_eq!(
        hit(&search(&other, "备付资金").await, BULLETIN)["locked"],
        true
    );
    for id in [BULLETIN, FILM] {
        let loan = approved(&librarian, &lending, id, "digital", &day(0), &day(6)).await;
        assert_eq!(loan["status"], "active", "{loan}");
    }

    for viewer in [&lending, &librarian] {
        let body = search(viewer, "备付资金").await;
        let bulletin = hit(&body, BULLETIN);
        assert_eq!(bulletin["locked"], false, "{bulletin}");
        assert!(
            bulletin["snippet"]
                .as_str()
                .unwrap()
                .contains("<mark>备付资金</mark>"),
            "{bulletin}"
        );
        assert!(bulletin["locked_note"].is_null(), "{bulletin}");
        let body = search(viewer, "工程老板").await;
        let cue = &hit(&body, FILM)["cues"][0];
        assert!(
            cue["text"]
                .as_str()
                .unwrap()
                .contains("<mark>工程老板</mark>"),
            "{cue}"
        );
        let (_, html) = page(viewer, &format!("/search?q={}", encode("备付资金"))).await;
        assert!(html.contains("<mark>备付资金</mark>"), "{html}");
        assert!(!html.contains("借阅后可查看）"), "{html}");
    }
    // ...and after: one unit's loan opens nothing to another unit.
    let body = search(&other, "备付资金").await;
    assert_eq!(loan_only_content_chars(&body), 0, "{body}");
    assert_eq!(hit(&body, BULLETIN)["locked"], true);
    let (_, html) = page(&other, &format!("/search?q={}", encode("工程老板"))).await;
    assert!(!html.contains("工程老板买单"), "{html}");

    // The loan ends (a period ending on a closed day runs to the next open one): the
    // unit's snippets close again.
    app.state
        .clock
        .set_date(MONDAY.checked_add(jiff::Span::new().days(14)).unwrap());
    app.sweep();
    let body = search(&lending, "备付资金").await;
    assert_eq!(hit(&body, BULLETIN)["locked"], true, "{body}");
    assert_eq!(loan_only_content_chars(&body), 0, "{body}");
}

/// A published loan-only resource without a summary, whose document says `sentence`.
async fn summaryless_loan_resource(librarian: &Session, id: &str, sentence: &str) {
    let (status, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": id, "kind": "case", "title": "无摘要的借阅通报",
                    "summary": "", "access": "loan", "status": "published",
                    "date": "2099-01-01"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let text = format!("{sentence}\n");
    let (status, body) = upload(librarian, id, "case.md", text.into_bytes()).await;
    assert_eq!(status, 201, "{body}");
}

/// Waits until a librarian's search for `q` finds `id` (drafts included).
async fn indexed(librarian: &Session, q: &str, id: &str) {
    for _ in 0..600 {
        let (_, body) = librarian
            .get_json(&format!(
                "/api/v1/search?q={}&include_unpublished=true",
                encode(q)
            ))
            .await;
        if body["hits"]
            .as_array()
            .is_some_and(|h| h.iter().any(|h| h["id"] == id))
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{id} was not indexed");
}

#[tokio::test]
async fn listings_without_words_and_the_home_page_show_no_body_of_a_loan_only_resource() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("desk").await;
    let borrower = app.borrower("officer", "yn-tax").await;
    let sentence = "机密正文第一句：某处长收受购物卡三十张";
    summaryless_loan_resource(&librarian, "quiet-case", sentence).await;
    indexed(&librarian, "购物卡三十张", "quiet-case").await;

    // Newest first, and the resource is dated 2099: first on the home page and in the
    // listing of everything.
    let (_, listing) = borrower.get_json("/api/v1/search?sort=newest").await;
    let first = &listing["hits"][0];
    assert_eq!(first["id"], "quiet-case", "{listing}");
    assert!(
        !first["snippet"].as_str().unwrap().contains("机密正文"),
        "{first}"
    );
    let (status, html) = page(&borrower, "/").await;
    assert_eq!(status, 200);
    assert!(html.contains("无摘要的借阅通报"), "{html}");
    assert!(!html.contains("机密正文"), "{html}");
    let (_, html) = page(&borrower, "/search").await;
    assert!(!html.contains("机密正文"), "{html}");
    // The librarian reads it.
    let (_, html) = page(&librarian, "/").await;
    assert!(html.contains("机密正文"), "{html}");
}

#[tokio::test]
async fn hostile_queries_stay_escaped_bounded_and_reveal_no_body() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let borrower = app.borrower("officer", "yn-tax").await;
    for q in [
        "<script>alert(1)</script> 备付资金",
        "\"备付资金\" -<img src=x>",
        "备付资金 代理业务 不存在的词语甲乙丙",
        "备付资金 备付资金 备付资金 备付资金 备付资金",
        "&lt;mark&gt;备付资金",
    ] {
        let (status, body) = borrower
            .get_json(&format!("/api/v1/search?q={}", encode(q)))
            .await;
        assert_eq!(status, 200, "{q}: {body}");
        let text = body.to_string();
        assert!(
            !text.contains("<script") && !text.contains("<img"),
            "{q}: {text}"
        );
        assert_eq!(loan_only_content_chars(&body), 0, "{q}: {body}");
        let (status, html) = page(&borrower, &format!("/search?q={}", encode(q))).await;
        assert_eq!(status, 200, "{q}");
        assert!(
            !html.contains("<script>alert") && !html.contains("<img src=x"),
            "{q}"
        );
        assert!(!html.contains("代理业务资金"), "{q}: {html}");
    }
    // Too long: a 400 that says so, on the API and on the page.
    let long = "备付资金".repeat(1_000);
    let (status, body) = borrower
        .get_json(&format!("/api/v1/search?q={}", encode(&long)))
        .await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("检索式过长"), "{message}");
    let (status, html) = page(&borrower, &format!("/search?q={}", encode(&long))).await;
    assert_eq!(status, 400);
    assert!(html.contains(message), "{html}");
    assert!(!html.contains("代理业务资金"));

    // The librarian-only switch does nothing for a borrower: a draft stays unknown.
    let librarian = app.librarian("desk").await;
    let (status, _) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": "draft-case", "kind": "case", "title": "草稿通报备付资金",
                    "access": "loan", "status": "draft"}),
        )
        .await;
    assert_eq!(status, 201);
    indexed(&librarian, "草稿通报", "draft-case").await;
    let (_, body) = borrower
        .get_json(&format!(
            "/api/v1/search?q={}&include_unpublished=true",
            encode("备付资金")
        ))
        .await;
    assert!(!body.to_string().contains("draft-case"), "{body}");
}

fn viewer(roles: &[Role], unit: Option<&str>) -> SessionUser {
    crate::common::session_user(1, "viewer", roles, unit)
}

#[tokio::test]
async fn the_domain_function_opens_only_the_hits_the_viewer_may_read() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("desk").await;
    let lending = app.borrower("officer-finance", "yn-finance").await;
    approved(&librarian, &lending, BULLETIN, "digital", &day(0), &day(6)).await;

    let conn = app.state.db.get().unwrap();
    let at = app.state.clock.moment();
    for (who, user, opens) in [
        (
            "a borrower of another unit",
            viewer(&[Role::Borrower], Some("yn-tax")),
            false,
        ),
        (
            "a borrower without a unit",
            viewer(&[Role::Borrower], None),
            false,
        ),
        (
            "a borrower of the lending unit",
            viewer(&[Role::Borrower], Some("yn-finance")),
            true,
        ),
        ("a librarian", viewer(&[Role::Librarian], None), true),
    ] {
        // The index answers locked for everyone: a caller that forgets the gate shows
        // too little.
        let mut results = app
            .state
            .search
            .search(&SearchRequest::query("备付资金"))
            .unwrap();
        let answered = results.hits.iter().find(|h| h.id == BULLETIN).unwrap();
        assert!(
            answered.locked && !answered.snippet.contains("<mark>"),
            "{answered:?}"
        );
        access::reveal_readable_hits(&conn, &user, &mut results, at).unwrap();
        let hit = results.hits.iter().find(|h| h.id == BULLETIN).unwrap();
        assert_eq!(hit.locked, !opens, "{who}: {hit:?}");
        assert_eq!(
            hit.snippet.contains("<mark>备付资金</mark>"),
            opens,
            "{who}: {hit:?}"
        );
        assert_eq!(hit.locked_note.is_some(), !opens, "{who}");
        // Open resources are never locked.
        assert!(
            results
                .hits
                .iter()
                .filter(|h| h.access == "open")
                .all(|h| !h.locked)
        );
    }
}
