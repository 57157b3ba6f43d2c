//! `GET /feeds/{token}.atom` (SPEC §10): an account's whole-library feed and each
//! saved search's feed, fetched without a cookie and read with an independent
//! parser (feed-rs). Only what the account may see; a replaced address is gone; a
//! hostile address is simply not found.

use feed_rs::model::{Feed, FeedType};
use serde_json::json;

use crate::common::admin::post_with_token;
use crate::common::web::signed_in_no_redirects;
use crate::common::{Session, TestApp, USER_PASSWORD};

/// Fetches `url` as a feed reader would: no cookie, no Origin.
async fn fetch(url: &str) -> (u16, String, String, String) {
    let resp = reqwest::Client::new().get(url).send().await.unwrap();
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (kind, cache) = (header("content-type"), header("cache-control"));
    (status, kind, cache, resp.text().await.unwrap())
}

/// The feed at `url`, checked to be Atom and parsed by feed-rs.
async fn read_feed(url: &str) -> Feed {
    let (status, kind, cache, body) = fetch(url).await;
    assert_eq!(status, 200, "{url}: {body}");
    assert_eq!(kind, "application/atom+xml; charset=utf-8");
    assert!(cache.starts_with("private"), "{cache}");
    assert!(
        body.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\""),
        "{body}"
    );
    let feed = feed_rs::parser::parse(body.as_bytes()).expect("valid Atom");
    assert_eq!(feed.feed_type, FeedType::Atom);
    feed
}

fn entry_ids(feed: &Feed) -> Vec<String> {
    feed.entries.iter().map(|e| e.id.clone()).collect()
}

async fn case(librarian: &Session, id: &str, title: &str, status: &str) {
    let (code, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": id, "kind": "case", "title": title, "access": "open",
                    "status": status, "summary": "某局干部违纪问题通报。"}),
        )
        .await;
    assert_eq!(code, 201, "{body}");
}

async fn library_url(session: &Session) -> String {
    let (status, body) = session.get_json("/api/v1/feeds/library").await;
    assert_eq!(status, 200, "{body}");
    body["url"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_feed_lists_the_newest_resources_its_owner_may_see() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    let contributor = app.borrower("tax-officer", "yn-tax").await;
    let customs = app.borrower("customs-officer", "kunming-customs").await;
    case(&librarian, "feed-a", "节日期间违规收受月饼案", "published").await;
    case(&librarian, "feed-b", "公款购买月饼问题通报", "published").await;
    case(&librarian, "feed-draft", "未发布的草稿", "draft").await;
    let (status, body) = contributor
        .post_json(
            "/api/v1/contributions",
            &json!({"kind": "case", "title": "仅供工委的投稿", "summary": "违规收受礼金案件通报（虚构示例）。",
                    "access": "open", "share": "committee", "declaration": true}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let committee = body["id"].as_str().unwrap().to_owned();
    let (status, body) = librarian
        .post_json(
            &format!("/api/v1/resources/{committee}/publish"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let url = library_url(&customs).await;
    assert!(url.starts_with(&app.url("/feeds/")), "{url}");
    assert_eq!(library_url(&customs).await, url, "kept until replaced");
    let feed = read_feed(&url).await;
    assert_eq!(
        feed.title.as_ref().unwrap().content,
        "警示教育资源库 · 新资源"
    );
    assert!(feed.updated.is_some());
    assert!(!feed.authors.is_empty());
    let self_link = feed
        .links
        .iter()
        .find(|l| l.rel.as_deref() == Some("self"))
        .expect("rel=self");
    assert_eq!(self_link.href, url);
    let ids = entry_ids(&feed);
    assert!(
        ids.contains(&"urn:jingshi:resource:feed-a".to_owned()),
        "{ids:?}"
    );
    assert!(ids.contains(&"urn:jingshi:resource:feed-b".to_owned()));
    assert!(
        !ids.iter().any(|id| id.ends_with("feed-draft")),
        "never a draft"
    );
    assert!(
        !ids.iter().any(|id| id.ends_with(&committee)),
        "never another unit's contribution outside its scope"
    );
    let entry = feed
        .entries
        .iter()
        .find(|e| e.id.ends_with("feed-a"))
        .unwrap();
    assert_eq!(
        entry.title.as_ref().unwrap().content,
        "节日期间违规收受月饼案"
    );
    assert_eq!(entry.links[0].href, app.url("/resources/feed-a"));
    assert!(entry.updated.is_some() && entry.published.is_some());
    let summary = &entry.summary.as_ref().unwrap().content;
    assert!(summary.starts_with("典型案例通报 · 某局干部"), "{summary}");

    // The librarian's feed has the committee's contribution too.
    let feed = read_feed(&library_url(&librarian).await).await;
    assert!(entry_ids(&feed).iter().any(|id| id.ends_with(&committee)));
    // And the contributing unit's own.
    let feed = read_feed(&library_url(&contributor).await).await;
    assert!(entry_ids(&feed).iter().any(|id| id.ends_with(&committee)));

    // A withdrawn resource leaves the feed.
    let (status, _) = librarian
        .post_json("/api/v1/resources/feed-a/withdraw", &json!({}))
        .await;
    assert_eq!(status, 200);
    let feed = read_feed(&url).await;
    assert!(!entry_ids(&feed).iter().any(|id| id.ends_with("feed-a")));

    // A disabled account's feeds are gone.
    app.state
        .db
        .get()
        .unwrap()
        .execute(
            "UPDATE users SET active = 0 WHERE username = 'customs-officer'",
            [],
        )
        .unwrap();
    assert_eq!(fetch(&url).await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_search_feed_lists_its_matches_and_a_replaced_address_is_gone() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    app.add_user(
        "tax-officer",
        &[jingshi::accounts::Role::Borrower],
        Some("yn-tax"),
    );
    let tax = signed_in_no_redirects(&app, "tax-officer", USER_PASSWORD).await;
    let (status, body) = tax
        .post_json(
            "/api/v1/saved-searches",
            &json!({"name": "月饼 <礼盒>", "query": "q=月饼"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (id, old) = (
        body["id"].as_i64().unwrap(),
        body["feed_url"].as_str().unwrap().to_owned(),
    );
    let feed = read_feed(&old).await;
    assert!(feed.entries.is_empty(), "nothing yet");
    assert_eq!(
        feed.title.as_ref().unwrap().content,
        "订阅搜索：月饼 <礼盒>"
    );

    case(&librarian, "match-1", "违规收受月饼礼盒案", "published").await;
    case(&librarian, "other-1", "公车私用问题", "published").await;
    case(&librarian, "match-2", "公款购买月饼案", "published").await;
    let feed = read_feed(&old).await;
    assert_eq!(
        entry_ids(&feed),
        [
            "urn:jingshi:resource:match-2",
            "urn:jingshi:resource:match-1"
        ],
        "its matches, newest first"
    );
    // Escaped in the XML, read back as text.
    let (_, _, _, raw) = fetch(&old).await;
    assert!(raw.contains("月饼 &lt;礼盒&gt;"), "{raw}");

    // Replaced over the API: the old address is not found, in Chinese.
    let (status, body) = tax
        .post_json(&format!("/api/v1/saved-searches/{id}/rotate"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let new = body["feed_url"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    let (status, _, _, body) = fetch(&old).await;
    assert_eq!(status, 404);
    assert!(body.contains("没有这个订阅源地址，或地址已更换"), "{body}");
    assert_eq!(entry_ids(&read_feed(&new).await).len(), 2);

    // Replaced from the page: the same.
    let (status, _, _) = post_with_token(&tax, &format!("/searches/{id}/rotate"), &[]).await;
    assert_eq!(status, 303);
    assert_eq!(fetch(&new).await.0, 404);
    let library = library_url(&tax).await;
    let (status, _, _) = post_with_token(&tax, "/searches/feed/rotate", &[]).await;
    assert_eq!(status, 303);
    assert_eq!(fetch(&library).await.0, 404);
    assert_ne!(library_url(&tax).await, library);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'search_feed_rotated'"),
        3
    );
    // Deleting the saved search deletes its feed.
    let newest = tax
        .get_json(&format!("/api/v1/saved-searches/{id}"))
        .await
        .1["feed_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(fetch(&newest).await.0, 200);
    assert_eq!(crate::saved_searches::delete(&tax, id).await, 204);
    assert_eq!(fetch(&newest).await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_feed_addresses_are_simply_not_found() {
    let app = TestApp::spawn().await;
    let tax = app.borrower("tax-officer", "yn-tax").await;
    let url = library_url(&tax).await;
    let token = url
        .rsplit('/')
        .next()
        .unwrap()
        .strip_suffix(".atom")
        .unwrap()
        .to_owned();
    let unknown = "0".repeat(64);
    let long = "a".repeat(4000);
    for path in [
        format!("/feeds/{unknown}.atom"),
        format!("/feeds/{token}"),
        format!("/feeds/{token}.ics"),
        format!("/feeds/{}.atom", token.to_uppercase().replace('A', "G")),
        "/feeds/..%2F..%2Fetc%2Fpasswd.atom".to_owned(),
        "/feeds/%2E%2E%2Fx.atom".to_owned(),
        "/feeds/%3Cscript%3Ealert(1)%3C%2Fscript%3E.atom".to_owned(),
        format!("/feeds/{long}.atom"),
        format!("/feeds/{token}%00.atom"),
        "/feeds/.atom".to_owned(),
    ] {
        let (status, _, _, body) = fetch(&app.url(&path)).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(!body.contains("<script>"), "{path}: {body}");
    }
    // A traversal the client sends raw reaches no file either.
    let raw = app.url("/feeds/../x.atom");
    assert_eq!(fetch(&raw).await.0, 404);
    // The real one still answers.
    assert_eq!(fetch(&url).await.0, 200);
}
