//! Corrections of machine-read text are a librarian's: borrowers of the resource's
//! unit and of others are refused over HTTP and in the domain; hostile input (too
//! long, control characters, markup, other resources' files, traversal, impossible
//! cue times) is refused with a reason and changes nothing. These tests make the
//! machine's reading with SQL, so they run where Tesseract is not installed.

use jingshi::catalog::machine_read::{correct_cues, correct_text, read_again};
use jingshi::catalog::{CatalogError, ResourceId};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::web::{csrf_of, page, post_form, upload};
use crate::common::{Session, TestApp, officer_actor};

/// A resource with a "scan" whose text the machine read, and a text file of its own:
/// answers (scan's file id, text file's id).
async fn read_scan(app: &TestApp, librarian: &Session, id: &str) -> (String, String) {
    let (status, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": id, "kind": "case", "title": format!("校对测试 {id}"),
                    "access": "open", "status": "published"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // A 1×1 PNG stands for the scan; the machine's reading is written as the queue would.
    let png = base64_png();
    let (status, scan) = upload(librarian, id, "扫描.png", png).await;
    assert_eq!(status, 201, "{scan}");
    let (status, own) = upload(librarian, id, "说明.md", "# 说明\n\n自带文字。".into()).await;
    assert_eq!(status, 201, "{own}");
    let scan = scan["id"].as_str().unwrap().to_owned();
    app.state
        .db
        .get()
        .unwrap()
        .execute(
            "UPDATE files SET text = '机器读出的原文', machine_read = 'ocr', extraction = 'ok' WHERE id = ?1",
            [&scan],
        )
        .unwrap();
    app.state
        .db
        .get()
        .unwrap()
        .execute(
            "UPDATE ocr_jobs SET state = 'done' WHERE file_id = ?1",
            [&scan],
        )
        .unwrap();
    (scan, own["id"].as_str().unwrap().to_owned())
}

fn base64_png() -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==")
        .unwrap()
}

fn stored_text(app: &TestApp, file: &str) -> String {
    app.text(&format!("SELECT text FROM files WHERE id = '{file}'"))
}

async fn put_text(session: &Session, id: &str, file: &str, body: &Value) -> (u16, Value) {
    session
        .send_json(
            Method::PUT,
            &format!("/api/v1/resources/{id}/files/{file}/text"),
            body,
        )
        .await
}

#[tokio::test]
async fn borrowers_of_any_unit_cannot_correct_or_requeue() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("hostile-lib").await;
    let (scan, _) = read_scan(&app, &librarian, "fix-borrow").await;
    for (name, unit) in [("own-unit", "yn-tax"), ("other-unit", "kunming-customs")] {
        let borrower = app.borrower(name, unit).await;
        let (status, _) = put_text(&borrower, "fix-borrow", &scan, &json!({"text": "篡改"})).await;
        assert_eq!(status, 403, "{name}");
        let (status, _) = borrower
            .send_json(
                Method::PUT,
                &format!("/api/v1/resources/fix-borrow/files/{scan}/cues"),
                &json!({"cues": []}),
            )
            .await;
        assert_eq!(status, 403, "{name}");
        let (status, _) = borrower
            .post_json(
                &format!("/api/v1/resources/fix-borrow/files/{scan}/read-again"),
                &json!({}),
            )
            .await;
        assert_eq!(status, 403, "{name}");
        let path = format!("/librarian/resources/fix-borrow/files/{scan}/transcript");
        let (status, _) = page(&borrower, &path).await;
        assert_eq!(status, 403, "{name}");
        let (_, html) = page(&borrower, "/").await;
        let (status, _, _) = post_form(
            &borrower,
            &path,
            &[("csrf", &csrf_of(&html)), ("text", "篡改")],
        )
        .await;
        assert_eq!(status, 403, "{name}");
    }
    // The domain refuses the same, whoever calls it.
    let id = ResourceId::parse("fix-borrow").unwrap();
    let mut conn = app.state.db.get().unwrap();
    let at = app.state.clock.moment();
    let officer = officer_actor();
    assert!(matches!(
        correct_text(&mut conn, &officer, &id, &scan, "篡改", at),
        Err(CatalogError::LibrariansOnly)
    ));
    assert!(matches!(
        correct_cues(&mut conn, &officer, &id, &scan, &[], at),
        Err(CatalogError::LibrariansOnly)
    ));
    assert!(matches!(
        read_again(&mut conn, &officer, &id, &scan, at),
        Err(CatalogError::LibrariansOnly)
    ));
    drop(conn);
    assert_eq!(stored_text(&app, &scan), "机器读出的原文");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action LIKE 'machine_%'"),
        0
    );
}

#[tokio::test]
async fn hostile_corrections_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("hostile-lib").await;
    let (scan, own) = read_scan(&app, &librarian, "fix-hostile").await;
    let (other_scan, _) = read_scan(&app, &librarian, "fix-other").await;
    let refused = [
        // Another resource's file, a file the machine did not read, traversal.
        (other_scan.as_str(), json!({"text": "错"}), 404),
        (own.as_str(), json!({"text": "错"}), 422),
        ("..%2F..%2Fetc%2Fpasswd", json!({"text": "错"}), 404),
        // A NUL, an unknown field, a missing one.
        (scan.as_str(), json!({"text": "a\u{0}b"}), 422),
        (
            scan.as_str(),
            json!({"text": "错", "machine_read": null}),
            422,
        ),
        (scan.as_str(), json!({}), 422),
    ];
    for (file, body, expected) in refused {
        let (status, answer) = put_text(&librarian, "fix-hostile", file, &body).await;
        assert_eq!(status, expected, "{file} {body}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{answer}"
        );
    }
    // Longer than any text we keep: refused before it is read whole.
    let huge = "字".repeat(3 * 1024 * 1024);
    let (status, _) = put_text(&librarian, "fix-hostile", &scan, &json!({"text": huge})).await;
    assert_eq!(status, 422);
    // Impossible cue times, and cues on a scan.
    let cues_path = format!("/api/v1/resources/fix-hostile/files/{scan}/cues");
    let (status, answer) = librarian
        .send_json(
            Method::PUT,
            &cues_path,
            &json!({"cues": [{"start_ms": 5000, "end_ms": 1000, "text": "倒"}]}),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("第 1 条"),
        "{answer}"
    );
    let (status, _) = librarian
        .send_json(
            Method::PUT,
            &cues_path,
            &json!({"cues": [{"start_ms": 0, "end_ms": 1000, "text": "字"}]}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(stored_text(&app, &scan), "机器读出的原文");
    assert_eq!(stored_text(&app, &other_scan), "机器读出的原文");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action LIKE 'machine_%'"),
        0
    );

    // Markup is kept as text and shown escaped.
    let markup = "<script>alert('识别')</script><b>粗</b>";
    let (status, _) = put_text(&librarian, "fix-hostile", &scan, &json!({"text": markup})).await;
    assert_eq!(status, 200);
    assert_eq!(stored_text(&app, &scan), markup);
    for path in [
        "/resources/fix-hostile".to_owned(),
        format!("/librarian/resources/fix-hostile/files/{scan}/transcript"),
    ] {
        let (_, html) = page(&librarian, &path).await;
        let escaped =
            html.contains("&#60;script&#62;alert") || html.contains("&lt;script&gt;alert");
        assert!(!html.contains("<script>alert") && escaped, "{path}: {html}");
    }
}

#[tokio::test]
async fn a_refused_transcript_form_comes_back_with_what_was_typed() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("form-lib").await;
    let (scan, _) = read_scan(&app, &librarian, "fix-form").await;
    let path = format!("/librarian/resources/fix-form/files/{scan}/transcript");
    let (status, html) = page(&librarian, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains("机器读出的原文") && html.contains("机器识别文本，可能有误"));
    let csrf = csrf_of(&html);
    let (status, _, html) =
        post_form(&librarian, &path, &[("csrf", &csrf), ("text", "改\u{0}过")]).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("控制字符") && html.contains("id=\"transcript-error\""),
        "{html}"
    );
    let (status, url, html) = post_form(
        &librarian,
        &path,
        &[("csrf", &csrf), ("text", "校对后的原文")],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(url.ends_with("done=saved"), "{url}");
    assert_eq!(stored_text(&app, &scan), "校对后的原文");
    // Saving the same again changes nothing and says so.
    let (_, url, _) = post_form(
        &librarian,
        &path,
        &[("csrf", &csrf), ("text", "校对后的原文")],
    )
    .await;
    assert!(url.ends_with("done=unchanged"), "{url}");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'machine_text_corrected'"),
        1
    );
}
