//! Copies and editions over HTTP (issue 20): two resources with one title and one text
//! are one hit with the other listed; textbooks of one title and other dates are one hit
//! under the newest with the others listed; what a borrower may not find (a draft) is
//! never among them; the librarian's catalogue list shows every resource; the search
//! page shows the lists as links, titles escaped. Also in Chromium at desktop and phone
//! width (`target/screenshots/search-groups-*.png`).

use std::time::{Duration, Instant};

use jingshi::accounts::Role;
use serde_json::{Value, json};

use crate::browser::with_browser;
use crate::common::web::{encode, page, upload};
use crate::common::{Session, TestApp, USER_PASSWORD};

const COLUMN: &str = "网言网语丨分组<script>alert(1)</script>过佳节";
const INTERPRETATION: &str = "关于适用《分组测试法》的解释";

/// A long text with `marker` in it, different for each `variant`.
fn text(marker: &str, variant: &str) -> String {
    format!(
        "{marker}。{}",
        format!(
            "{variant}：严防节日腐败，紧盯违规收送礼品礼金和公款吃喝问题，营造风清气正的节日氛围。"
        )
        .repeat(6)
    )
}

/// Creates a resource through the API and gives it `body` as its text file.
async fn made(
    librarian: &Session,
    id: &str,
    kind: &str,
    title: &str,
    date: &str,
    status: &str,
    body: &str,
) {
    let (code, answer) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": id, "kind": kind, "title": title, "date": date,
                    "status": status, "access": "open"}),
        )
        .await;
    assert_eq!(code, 201, "{answer}");
    let (code, file) = upload(librarian, id, "正文.txt", body.as_bytes().to_vec()).await;
    assert_eq!(code, 201, "{file}");
}

/// Two published copies and a draft copy of a column article, the same column's other
/// article, and three editions of an interpretation (the newest a draft).
async fn scene(app: &TestApp) -> Session {
    let lib = app.librarian("group-lib").await;
    let copy = text("分组测试甲", "甲");
    made(
        &lib,
        "copy-a",
        "case",
        COLUMN,
        "2023-09-28",
        "published",
        &copy,
    )
    .await;
    made(
        &lib,
        "copy-b",
        "case",
        COLUMN,
        "2023-09-28",
        "published",
        &copy,
    )
    .await;
    made(
        &lib,
        "copy-draft",
        "case",
        COLUMN,
        "2023-09-28",
        "draft",
        &copy,
    )
    .await;
    let other = format!(
        "分组测试甲。{}",
        "某市纪委监委通报三起违反中央八项规定精神典型问题，涉及违规发放津贴补贴、借培训之名公款旅游。"
            .repeat(3)
    );
    made(
        &lib,
        "other-year",
        "case",
        COLUMN,
        "2024-02-06",
        "published",
        &other,
    )
    .await;
    for (id, date, status) in [
        ("ed-2012", "2012-12-20", "published"),
        ("ed-2021", "2021-01-26", "published"),
        ("ed-draft", "2024-01-01", "draft"),
    ] {
        let body = text("分组测试乙", &format!("{date} 版条文"));
        made(&lib, id, "textbook", INTERPRETATION, date, status, &body).await;
    }
    lib
}

/// Every resource a hit stands for.
fn members(hit: &Value) -> Vec<String> {
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let mut out = vec![id(hit)];
    out.extend(hit["duplicates"].as_array().unwrap().iter().map(id));
    for e in hit["editions"].as_array().unwrap() {
        out.push(id(e));
        out.extend(e["duplicates"].as_array().unwrap().iter().map(id));
    }
    out
}

/// Searches until the answer stands for `count` resources (new files reach the index
/// within moments).
async fn until_members(session: &Session, query: &str, count: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = session.get_json(&format!("/api/v1/search?{query}")).await;
        assert_eq!(status, 200, "{body}");
        let n: usize = body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| members(h).len())
            .sum();
        if n == count {
            return body;
        }
        assert!(Instant::now() < deadline, "{query}: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn hit<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == id)
        .unwrap_or_else(|| panic!("{id} is no hit: {body}"))
}

#[tokio::test]
async fn copies_and_editions_are_one_hit_each_with_the_others_reachable() {
    let app = TestApp::spawn().await;
    let lib = scene(&app).await;
    let officer = app.borrower("group-officer", "yn-tax").await;

    // The borrower: the two published copies are one hit, the draft copy is nowhere.
    let body = until_members(&officer, &format!("q={}", encode("分组测试甲")), 3).await;
    assert_eq!(body["total"], 2, "{body}");
    let copies = body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] != "other-year")
        .unwrap();
    let mut pair = members(copies);
    pair.sort();
    assert_eq!(pair, ["copy-a", "copy-b"]);
    assert_eq!(copies["duplicates"][0]["title"], COLUMN);
    assert_eq!(copies["editions"], json!([]));
    let other = hit(&body, "other-year");
    assert_eq!(other["duplicates"], json!([]));
    assert_eq!(body["facets"]["kind"]["case"], 2);

    // Editions: the newest the borrower may find, with the older one listed.
    let body = until_members(&officer, &format!("q={}", encode("分组测试乙")), 2).await;
    assert_eq!(body["total"], 1, "{body}");
    let head = hit(&body, "ed-2021");
    assert_eq!(head["edition"], "2021-01-26");
    assert_eq!(
        head["editions"],
        json!([{"id": "ed-2012", "title": INTERPRETATION, "date": "2012-12-20", "duplicates": []}])
    );
    assert_eq!(body["facets"]["kind"]["textbook"], 1);
    assert_eq!(body["facets"]["year"], json!({"2012": 1, "2021": 1}));

    // Both words: three groups, counted once each.
    let body = until_members(&officer, &format!("q={}", encode("分组测试")), 5).await;
    assert_eq!(body["total"], 3, "{body}");
    let all: Vec<String> = body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(members)
        .collect();
    assert!(!all.iter().any(|id| id.contains("draft")), "{all:?}");

    // The librarian with drafts: the draft edition is the newest, the draft copy a copy.
    let query = format!("q={}&include_unpublished=true", encode("分组测试"));
    let body = until_members(&lib, &query, 7).await;
    assert_eq!(body["total"], 3, "{body}");
    let head = hit(&body, "ed-draft");
    let dates: Vec<&str> = head["editions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2021-01-26", "2012-12-20"]);

    // The new fields are described (under names no other schema uses).
    let (status, doc) = lib.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let schemas = &doc["components"]["schemas"];
    for field in ["duplicates", "editions", "edition"] {
        assert!(
            schemas["Hit"]["properties"][field].is_object(),
            "Hit.{field}"
        );
    }
    assert!(schemas["HitDuplicate"]["properties"]["title"].is_object());
    assert!(schemas["HitEdition"]["properties"]["date"].is_object());

    // The catalogue list shows every resource, copies and editions included.
    let (status, html) = page(&lib, &format!("/librarian/?q={}", encode("分组测试"))).await;
    assert_eq!(status, 200);
    let listed = html.matches("name=\"ids\" value=\"").count();
    assert_eq!(listed, 7, "the catalogue list hides resources");
    for id in [
        "copy-a",
        "copy-b",
        "copy-draft",
        "ed-2012",
        "ed-2021",
        "ed-draft",
    ] {
        assert!(html.contains(&format!("value=\"{id}\"")), "{id} missing");
    }
}

#[tokio::test]
async fn the_search_page_links_copies_and_editions_with_titles_escaped() {
    let app = TestApp::spawn().await;
    let _lib = scene(&app).await;
    let officer = app.borrower("group-reader", "yn-tax").await;
    until_members(&officer, &format!("q={}", encode("分组测试")), 5).await;

    let (status, html) = page(&officer, &format!("/search?q={}", encode("分组测试"))).await;
    assert_eq!(status, 200);
    assert!(html.contains("另有 1 篇相同内容："), "{html}");
    assert!(html.contains("其他版本："));
    assert!(html.contains("本版 2021-01-26"));
    assert!(html.contains("href=\"/resources/ed-2012\""));
    assert!(html.contains(">2012-12-20</a>"));
    assert!(
        html.contains("href=\"/resources/copy-a\"") && html.contains("href=\"/resources/copy-b\"")
    );
    assert!(!html.contains("copy-draft") && !html.contains("ed-draft"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>alert(1)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grouped_hit_reads_well_at_desktop_and_phone_width() {
    let app = TestApp::spawn().await;
    let lib = app.librarian("group-shot-lib").await;
    for (id, date) in [
        ("shot-2012", "2012-12-20"),
        ("shot-2021", "2021-01-26"),
        ("shot-2018", "2018-01-01"),
    ] {
        let body = text("刑事诉讼法解释", &format!("{date} 版条文"));
        made(
            &lib,
            id,
            "textbook",
            "最高人民法院关于适用《中华人民共和国刑事诉讼法》的解释",
            date,
            "published",
            &body,
        )
        .await;
    }
    let copy = text("风清气正过佳节", "网言网语");
    for id in ["shot-copy-a", "shot-copy-b"] {
        made(
            &lib,
            id,
            "case",
            "网言网语丨风清气正过佳节",
            "2023-09-28",
            "published",
            &copy,
        )
        .await;
    }
    app.add_user("group-shot-officer", &[Role::Borrower], Some("yn-tax"));
    let officer = app.borrower("group-shot-probe", "yn-tax").await;
    // Every text says 风清气正: one page holds both groups.
    until_members(&officer, &format!("q={}", encode("风清气正")), 5).await;
    with_browser(app, |b, app| async move {
        b.sign_in(&app, "group-shot-officer", USER_PASSWORD).await;
        b.goto(&app, &format!("/search?q={}", encode("风清气正"))).await;
        let groups = b
            .js("return [...document.querySelectorAll('.hit .hit-group')].map(p => p.textContent.trim())")
            .await;
        let groups: Vec<&str> = groups
            .as_array()
            .expect("groups")
            .iter()
            .map(|g| g.as_str().unwrap_or(""))
            .collect();
        assert_eq!(groups.len(), 2, "{groups:?}");
        assert!(groups.iter().any(|g| g.starts_with("另有 1 篇相同内容：")), "{groups:?}");
        assert!(
            groups
                .iter()
                .any(|g| g.contains("本版 2021-01-26") && g.contains("其他版本：2018-01-01、2012-12-20")),
            "{groups:?}"
        );
        b.screenshot_page("search-groups-desktop").await;
        b.client.set_window_size(390, 844).await.expect("phone");
        let overflow = b
            .js("return document.documentElement.scrollWidth > window.innerWidth + 1")
            .await;
        assert_eq!(overflow, false, "sideways scrolling on a phone");
        b.js("document.querySelector('.hit-group.editions')?.scrollIntoView({block: 'center'})")
            .await;
        b.screenshot("search-groups-phone").await;
        b.client.set_window_size(1280, 900).await.expect("desktop");
        // Following an edition's link opens that edition.
        b.click(".hit-group.editions a[href='/resources/shot-2012']").await;
        b.wait_path("/resources/shot-2012").await;
    })
    .await;
}
