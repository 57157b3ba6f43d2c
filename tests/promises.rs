//! Issue 12, "a test for every promise" (SPEC §2–4, §7), each met over HTTP the way a
//! user meets it: withdrawing hides a resource from borrowers everywhere, disabled
//! accounts and reset passwords, the audit row of a document shown inline, and sign-in
//! in front of every page and API route. The search promises (fields, filters, sorts,
//! facets, the rebuilt index) are in `search_promises`.
//!
//! The search index follows the catalogue's change log (`indexer::follow`, every
//! 200 ms): an edit is searchable shortly after it commits, so new material is polled
//! for with [`Deadline`]. Publish and withdraw reach the index before they answer, so
//! a withdrawn resource is checked gone everywhere at once.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::web::{encode, no_redirects, page};
use crate::common::{Session, TestApp, client_for};

/// A bound on waiting for the index: generous, because a loaded 2-core machine may
/// delay the follower, but finite so that a write that never shows up fails.
pub(crate) struct Deadline {
    started: Instant,
    what: String,
}

impl Deadline {
    const LIMIT: Duration = Duration::from_secs(30);

    pub(crate) fn new(what: impl Into<String>) -> Self {
        Self {
            started: Instant::now(),
            what: what.into(),
        }
    }

    /// Fails past the limit with what was last seen, else waits a little.
    pub(crate) async fn tick(&self, last_seen: impl std::fmt::Debug) {
        assert!(
            self.started.elapsed() < Self::LIMIT,
            "{} within {:?}; last seen: {last_seen:?}",
            self.what,
            Self::LIMIT
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The ids of a search's hits (one page of up to 100), with the whole answer.
pub(crate) async fn search(session: &Session, params: &str) -> (BTreeSet<String>, Value) {
    let (status, body) = session
        .get_json(&format!("/api/v1/search?per_page=100&{params}"))
        .await;
    assert_eq!(status, 200, "search {params}: {body}");
    let ids = body["hits"]
        .as_array()
        .unwrap_or_else(|| panic!("search {params}: no hits array: {body}"))
        .iter()
        .map(|hit| hit["id"].as_str().expect("hit id").to_owned())
        .collect();
    (ids, body)
}

/// Audit entries matching `filter` (a query string), newest first, as a librarian reads them.
async fn audit(librarian: &Session, filter: &str) -> Vec<Value> {
    let (status, body) = librarian.get_json(&format!("/api/v1/audit?{filter}")).await;
    assert_eq!(status, 200, "audit {filter}: {body}");
    body.as_array().expect("audit entries").clone()
}

/// Sign-in over the API: its status only.
async fn sign_in_status(app: &TestApp, username: &str, password: &str) -> u16 {
    client_for(app.addr)
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("sign-in request")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_withdrawn_resource_disappears_for_borrowers_and_stays_for_librarians() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("curator").await;
    // yn-tax's sector is 税务, so the resource is recommended to this borrower.
    let borrower = app.borrower("tax-officer", "yn-tax").await;
    let id = "promise-withdrawn-case";
    let title = "撤回检验：某税务分局原局长受贿案通报";
    let (status, created) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": id, "kind": "case", "title": title, "summary": "用于检验撤回的通报",
                    "sectors": ["税务"], "violations": ["受贿"], "date": "2024-03",
                    "access": "open", "status": "published"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");

    let query = format!("q={}", encode("撤回检验"));
    let suggest = format!("/api/v1/suggest?q={}", encode("撤回检验"));
    let linked = format!("href=\"/resources/{id}\"");
    let suggested = |body: &Value| {
        body.as_array()
            .expect("suggestions")
            .iter()
            .any(|s| s["id"] == id)
    };
    let recommended = |body: &Value| {
        body["items"]
            .as_array()
            .expect("recommendations")
            .iter()
            .any(|r| r["id"] == id)
    };

    // Before: visible on every surface, once the index has taken the new resource.
    let deadline = Deadline::new("the new resource becomes searchable");
    loop {
        let (ids, _) = search(&borrower, &query).await;
        if ids.contains(id) {
            break;
        }
        deadline.tick(ids).await;
    }
    assert!(suggested(&borrower.get_json(&suggest).await.1));
    let (_, recommendations) = borrower.get_json("/api/v1/recommendations?limit=50").await;
    assert!(recommended(&recommendations), "{recommendations}");
    let (status, html) = page(&borrower, &format!("/search?{query}")).await;
    assert!(status == 200 && html.contains(&linked), "search page");
    let (status, html) = page(&borrower, "/").await;
    assert!(status == 200 && html.contains(&linked), "home page");
    assert_eq!(page(&borrower, &format!("/resources/{id}")).await.0, 200);
    assert_eq!(
        borrower
            .get_json(&format!("/api/v1/resources/{id}"))
            .await
            .0,
        200
    );

    let (status, withdrawn) = librarian
        .post_json(&format!("/api/v1/resources/{id}/withdraw"), &json!({}))
        .await;
    assert_eq!(status, 200, "{withdrawn}");
    assert_eq!(withdrawn["status"], "withdrawn");
    let rows = audit(
        &librarian,
        &format!("action=resource_withdrawn&resource_id={id}"),
    )
    .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["username"], "curator");

    // At once, with no wait: what the database answers.
    let (status, body) = borrower.get_json(&format!("/api/v1/resources/{id}")).await;
    assert_eq!((status, &body["error"]["code"]), (404, &json!("not_found")));
    let (status, html) = page(&borrower, &format!("/resources/{id}")).await;
    assert_eq!(status, 404);
    assert!(!html.contains(title), "the 404 page names no title");
    let (_, recommendations) = borrower.get_json("/api/v1/recommendations?limit=50").await;
    assert!(!recommended(&recommendations), "{recommendations}");

    // What the index answers: the withdraw reaches the index before it answers.
    let (ids, _) = search(&borrower, &query).await;
    let (_, suggestions) = borrower.get_json(&suggest).await;
    let (_, results_page) = page(&borrower, &format!("/search?{query}")).await;
    let (_, home) = page(&borrower, "/").await;
    assert!(!ids.contains(id), "search still finds it");
    assert!(
        !suggested(&suggestions),
        "suggest still offers it: {suggestions}"
    );
    assert!(
        !results_page.contains(&linked),
        "the search page still links it"
    );
    assert!(!home.contains(&linked), "the home page still links it");
    // Asking for unpublished material is a librarian's right only.
    let (ids, _) = search(&borrower, &format!("{query}&include_unpublished=true")).await;
    assert!(!ids.contains(id));

    // A librarian still reads, opens and finds it.
    let (status, body) = librarian.get_json(&format!("/api/v1/resources/{id}")).await;
    assert_eq!((status, &body["status"]), (200, &json!("withdrawn")));
    let (status, html) = page(&librarian, &format!("/resources/{id}")).await;
    assert!(status == 200 && html.contains(title), "librarian's page");
    let (ids, body) = search(&librarian, &format!("{query}&include_unpublished=true")).await;
    assert_eq!(ids, BTreeSet::from([id.to_owned()]), "{body}");
    assert_eq!(body["hits"][0]["status"], "withdrawn");
    assert!(suggested(&librarian.get_json(&suggest).await.1));
}

#[tokio::test]
async fn admins_disable_accounts_and_reset_passwords_and_the_log_says_so() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (status, user) = admin
        .post_json(
            "/api/v1/users",
            &json!({"username": "officer", "password": "first-password-1",
                    "roles": ["borrower"], "unit": "yn-tax"}),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    let user_id = user["id"].as_i64().expect("user id");
    let path = format!("/api/v1/users/{user_id}");
    let officer = app.login("officer", "first-password-1").await;

    // Neither a librarian who is not an admin nor a borrower may change an account.
    let plain_librarian = app.librarian("plain-librarian").await;
    for session in [&plain_librarian, &officer] {
        for change in [
            json!({"active": false}),
            json!({"password": "taken-over-pw"}),
        ] {
            let (status, body) = session.send_json(Method::PATCH, &path, &change).await;
            assert_eq!(status, 403, "{change}: {body}");
            assert_eq!(body["error"]["code"], "forbidden");
        }
    }
    assert_eq!(officer.get_json("/api/v1/session").await.0, 200);
    let account_actions = "action IN ('user_disabled', 'user_enabled', 'password_reset')";
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM audit_log WHERE {account_actions}"
        )),
        0,
        "a refused change leaves no trace of a change"
    );

    // The admin's own row for each step: who, which account, nothing else.
    let expect_row = |rows: Vec<Value>, action: &str| {
        assert_eq!(rows.len(), 1, "{action}: {rows:?}");
        let row = &rows[0];
        assert_eq!(row["action"], action);
        assert_eq!(row["username"], "admin");
        assert_eq!(row["detail"], user_id.to_string());
        assert_eq!(row["resource_id"], Value::Null);
        assert_eq!(row["file_id"], Value::Null);
    };

    // Disabled: the open session ends, pages and API alike, and sign-in is refused.
    let (status, body) = admin
        .send_json(Method::PATCH, &path, &json!({"active": false}))
        .await;
    assert_eq!((status, &body["active"]), (200, &json!(false)), "{body}");
    assert_eq!(officer.get_json("/api/v1/session").await.0, 401);
    assert_eq!(officer.get_json("/api/v1/loans").await.0, 401);
    // The same cookie on a page is sent to sign in again.
    let resp = officer.get("/loans").await;
    assert_eq!(resp.url().path(), "/login", "the old cookie opens no page");
    assert_eq!(
        sign_in_status(&app, "officer", "first-password-1").await,
        401
    );
    expect_row(audit(&admin, "action=user_disabled").await, "user_disabled");

    // Enabled again: sign-in works.
    let (status, body) = admin
        .send_json(Method::PATCH, &path, &json!({"active": true}))
        .await;
    assert_eq!((status, &body["active"]), (200, &json!(true)), "{body}");
    expect_row(audit(&admin, "action=user_enabled").await, "user_enabled");
    let before_reset = app.login("officer", "first-password-1").await;

    // Reset: the new password signs in, the old one does not, old sessions end.
    let (status, body) = admin
        .send_json(
            Method::PATCH,
            &path,
            &json!({"password": "reset-password-2"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    expect_row(
        audit(&admin, "action=password_reset").await,
        "password_reset",
    );
    assert_eq!(before_reset.get_json("/api/v1/session").await.0, 401);
    assert_eq!(
        sign_in_status(&app, "officer", "first-password-1").await,
        401
    );
    let after_reset = app.login("officer", "reset-password-2").await;
    let (status, me) = after_reset.get_json("/api/v1/session").await;
    assert_eq!((status, &me["user"]["username"]), (200, &json!("officer")));
    // Three steps, three rows, nothing more.
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM audit_log WHERE {account_actions}"
        )),
        3
    );
}

/// The file accesses of the user `reader` to `resource`, newest first.
async fn reader_rows(librarian: &Session, resource: &str) -> Vec<Value> {
    let filter = format!("action=file_access&username=reader&resource_id={resource}");
    audit(librarian, &filter).await
}

/// The first file of `resource` with `role`, as a librarian reads it: (id, mime).
async fn file_with_role(librarian: &Session, resource: &str, role: &str) -> (String, String) {
    let (status, body) = librarian
        .get_json(&format!("/api/v1/resources/{resource}"))
        .await;
    assert_eq!(status, 200, "{body}");
    let file = body["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["role"] == role)
        .unwrap_or_else(|| panic!("{resource} has no {role} file: {body}"));
    (
        file["id"].as_str().expect("file id").to_owned(),
        file["mime"].as_str().expect("mime").to_owned(),
    )
}

#[tokio::test]
async fn content_shown_inline_on_a_resource_page_is_audited_with_user_and_file() {
    let app = TestApp::spawn_with_demo().await;
    let librarian = app.librarian("auditor").await;
    let reader = app.borrower("reader", "yn-tax").await;
    // Exactly the fields a reviewer needs: who, from which unit, which resource and file.
    let expect_row = |row: &Value, resource: &str, file: &str, detail: &str| {
        assert_eq!(row["action"], "file_access", "{row}");
        assert_eq!(row["username"], "reader", "{row}");
        assert_eq!(row["unit"], "yn-tax", "{row}");
        assert_eq!(row["resource_id"], resource, "{row}");
        assert_eq!(row["file_id"], file, "{row}");
        assert_eq!(row["detail"], detail, "{row}");
        let user_rows = app.count(&format!(
            "SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.user_id
             WHERE u.username = 'reader' AND a.id = {}",
            row["id"]
        ));
        assert_eq!(user_rows, 1, "the row carries the reader's account id");
    };
    // Shown with the reader's mark behind it (open material: their account's).
    let shown = |resource: &str| {
        let code = app.text(&format!(
            "SELECT code FROM loan_marks WHERE resource_id = '{resource}'"
        ));
        format!("granted; stamped JS-{code}, no loan; shown on the resource page")
    };

    // A Markdown document rendered into the page.
    let text_resource = "demo-tax-invoice-case";
    let (text_file, mime) = file_with_role(&librarian, text_resource, "document").await;
    assert_eq!(mime, "text/markdown");
    assert!(reader_rows(&librarian, text_resource).await.is_empty());
    let (status, html) = page(&reader, &format!("/resources/{text_resource}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<article class=\"reader marked\">"),
        "the text is shown inline"
    );
    let rows = reader_rows(&librarian, text_resource).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    expect_row(&rows[0], text_resource, &text_file, &shown(text_resource));

    // A film's subtitles listed as cues on the page (the film itself streams later).
    let film = "demo-video-mooncake";
    let (subtitle_file, _) = file_with_role(&librarian, film, "subtitle").await;
    let (status, html) = page(&reader, &format!("/resources/{film}")).await;
    assert!(status == 200 && html.contains(&format!("/resources/{film}?t=")));
    let rows = reader_rows(&librarian, film).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    expect_row(&rows[0], film, &subtitle_file, &shown(film));

    // A PDF is embedded by URL: the viewer's fetch of it is the access, audited there.
    let (status, created) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": "promise-open-pdf", "kind": "textbook", "title": "公开教材 PDF",
                    "access": "open", "status": "published"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let pdf =
        std::fs::read(crate::common::repo_root().join("content/demo/files/textbook-sanctions.pdf"))
            .expect("demo pdf");
    let part = reqwest::multipart::Part::bytes(pdf).file_name("教材.pdf");
    let resp = librarian
        .client
        .post(librarian.url("/api/v1/resources/promise-open-pdf/files"))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let pdf_file = resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .expect("file id")
        .to_owned();
    let (status, html) = page(&reader, "/resources/promise-open-pdf").await;
    let embedded = format!("src=\"/api/v1/files/{pdf_file}\"");
    assert!(
        status == 200 && html.contains(&embedded),
        "the PDF is embedded"
    );
    let before = reader_rows(&librarian, "promise-open-pdf").await.len();
    let resp = reader.get(&format!("/api/v1/files/{pdf_file}")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    let rows = reader_rows(&librarian, "promise-open-pdf").await;
    assert_eq!(rows.len(), before + 1, "{rows:?}");
    // A PDF leaves stamped with the reader's mark (open material: their account's).
    let code = app.text("SELECT code FROM loan_marks WHERE resource_id = 'promise-open-pdf'");
    let stamped = format!("granted; stamped JS-{code}, no loan");
    expect_row(&rows[0], "promise-open-pdf", &pdf_file, &stamped);

    // A page that may not show the content shows none, so it records no access.
    let (status, html) = page(&reader, "/resources/demo-customs-inspection-case").await;
    assert!(
        status == 200 && html.contains("class=\"locked\""),
        "the page explains the loan"
    );
    let granted: Vec<Value> = reader_rows(&librarian, "demo-customs-inspection-case")
        .await
        .into_iter()
        .filter(|row| row["detail"].as_str().unwrap_or("").starts_with("granted"))
        .collect();
    assert!(granted.is_empty(), "{granted:?}");
}

#[tokio::test]
async fn every_page_and_api_route_needs_sign_in_and_leaks_nothing() {
    let app = TestApp::spawn_with_demo().await;
    let admin = app.admin().await;
    let resource = "demo-tax-invoice-case";
    let (_, body) = admin
        .get_json(&format!("/api/v1/resources/{resource}"))
        .await;
    let title = body["title"].as_str().expect("title").to_owned();
    let (document, _) = file_with_role(&admin, resource, "document").await;
    let document_bytes = admin
        .get(&format!("/api/v1/files/{document}"))
        .await
        .bytes()
        .await
        .unwrap();
    // A stretch of the document from its middle, to look for in answers.
    let middle = document_bytes.len() / 2;
    let excerpt = &document_bytes[middle..middle + 32.min(document_bytes.len() - middle)];
    let (subtitle, _) = file_with_role(&admin, "demo-video-mooncake", "subtitle").await;
    let vtt = admin
        .get(&format!("/subtitles/{subtitle}"))
        .await
        .text()
        .await
        .unwrap();
    let first_cue = vtt
        .lines()
        .skip_while(|line| !line.contains("-->"))
        .nth(1)
        .expect("a cue line")
        .to_owned();

    let anonymous = no_redirects(&app);
    let leaks = |body: &[u8]| {
        let text = String::from_utf8_lossy(body);
        text.contains(&title)
            || text.contains(&first_cue)
            || body.windows(excerpt.len()).any(|w| w == excerpt)
    };

    // Pages: 303 to the sign-in page, which brings the visitor back (`next`).
    let subtitles = format!("/subtitles/{subtitle}");
    let resource_page = format!("/resources/{resource}");
    for path in [
        "/",
        "/search?q=x",
        resource_page.as_str(),
        "/loans",
        "/stats",
        "/librarian/",
        "/librarian/queue",
        "/librarian/audit",
        subtitles.as_str(),
    ] {
        let resp = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 303, "{path}");
        let expected = if path == "/" {
            "/login".to_owned()
        } else {
            format!("/login?next={}", encode(path))
        };
        assert_eq!(resp.headers()["location"], expected.as_str(), "{path}");
        assert!(!leaks(&resp.bytes().await.unwrap()), "{path} leaks content");
    }

    // API: 401 with the error body, never the data.
    let document_route = format!("/api/v1/files/{document}");
    let subtitle_route = format!("/api/v1/files/{subtitle}");
    let resource_route = format!("/api/v1/resources/{resource}");
    let search_route = format!("/api/v1/search?q={}", encode(&title));
    let suggest_route = format!(
        "/api/v1/suggest?q={}",
        encode(&title.chars().take(4).collect::<String>())
    );
    for path in [
        search_route.as_str(),
        suggest_route.as_str(),
        resource_route.as_str(),
        "/api/v1/loans",
        "/api/v1/units",
        "/api/v1/stats/units",
        "/api/v1/stats/overview",
        "/api/v1/recommendations",
        document_route.as_str(),
        subtitle_route.as_str(),
    ] {
        let resp = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{path}");
        let bytes = resp.bytes().await.unwrap();
        assert!(!leaks(&bytes), "{path} leaks content");
        let body: Value = serde_json::from_slice(&bytes).expect("a JSON error");
        assert_eq!(body["error"]["code"], "unauthenticated", "{path}");
    }
    // A range request gets no bytes either.
    let resp = anonymous
        .get(app.url(&document_route))
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    // Nor can an anonymous client ask for a loan.
    let resp = anonymous
        .post(app.url("/api/v1/loans"))
        .json(
            &json!({"resource_id": resource, "format": "digital", "start": "2030-01-02",
                      "end": "2030-01-03", "purpose": "学习", "audience": 10}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(app.count("SELECT count(*) FROM loans"), 0);
}
