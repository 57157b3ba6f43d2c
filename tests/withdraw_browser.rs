//! In headless Chromium (issue 15): a librarian withdraws a resource that is on loan,
//! told how many loans are open, and chooses to recall them; the unit's loan page
//! then says "该资源已撤回". Screenshots of the pages this issue added or changed (the
//! editor's withdraw form, the loan desk page, the queue's forms, usage reports, the
//! audit log, the unit's loans) at desktop and phone width go to
//! `target/screenshots/`. Skips like the other browser tests without Chromium.

use std::sync::Arc;

use jingshi::accounts::Role;
use serde_json::json;

use crate::browser::{Browser, with_browser};
use crate::common::lending::{
    MONDAY, act_ok, approved, barcodes, day, issued, lendable, set_today,
};
use crate::common::web::upload;
use crate::common::{TestApp, USER_PASSWORD};

/// A screenshot at desktop width and one at phone width, which must not scroll
/// sideways.
pub(crate) async fn both_widths(b: &Browser, name: &str) {
    b.screenshot_page(&format!("{name}-desktop")).await;
    b.client
        .set_window_size(390, 844)
        .await
        .expect("phone size");
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    // What sticks out to the right, if anything (named for the failure message).
    let wide = b
        .js(
            "return document.documentElement.scrollWidth > window.innerWidth + 1 ? \
             [...document.querySelectorAll('body *')] \
               .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1) \
               .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id) : []",
        )
        .await;
    b.screenshot_page(&format!("{name}-phone")).await;
    b.client
        .set_window_size(1280, 900)
        .await
        .expect("desktop size");
    assert_eq!(wide, json!([]), "{name}: no sideways scrolling on a phone");
}

async fn sign_out(b: &Browser) {
    b.click(".logout button").await;
    b.wait_path("/login").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_librarian_withdraws_a_resource_on_loan_and_recalls_it() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    app.add_user("desk", &[Role::Librarian], None);
    app.add_user("officer", &[Role::Borrower], Some("yn-tax"));
    let lib = app.login("desk", USER_PASSWORD).await;
    let officer = app.login("officer", USER_PASSWORD).await;
    // The film is lent to the tax bureau (a copy) and booked later (digital); another
    // film has a usage report, for the report list.
    let film = lendable(&lib, "browser-withdraw-film", Some(1), 1).await;
    let lent = issued(
        &lib,
        &officer,
        "browser-withdraw-film",
        &day(0),
        &day(14),
        &barcodes(&film)[0],
    )
    .await;
    approved(
        &lib,
        &officer,
        "browser-withdraw-film",
        "digital",
        &day(7),
        &day(9),
    )
    .await;
    lendable(&lib, "browser-report-film", None, 0).await;
    let used = approved(
        &lib,
        &officer,
        "browser-report-film",
        "digital",
        &day(0),
        &day(3),
    )
    .await;
    set_today(&app, 2);
    act_ok(
        &officer,
        &used,
        "report",
        json!({"held_on": day(1), "sessions": 2, "participants": 160,
               "feedback": "分两场组织观看，干部职工普遍受到警醒。"}),
    )
    .await;
    // The unit reads the report film's text in four range requests: one audit row.
    let (status, file) = upload(
        &lib,
        "browser-report-film",
        "讲稿.txt",
        "以案为鉴。".repeat(30).into_bytes(),
    )
    .await;
    assert_eq!(status, 201, "{file}");
    let path = format!("/api/v1/files/{}", file["id"].as_str().unwrap());
    for from in [0, 20, 40, 60] {
        let resp = officer
            .client
            .get(officer.url(&path))
            .header("Range", format!("bytes={from}-{}", from + 19))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 206);
    }
    let lent_id = lent["id"].as_i64().unwrap();

    with_browser(app, move |b: Arc<Browser>, app| async move {
        b.sign_in(&app, "desk", USER_PASSWORD).await;

        // The queue leads to the recall beside the check-in; the desk page has its form.
        b.goto(&app, "/librarian/queue").await;
        b.wait_path("/librarian/queue").await;
        assert!(
            b.js(&format!(
                "return !!document.querySelector('a.desk-link[href=\"/librarian/loans/{lent_id}\"]')"
            ))
            .await
            .as_bool()
            .unwrap_or(false)
        );
        both_widths(&b, "issue15-queue").await;
        b.goto(&app, &format!("/librarian/loans/{lent_id}")).await;
        b.wait_path("/librarian/loans/").await;
        assert!(b.text("#recall-heading").await.contains("召回"));
        both_widths(&b, "issue15-loan-desk").await;

        // The editor says how many loans are open, and the librarian recalls them.
        b.goto(&app, "/librarian/resources/browser-withdraw-film")
            .await;
        b.wait_path("/librarian/resources/browser-withdraw-film")
            .await;
        let legend = b.text(".open-loans legend").await;
        assert_eq!(legend, "该资源有 2 笔未结束的借阅");
        assert!(
            b.text(".open-loans .counts")
                .await
                .contains("已批准 1 · 借出中 1")
        );
        both_widths(&b, "issue15-editor-withdraw").await;
        b.click("input[name=on_loans][value=recall]").await;
        b.type_into("#withdraw-reason", "片源需重新审核").await;
        b.click("#withdraw").await;
        b.wait_path("notice=withdrawn").await;
        let notice = b.text(".notice").await;
        assert!(
            notice.contains("借阅处理：取消 1 笔，召回 1 笔"),
            "{notice}"
        );
        b.assert_console_clean("withdrawing", &[]).await;

        // The reports and the audit log, as the librarian reads them.
        b.goto(&app, "/librarian/reports").await;
        b.wait_path("/librarian/reports").await;
        assert!(b.text(".report-totals").await.contains("160"));
        both_widths(&b, "issue15-reports").await;
        b.goto(&app, "/librarian/audit").await;
        b.wait_path("/librarian/audit").await;
        assert!(b.text("table.audit").await.contains("查看文件 ×4"));
        both_widths(&b, "issue15-audit").await;
        sign_out(&b).await;

        // The unit's loan page says the resource is withdrawn and the copy recalled.
        b.sign_in(&app, "officer", USER_PASSWORD).await;
        b.goto(&app, "/loans").await;
        b.wait_path("/loans").await;
        let article = b.text(&format!("#loan-{lent_id}")).await;
        assert!(article.contains("该资源已撤回"), "{article}");
        assert!(article.contains("片源需重新审核"), "{article}");
        // Recalled on a Wednesday: due three days later, the next open day (Monday).
        assert!(
            article.contains(&format!("请于 {} 前归还实体拷贝", day(7))),
            "{article}"
        );
        both_widths(&b, "issue15-unit-loans").await;
        b.assert_console_clean("on the unit's loans", &[]).await;
    })
    .await;
}
