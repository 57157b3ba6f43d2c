//! Circulation: barcodes as people and scanners type them at the desk, and who the
//! audit log credits with the steps that follow on their own.

use serde_json::json;

use crate::common::TestApp;
use crate::common::lending::{MONDAY, act, act_ok, approved, day, lendable, requested};
use crate::common::web::page;

#[tokio::test]
async fn barcodes_match_whatever_their_case_spaces_or_width() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tobacco").await;
    let other = app.borrower("other", "yn-tax").await;
    let r = "demo-tobacco-procurement-case";

    let loan = approved(&lib, &officer, r, "physical", &day(0), &day(3)).await;
    // Another resource's copy stays refused under its catalogue spelling.
    let (status, body) = act(&lib, &loan, "issue", json!({"barcode": " js-0001 "})).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("JS-0001"),
        "{body}"
    );
    // A barcode that names nothing is still refused with what was typed.
    let (status, body) = act(&lib, &loan, "issue", json!({"barcode": "<b>JS-9</b>"})).await;
    assert_eq!(status, 422, "{body}");
    let issued = act_ok(&lib, &loan, "issue", json!({"barcode": "  js-0004 "})).await;
    assert_eq!(issued["barcode"], "JS-0004", "{issued}");
    act_ok(&lib, &loan, "return", json!({"condition": "good"})).await;

    // Typed with a Chinese input method: full-width letters, digits and dash.
    let next = approved(&lib, &other, r, "physical", &day(0), &day(2)).await;
    let issued = act_ok(&lib, &next, "issue", json!({"barcode": "ｊｓ－０００４"})).await;
    assert_eq!(issued["barcode"], "JS-0004", "{issued}");
    let (_, notes) = other.get_json("/api/v1/notifications").await;
    assert!(notes.to_string().contains("（JS-0004）"), "{notes}");
}

#[tokio::test]
async fn a_promotion_from_the_waitlist_is_credited_to_the_system() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let first = app.borrower("first", "yn-tax").await;
    let second = app.borrower("second", "yn-grain").await;
    lendable(&lib, "one-licence", Some(1), 0).await;
    let held = approved(&lib, &first, "one-licence", "digital", &day(1), &day(3)).await;
    let waiting = requested(&second, "one-licence", "digital", &day(1), &day(3)).await;
    assert_eq!(waiting["status"], "waitlisted", "{waiting}");
    // The holder cancels; nobody decides the promotion that follows.
    act_ok(&first, &held, "cancel", json!({})).await;
    let conn = rusqlite::Connection::open(app.data().join("content/jingshi.db")).unwrap();
    let credited: Vec<(Option<String>, Option<String>)> = conn
        .prepare("SELECT username, unit_code FROM audit_log WHERE action = 'loan_promote'")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(credited, vec![(Some("system".to_owned()), None)]);

    // The log page names units, and filters by them, by name.
    let (status, html) = page(&lib, "/librarian/audit?unit=yn-tax&action=loan_cancel").await;
    assert_eq!(status, 200);
    assert!(html.contains("<td>国家税务总局云南省税务局</td>"), "{html}");
    assert!(!html.contains("<td>yn-tax</td>"));
    assert!(html.contains(r#"<option value="yn-tax" selected>国家税务总局云南省税务局</option>"#));
    let export = html.split("audit.csv").nth(1).unwrap_or_default();
    assert!(
        export.starts_with("?action=loan_cancel&#38;unit=yn-tax\""),
        "{}",
        &export[..60.min(export.len())]
    );

    // The same filters as a spreadsheet: labels and names, not codes.
    let resp = lib
        .get("/librarian/audit.csv?unit=yn-tax&action=loan_cancel")
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "时间,用户,单位,操作,资源,文件,详情");
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[1].contains(",first,国家税务总局云南省税务局,取消借阅,one-licence,"),
        "{text}"
    );
    // A bad filter is refused in words; a borrower gets nothing.
    let resp = lib.get("/librarian/audit.csv?from=yesterday").await;
    assert_eq!(resp.status(), 400);
    let resp = first.get("/librarian/audit.csv").await;
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn the_log_says_in_words_what_changed_and_why() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    let r = "demo-tobacco-procurement-case";
    let loan = requested(&officer, r, "digital", &day(1), &day(2)).await;
    let reason = "<b>场地</b>未定，=请改期";
    act_ok(&lib, &loan, "reject", json!({"reason": reason})).await;
    let (status, html) = page(&lib, "/librarian/audit?action=loan_reject").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("：待审批 → 已驳回：&#60;b&#62;场地&#60;/b&#62;未定，=请改期</td>"),
        "{html}"
    );
    assert!(!html.contains("requested → rejected"));
}
