//! The contributions' routes against hostile callers (SPEC §9, issue 18): borrowers
//! on the librarians' steps (403), another unit on a unit's contribution (404),
//! oversized, malformed and forbidden input (413/422 with a Chinese message), ids
//! that are paths, markup or 10 KB long (400/404, never 500), markup shown escaped on
//! every page — and nothing half-done on any refusal: no resource row, no audit row,
//! no stored file. Then the same refusals through the domain functions on the app's
//! own SQLite file.

use jingshi::actor::Actor;
use jingshi::catalog::contributions::{self, ContributionInput};
use jingshi::catalog::curation::{CurationCommand, ResourcePatch, curate};
use jingshi::catalog::{CatalogError, ResourceId};
use serde_json::{Value, json};

use crate::common::admin::escaped;
use crate::common::web::{encode, page, upload};
use crate::common::{Session, TestApp, stored_blobs, temp_leftovers};

fn contribution(title: &str) -> Value {
    json!({
        "kind": "case",
        "title": title,
        "summary": "本单位查处的一起案件通报（虚构示例）。",
        "sectors": ["税务"],
        "share": "all",
        "declaration": true,
    })
}

/// A contribution of `officer`'s unit, submitted; answers its id.
async fn submitted(officer: &Session, title: &str) -> String {
    let (status, body) = officer
        .post_json("/api/v1/contributions", &contribution(title))
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

/// What a refusal must leave as it was.
#[derive(Debug, PartialEq, Eq)]
struct Trace {
    resources: i64,
    audit: i64,
    events: i64,
    findings: i64,
    notifications: i64,
    files: i64,
    blobs: usize,
}

fn trace(app: &TestApp) -> Trace {
    Trace {
        resources: app.count("SELECT count(*) FROM resources"),
        audit: app.count("SELECT count(*) FROM audit_log"),
        events: app.count("SELECT count(*) FROM contribution_events"),
        findings: app.count("SELECT count(*) FROM privacy_findings"),
        notifications: app.count("SELECT count(*) FROM notifications"),
        files: app.count("SELECT count(*) FROM files"),
        blobs: stored_blobs(app.data()),
    }
}

/// The status and JSON answer of `method path` with `body` (none when `Null`).
async fn call(session: &Session, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    if body.is_null() {
        let resp = session
            .client
            .request(method, session.url(path))
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        return (status, resp.json().await.unwrap_or(Value::Null));
    }
    session.send_json(method, path, body).await
}

/// A JSON error answer's message, which must be Chinese.
fn message(body: &Value) -> &str {
    let message = body["error"]["message"].as_str().expect("error message");
    assert!(
        message
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "not Chinese: {message}"
    );
    message
}

/// Sends `method path` with `body` and checks it is refused with `status` and a
/// Chinese message, which it answers.
async fn refused(session: &Session, method: &str, path: &str, body: &Value, status: u16) -> String {
    let (got, answer) = call(session, method, path, body).await;
    let shown: String = path.chars().take(120).collect();
    assert_eq!(got, status, "{method} {shown} {body}: {answer}");
    message(&answer).to_owned()
}

#[tokio::test]
async fn borrowers_are_refused_the_librarians_steps() {
    let app = TestApp::spawn().await;
    let _librarian = app.librarian("lib").await;
    let officer = app.borrower("tax-officer", "yn-tax").await;
    let customs = app.borrower("customs-officer", "kunming-customs").await;
    let id = submitted(&officer, "某局干部违规收受礼金案通报（示例）").await;
    let before = trace(&app);

    for borrower in [&officer, &customs] {
        for (method, path, body) in [
            (
                "POST",
                format!("/api/v1/resources/{id}/return"),
                json!({"comments": "请补充"}),
            ),
            (
                "POST",
                "/api/v1/privacy/scan".to_owned(),
                json!({"text": "联系电话 13812345678"}),
            ),
            (
                "GET",
                format!("/api/v1/resources/{id}/privacy"),
                Value::Null,
            ),
            (
                "POST",
                format!("/api/v1/resources/{id}/privacy/1/ack"),
                json!({"reason": "示例"}),
            ),
            (
                "POST",
                format!("/api/v1/resources/{id}/redact"),
                json!({"keep_surname": true}),
            ),
            ("POST", format!("/api/v1/resources/{id}/publish"), json!({})),
            (
                "POST",
                format!("/api/v1/resources/{id}/withdraw"),
                json!({}),
            ),
            (
                "GET",
                format!("/api/v1/resources/{id}/history"),
                Value::Null,
            ),
        ] {
            refused(borrower, method, &path, &body, 403).await;
        }
    }
    assert_eq!(trace(&app), before, "nothing written by a refusal");
    let (_, resource) = officer.get_json(&format!("/api/v1/resources/{id}")).await;
    assert_eq!(resource["status"], "submitted");
}

#[tokio::test]
async fn another_unit_cannot_touch_a_units_contribution() {
    let app = TestApp::spawn().await;
    let officer = app.borrower("tax-officer", "yn-tax").await;
    let customs = app.borrower("customs-officer", "kunming-customs").await;
    let id = submitted(&officer, "某局干部违规收受礼金案通报（示例）").await;
    // Returned, so that resubmitting would be a step the unit may take.
    let librarian = app.librarian("lib").await;
    let (status, body) = librarian
        .post_json(
            &format!("/api/v1/resources/{id}/return"),
            &json!({"comments": "请补充年份"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let before = trace(&app);

    for (method, path, body) in [
        (
            "PATCH",
            format!("/api/v1/resources/{id}"),
            json!({"title": "改掉标题"}),
        ),
        (
            "POST",
            format!("/api/v1/contributions/{id}/resubmit"),
            json!({}),
        ),
        (
            "POST",
            format!("/api/v1/contributions/{id}/withdraw"),
            json!({}),
        ),
        (
            "GET",
            format!("/api/v1/contributions/{id}/events"),
            Value::Null,
        ),
        ("GET", format!("/api/v1/resources/{id}"), Value::Null),
    ] {
        refused(&customs, method, &path, &body, 404).await;
    }
    let (status, answer) = upload(&customs, &id, "通报.md", "# 伪造的通报\n".into()).await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(trace(&app), before, "nothing written by a refusal");
    assert_eq!(temp_leftovers(app.data()), 0);
    let (_, resource) = officer.get_json(&format!("/api/v1/resources/{id}")).await;
    assert_eq!(resource["status"], "returned");
    assert_eq!(resource["title"], "某局干部违规收受礼金案通报（示例）");
    let (_, listed) = customs.get_json("/api/v1/contributions").await;
    assert_eq!(listed, json!([]));

    // The unit itself may: the same steps succeed for its own borrower.
    let (status, body) = upload(&officer, &id, "通报.md", "# 通报\n".into()).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = officer
        .post_json(&format!("/api/v1/contributions/{id}/resubmit"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn bad_contributions_are_refused_whole_with_a_message() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    let officer = app.borrower("tax-officer", "yn-tax").await;
    let before = trace(&app);

    let with = |change: Value| {
        let mut body = contribution("违规收受礼金案通报（示例）");
        for (key, value) in change.as_object().expect("object") {
            if value.is_null() {
                body.as_object_mut().expect("object").remove(key);
            } else {
                body[key] = value.clone();
            }
        }
        body
    };
    for (change, status, words) in [
        (json!({"declaration": null}), 422, "领导"),
        (json!({"declaration": false}), 422, "领导"),
        (json!({"share": "everyone"}), 422, "共享范围"),
        (json!({"share": "<script>"}), 422, "共享范围"),
        (json!({"status": "published"}), 422, "状态"),
        (json!({"status": "draft"}), 422, "状态"),
        (json!({"kind": "base"}), 422, "基地"),
        (json!({"copies": 2}), 422, "副本"),
        (json!({"title": "  "}), 422, "标题"),
        (json!({"title": "长".repeat(100_000)}), 413, "太大"),
    ] {
        let said = refused(
            &officer,
            "POST",
            "/api/v1/contributions",
            &with(change),
            status,
        )
        .await;
        assert!(said.contains(words), "{said}");
    }
    // A librarian's contribution has no unit to come from.
    let own = contribution("工委的投稿");
    refused(&librarian, "POST", "/api/v1/contributions", &own, 422).await;
    assert_eq!(trace(&app), before, "nothing written by a refusal");

    // The review's states are the contribution steps' alone.
    for status in ["submitted", "returned"] {
        let body = json!({"kind": "case", "title": "工委案例", "status": status});
        refused(&librarian, "POST", "/api/v1/resources", &body, 422).await;
    }
    assert_eq!(trace(&app), before);
    let (status, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": "own-case", "kind": "case", "title": "工委案例"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = submitted(&officer, "违规收受礼金案通报（示例）").await;
    let before = trace(&app);
    for target in ["own-case", id.as_str()] {
        for status in ["submitted", "returned", "published"] {
            if target == "own-case" && status == "published" {
                continue;
            }
            let path = format!("/api/v1/resources/{target}");
            refused(&librarian, "PATCH", &path, &json!({"status": status}), 422).await;
        }
    }
    // The unit changes the catalogue fields only, not the state or the copies.
    for patch in [
        json!({"status": "published"}),
        json!({"copies": 1}),
        json!({"share": "nobody"}),
    ] {
        refused(
            &officer,
            "PATCH",
            &format!("/api/v1/resources/{id}"),
            &patch,
            422,
        )
        .await;
    }

    // Comments and reasons: empty, too long, or with control characters.
    for comments in [
        String::new(),
        "   ".to_owned(),
        "改".repeat(contributions::MAX_COMMENT_CHARS + 1),
        "请补充\u{0}年份".to_owned(),
    ] {
        let path = format!("/api/v1/resources/{id}/return");
        refused(
            &librarian,
            "POST",
            &path,
            &json!({ "comments": comments }),
            422,
        )
        .await;
    }
    for reason in [
        String::new(),
        "由".repeat(jingshi::catalog::privacy::MAX_REASON_CHARS + 1),
        "理由\u{7}".to_owned(),
        "不存在的发现".to_owned(),
    ] {
        let path = format!("/api/v1/resources/{id}/privacy/999999/ack");
        refused(&librarian, "POST", &path, &json!({ "reason": reason }), 422).await;
    }
    assert_eq!(trace(&app), before, "nothing written by a refusal");

    // The privacy check reads at most 2 000 000 characters at once, and a body past
    // the route's limit is refused before it is read whole.
    let too_many = "a".repeat(2_000_001);
    let scan = "/api/v1/privacy/scan";
    let said = refused(&librarian, "POST", scan, &json!({ "text": too_many }), 413).await;
    assert!(said.contains("分段"), "{said}");
    let far_too_many = "税".repeat(3_500_000);
    refused(
        &librarian,
        "POST",
        scan,
        &json!({ "text": far_too_many }),
        413,
    )
    .await;
    let (status, body) = librarian
        .post_json(
            "/api/v1/privacy/scan",
            &json!({ "text": "税".repeat(200_000) }),
        )
        .await;
    assert_eq!(
        status, 200,
        "a long text within the limit is scanned: {body}"
    );
    assert!(body["findings"].is_array(), "{body}");
    let resp = librarian
        .post_raw_json("/api/v1/privacy/scan", r#"{"text": 42}"#)
        .await;
    assert_eq!(resp.status().as_u16(), 422);
    let resp = librarian
        .post_raw_json("/api/v1/privacy/scan", r#"{"text": "x", "extra": 1}"#)
        .await;
    assert_eq!(resp.status().as_u16(), 422);
}

#[tokio::test]
async fn odd_ids_are_not_found_never_a_failure() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    let officer = app.borrower("tax-officer", "yn-tax").await;
    let real = submitted(&officer, "违规收受礼金案通报（示例）").await;
    let before = trace(&app);
    let long = "a".repeat(10 * 1024);
    let ids = [
        "..%2Fx",
        "%2e%2e",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "..%5C..%5Cwindows",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "%00",
        "A%20B",
        long.as_str(),
    ];
    let routes = [
        ("POST", "/api/v1/contributions/{id}/resubmit"),
        ("POST", "/api/v1/contributions/{id}/withdraw"),
        ("GET", "/api/v1/contributions/{id}/events"),
        ("POST", "/api/v1/resources/{id}/return"),
        ("GET", "/api/v1/resources/{id}/privacy"),
        ("POST", "/api/v1/resources/{id}/privacy/1/ack"),
        ("POST", "/api/v1/resources/{id}/redact"),
        ("POST", "/api/v1/resources/{id}/publish"),
        ("PATCH", "/api/v1/resources/{id}"),
        ("GET", "/api/v1/resources/{id}"),
    ];
    for session in [&librarian, &officer] {
        for (method, template) in routes {
            for id in ids {
                let path = template.replace("{id}", id);
                let body = match method {
                    "GET" => Value::Null,
                    "PATCH" => json!({"title": "新标题"}),
                    _ if template.ends_with("/return") => json!({"comments": "请补充"}),
                    _ if template.ends_with("/ack") => json!({"reason": "示例"}),
                    _ => json!({}),
                };
                let (status, answer) = call(session, method, &path, &body).await;
                assert!(
                    [400, 403, 404].contains(&status),
                    "{method} {}: {status} {answer}",
                    path.chars().take(120).collect::<String>()
                );
                message(&answer);
            }
        }
        for id in ids {
            let (status, _) = upload(session, id, "通报.md", "# 通报\n".into()).await;
            assert!(
                [400, 403, 404].contains(&status),
                "upload to {id}: {status}"
            );
        }
        // A finding's id that is not a number, on a real contribution.
        for finding in ["x", "..%2F1", "1e3", "99999999999999999999999"] {
            let (status, answer) = call(
                session,
                "POST",
                &format!("/api/v1/resources/{real}/privacy/{finding}/ack"),
                &json!({"reason": "示例"}),
            )
            .await;
            assert!([400, 403].contains(&status), "{finding}: {status} {answer}");
        }
    }
    // A page with markup for an id shows it as text.
    let (status, html) = page(&officer, "/resources/%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert_eq!(status, 404);
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert_eq!(trace(&app), before, "nothing written by a refusal");
    assert_eq!(temp_leftovers(app.data()), 0);
}

#[tokio::test]
async fn markup_in_a_contribution_is_text_on_every_page() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    let officer = app.borrower("tax-officer", "yn-tax").await;
    let title = "<script>alert('投稿')</script>违规收受礼金案";
    let comments = "<img src=x onerror=alert(1)>请补充年份";
    let id = submitted(&officer, title).await;
    let (_, body) = officer.get_json(&format!("/api/v1/resources/{id}")).await;
    assert_eq!(
        body["title"], title,
        "JSON carries the text as it was typed"
    );
    let (status, body) = librarian
        .post_json(
            &format!("/api/v1/resources/{id}/return"),
            &json!({ "comments": comments }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, events) = officer
        .get_json(&format!("/api/v1/contributions/{id}/events"))
        .await;
    assert_eq!(events[1]["comments"], comments, "{events}");

    for (session, path) in [
        (&officer, format!("/resources/{id}")),
        (&officer, "/loans".to_owned()),
        (&officer, "/".to_owned()),
        (&librarian, format!("/resources/{id}")),
        (&librarian, format!("/librarian/resources/{id}")),
        (&librarian, format!("/librarian/resources/{id}/history")),
        (&librarian, "/librarian/".to_owned()),
        (&librarian, "/librarian/audit".to_owned()),
        (
            &librarian,
            format!(
                "/search?include_unpublished=1&q={}",
                encode("违规收受礼金案")
            ),
        ),
    ] {
        let (status, html) = page(session, &path).await;
        assert_eq!(status, 200, "{path}");
        for raw in ["<script>alert(", "<img src=x"] {
            assert!(!html.contains(raw), "{path} shows {raw} as markup");
        }
    }
    // Where the title is shown, it is shown escaped.
    for (session, path) in [
        (&officer, format!("/resources/{id}")),
        (&librarian, format!("/librarian/resources/{id}")),
    ] {
        let (_, html) = page(session, &path).await;
        assert!(html.contains(&escaped(title)), "{path}");
    }
    // The unit's notification carries the comments as text.
    let (_, html) = page(&officer, "/loans").await;
    assert!(
        html.contains(&escaped(comments)),
        "the returned comments on /loans"
    );
}

/// A borrower of `unit` as the domain sees them.
fn borrower(name: &str, unit: &str) -> Actor {
    Actor {
        user_id: None,
        username: name.to_owned(),
        unit: Some(unit.to_owned()),
        librarian: false,
        admin: false,
    }
}

fn input(title: &str) -> ContributionInput {
    serde_json::from_value(contribution(title)).expect("input")
}

#[tokio::test]
async fn the_domain_refuses_the_same_with_nothing_half_done() {
    let app = TestApp::spawn().await;
    let at = app.state.clock.moment();
    let mut conn = app.state.db.get().expect("connection");
    let officer = borrower("tax-officer", "yn-tax");
    let customs = borrower("customs-officer", "kunming-customs");
    let librarian = Actor {
        librarian: true,
        unit: None,
        ..borrower("lib", "yn-tax")
    };
    let before = trace(&app);

    // Submissions: no declaration, a base, a state, no unit.
    let mut no_declaration = input("甲");
    no_declaration.declaration = None;
    let mut base = input("乙");
    base.kind = "base".into();
    let mut published = input("丙");
    published.status = Some("published".into());
    let mut unknown_share = input("丁");
    unknown_share.share = Some("world".into());
    for (bad, field) in [
        (no_declaration, "declaration"),
        (base, "kind"),
        (published, "status"),
        (unknown_share, "share"),
    ] {
        match contributions::submit(&mut conn, &officer, bad, at) {
            Err(CatalogError::Invalid { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(matches!(
        contributions::submit(&mut conn, &librarian, input("戊"), at),
        Err(CatalogError::Invalid { ref field, .. }) if field == "unit"
    ));
    assert_eq!(trace(&app), before, "no row from a refused submission");

    let id = contributions::submit(&mut conn, &officer, input("违规收受礼金案通报"), at)
        .expect("submitted");
    let before = trace(&app);
    // Another unit: as if it did not exist.
    let patch = || ResourcePatch {
        title: Some("改掉标题".into()),
        ..ResourcePatch::default()
    };
    assert!(matches!(
        contributions::edit(&mut conn, &customs, &id, patch(), at),
        Err(CatalogError::NotFound(_))
    ));
    assert!(matches!(
        contributions::withdraw(&mut conn, &customs, &id, at),
        Err(CatalogError::NotFound(_))
    ));
    assert!(matches!(
        contributions::resubmit(&mut conn, &customs, &id, at),
        Err(CatalogError::NotFound(_))
    ));
    assert!(matches!(
        contributions::check_may_add_files(&conn, &customs, &id),
        Err(CatalogError::NotFound(_))
    ));
    // The unit itself: resubmitting what awaits review is a wrong state.
    assert!(matches!(
        contributions::resubmit(&mut conn, &officer, &id, at),
        Err(CatalogError::WrongState(_))
    ));
    // Borrowers on the librarians' steps.
    assert!(matches!(
        contributions::return_to_unit(&mut conn, &officer, &id, "请补充", at),
        Err(CatalogError::LibrariansOnly)
    ));
    assert!(matches!(
        jingshi::catalog::privacy::acknowledge(&mut conn, &officer, &id, 1, "示例", at),
        Err(CatalogError::LibrariansOnly)
    ));
    assert!(matches!(
        jingshi::catalog::redaction::redact(
            &mut conn,
            &app.state.store,
            &officer,
            &id,
            jingshi::privacy::Redaction::default(),
            at
        ),
        Err(CatalogError::LibrariansOnly)
    ));
    assert!(matches!(
        curate(
            &mut conn,
            &officer,
            CurationCommand::Publish(id.clone()),
            at
        ),
        Err(CatalogError::LibrariansOnly)
    ));
    // A librarian's comments: too long, empty, or with control characters.
    for comments in [
        "改".repeat(contributions::MAX_COMMENT_CHARS + 1),
        " ".into(),
        "请\u{1b}[31m补充".into(),
    ] {
        assert!(matches!(
            contributions::return_to_unit(&mut conn, &librarian, &id, &comments, at),
            Err(CatalogError::Invalid { ref field, .. }) if field == "comments"
        ));
    }
    // A librarian may not set the review's states through curation.
    let to_state = |status: &str| ResourcePatch {
        status: Some(status.into()),
        ..ResourcePatch::default()
    };
    for status in ["submitted", "returned"] {
        assert!(
            curate(
                &mut conn,
                &librarian,
                CurationCommand::Update(id.clone(), to_state(status)),
                at
            )
            .is_err(),
            "{status}"
        );
    }
    // Nor the unit its state through an edit.
    assert!(matches!(
        contributions::edit(&mut conn, &officer, &id, to_state("published"), at),
        Err(CatalogError::Invalid { ref field, .. }) if field == "status"
    ));
    assert_eq!(trace(&app), before, "nothing written by a refusal");
    let status: String = conn
        .query_row(
            "SELECT status FROM resources WHERE id = ?1",
            [id.as_str()],
            |row| row.get(0),
        )
        .expect("status");
    assert_eq!(status, "submitted");
    let unknown = ResourceId::parse("no-such-contribution").expect("id");
    assert!(matches!(
        contributions::withdraw(&mut conn, &officer, &unknown, at),
        Err(CatalogError::NotFound(_))
    ));
}
