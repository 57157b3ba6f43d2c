//! The audit log as librarians read it (issue 15): every action by its Chinese label
//! (never a raw code), every action in the filter, reasons in the detail, automatic
//! steps credited to 系统, and the many `Range` requests of one viewing of a file on
//! one row with their count — on the page and in its CSV export alike, while the log
//! and its API keep every request.

use jingshi::audit::{AuditAction, VIEWING_GAP_SECONDS};
use jingshi::spreadsheet::read_rows;
use serde_json::json;

use crate::common::lending::{
    MONDAY, act_ok, barcodes, day, issued, lendable, requested, set_today,
};
use crate::common::web::{page, upload};
use crate::common::{Session, TestApp};

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The `<tbody>` of the audit page.
fn body_of(html: &str) -> &str {
    let start = html.find("<tbody>").expect("table body");
    &html[start..html[start..].find("</tbody>").unwrap() + start]
}

async fn csv_rows(lib: &Session, query: &str) -> Vec<Vec<String>> {
    let resp = lib.get(&format!("/librarian/audit.csv?{query}")).await;
    assert_eq!(resp.status(), 200);
    read_rows("audit-log.csv", &resp.bytes().await.unwrap()).unwrap()
}

#[test]
fn every_action_has_a_chinese_label_of_its_own() {
    let mut labels = std::collections::HashSet::new();
    for action in AuditAction::ALL {
        let (code, label) = (action.code(), action.label());
        assert!(has_chinese(label), "{code} is labelled “{label}”");
        assert_ne!(code, label);
        assert!(!label.contains('_'), "{code}: {label}");
        assert!(labels.insert(label), "two actions read “{label}”");
    }
}

#[tokio::test]
async fn the_page_names_every_action_in_chinese_with_reasons_and_the_system() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    let resource = lendable(&lib, "audit-film", None, 2).await;
    let copies = barcodes(&resource);
    // Loan steps with reasons, and one the date decides.
    let turned_down = requested(&officer, "audit-film", "digital", &day(7), &day(8)).await;
    act_ok(
        &lib,
        &turned_down,
        "reject",
        json!({"reason": "片源<维护>中"}),
    )
    .await;
    let late = issued(&lib, &officer, "audit-film", &day(0), &day(1), &copies[0]).await;
    let recalled = issued(&lib, &officer, "audit-film", &day(0), &day(9), &copies[1]).await;
    act_ok(&lib, &recalled, "recall", json!({"reason": "专项检查需要"})).await;
    set_today(&app, 2);
    app.sweep();
    act_ok(&lib, &late, "return", json!({"condition": "good"})).await;

    // Every code the log holds is one the page can name.
    let stored: Vec<String> = {
        let conn = app.state.db.get().unwrap();
        let mut stmt = conn
            .prepare("SELECT DISTINCT action FROM audit_log")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert!(stored.len() >= 8, "{stored:?}");
    for code in &stored {
        assert!(
            AuditAction::from_code(code).is_some(),
            "no label for {code}"
        );
    }

    let (status, html) = page(&lib, "/librarian/audit").await;
    assert_eq!(status, 200);
    // The filter offers every action, by its label.
    let select = &html[html.find("id=\"a-action\"").unwrap()..];
    let select = &select[..select.find("</select>").unwrap()];
    assert_eq!(
        select.matches("<option value=\"").count(),
        AuditAction::ALL.len() + 1
    );
    for action in AuditAction::ALL {
        assert!(
            select.contains(&format!(
                "<option value=\"{}\">{}</option>",
                action.code(),
                action.label()
            )),
            "{} missing from the filter",
            action.code()
        );
    }
    // Rows: labels, never codes; units by name; reasons; 系统 for the date's steps.
    let rows = body_of(&html);
    for action in AuditAction::ALL {
        assert!(
            !rows.contains(&format!(">{}<", action.code())),
            "raw {}",
            action.code()
        );
    }
    for label in ["驳回借阅", "召回借阅", "逾期", "归还", "批准借阅", "发放"] {
        assert!(
            rows.contains(&format!("<td>{label}</td>")),
            "{label}: {rows}"
        );
    }
    assert!(
        rows.contains("片源&#60;维护&#62;中"),
        "the reason, escaped: {rows}"
    );
    assert!(rows.contains("专项检查需要"));
    assert!(rows.contains("国家税务总局云南省税务局"), "units by name");
    let overdue = rows
        .split("<tr")
        .find(|row| row.contains("<td>逾期</td>"))
        .expect("the overdue step");
    assert!(overdue.contains("<td>系统</td>"), "{overdue}");

    // The action filter keeps only that action; the export says the same.
    let (_, html) = page(&lib, "/librarian/audit?action=loan_recall").await;
    let rows = body_of(&html);
    assert_eq!(rows.matches("<tr").count(), 1, "{rows}");
    assert!(rows.contains("<td>召回借阅</td>"));
    let exported = csv_rows(&lib, "action=loan_recall").await;
    assert_eq!(exported.len(), 2);
    assert_eq!(exported[1][3], "召回借阅");
    assert!(exported[1][6].contains("专项检查需要"), "{:?}", exported[1]);
    let exported = csv_rows(&lib, "action=loan_overdue").await;
    assert_eq!(exported[1][1], "系统");
}

/// Fetches `path` with a `Range` header, as a player or PDF viewer does.
async fn fetch_range(session: &Session, path: &str, from: u64) -> u16 {
    session
        .client
        .get(session.url(path))
        .header("Range", format!("bytes={from}-{}", from + 9))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_range_requests_of_one_viewing_collapse_into_one_row_with_a_count() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let reader = app.borrower("reader", "yn-tax").await;
    let other = app.borrower("other-reader", "kunming-customs").await;
    let (status, created) = lib
        .post_json(
            "/api/v1/resources",
            &json!({"id": "audit-open-case", "kind": "case", "title": "公开案例",
                    "access": "open", "status": "published"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let text = "以案为鉴，警钟长鸣。".repeat(20);
    let (status, file) = upload(&lib, "audit-open-case", "通报.txt", text.into_bytes()).await;
    assert_eq!(status, 201, "{file}");
    let file_id = file["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/files/{file_id}");

    // One viewing: five range requests a minute apart; the other reader's in between.
    let start = app.state.clock.now();
    let at = |seconds: i64| {
        start
            .checked_add(jiff::SignedDuration::from_secs(seconds))
            .unwrap()
    };
    for i in 0..5 {
        app.state.clock.set(at(i * 60));
        assert_eq!(fetch_range(&reader, &path, i as u64 * 10).await, 206);
        if i == 2 {
            assert_eq!(fetch_range(&other, &path, 0).await, 206);
        }
    }
    // A second viewing after a pause longer than the gap, then a single request.
    let later = 4 * 60 + VIEWING_GAP_SECONDS + 60;
    for i in 0..2 {
        app.state.clock.set(at(later + i * 30));
        assert_eq!(fetch_range(&reader, &path, 100).await, 206);
    }
    app.state.clock.set(at(later + 2 * VIEWING_GAP_SECONDS));
    assert_eq!(reader.get(&path).await.status(), 200);

    // The log keeps every request, with its range.
    let (_, raw) = lib
        .get_json("/api/v1/audit?action=file_access&username=reader")
        .await;
    let raw = raw.as_array().unwrap();
    assert_eq!(raw.len(), 8);
    // The copy that left is named by its mark.
    assert!(raw.iter().any(|r| {
        let detail = r["detail"].as_str().unwrap_or("");
        detail.starts_with("granted; stamped JS-") && detail.ends_with("; range bytes=40-49")
    }));

    // The page: three rows for this reader, newest first.
    let query = "action=file_access&username=reader";
    let (status, html) = page(&lib, &format!("/librarian/audit?{query}")).await;
    assert_eq!(status, 200);
    let rows: Vec<&str> = body_of(&html).split("<tr").skip(1).collect();
    assert_eq!(rows.len(), 3, "{html}");
    assert!(rows[0].contains("<td>查看文件</td>"), "{}", rows[0]);
    assert!(rows[1].contains("<td>查看文件 ×2</td>"), "{}", rows[1]);
    assert!(rows[2].contains("<td>查看文件 ×5</td>"), "{}", rows[2]);
    // Granted, naming the marked copy that left (issue 23), as one viewing.
    assert!(
        rows[2].contains("<td>允许")
            && rows[2].contains(" JS-")
            && rows[2].contains("（共 5 次请求）"),
        "{}",
        rows[2]
    );
    assert!(!rows[2].contains("bytes="), "one viewing, not its ranges");
    assert!(rows[2].contains(&format!("<code>{file_id}</code>")));
    // Its span: from the first request to the last, in Beijing time, from noon.
    assert!(
        rows[2].contains("2027-03-01 12:00:00–12:04:00"),
        "{}",
        rows[2]
    );

    // The other reader's request is a row of its own.
    let (_, html) = page(&lib, "/librarian/audit?action=file_access").await;
    let all: Vec<&str> = body_of(&html).split("<tr").skip(1).collect();
    assert_eq!(all.len(), 4, "{html}");
    assert_eq!(all.iter().filter(|r| r.contains("other-reader")).count(), 1);

    // The export matches the page, row for row.
    let exported = csv_rows(&lib, query).await;
    assert_eq!(exported.len(), 4, "{exported:?}");
    let actions: Vec<&str> = exported[1..].iter().map(|r| r[3].as_str()).collect();
    assert_eq!(actions, ["查看文件", "查看文件 ×2", "查看文件 ×5"]);
    assert_eq!(exported[3][0], "2027-03-01 12:00:00–12:04:00");
    assert!(
        exported[3][6].starts_with("允许")
            && exported[3][6].contains(" JS-")
            && exported[3][6].ends_with("（共 5 次请求）"),
        "{}",
        exported[3][6]
    );
}
