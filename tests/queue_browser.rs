//! The queue and the desk in headless Chromium (issue 15): a librarian approves the
//! selected rows at once (one refused, with the reason), issues a copy from today's
//! desk and prints its slip (the print style checked with print media emulation).
//! Screenshots of the queue, today's desk, the slip (screen and print), the loan
//! settings and the resource's copy table, at desktop and phone width, go to
//! `target/screenshots/`. Skips like the other browser tests without Chromium.

use serde_json::json;

use crate::browser::{Browser, with_browser};
use crate::common::lending::{MONDAY, approved, day, requested};
use crate::common::{TestApp, USER_PASSWORD};
use crate::queue_table::{no_more_licences, set_liaison, shelf_film};

const PHONE: (u32, u32) = (390, 844);
const DESKTOP: (u32, u32) = (1280, 900);

/// Screenshots `path` at desktop and phone width; on the phone nothing may scroll
/// sideways but a table's own scroller.
pub(crate) async fn both_widths(b: &Browser, app: &TestApp, path: &str, name: &str) {
    b.client
        .set_window_size(DESKTOP.0, DESKTOP.1)
        .await
        .expect("resize");
    b.goto(app, path).await;
    b.screenshot_page(name).await;
    b.client
        .set_window_size(PHONE.0, PHONE.1)
        .await
        .expect("resize");
    b.goto(app, path).await;
    let overflow = b
        .js("return document.documentElement.scrollWidth > window.innerWidth + 1")
        .await;
    assert_eq!(overflow, false, "{path} scrolls sideways on a phone");
    b.screenshot_page(&format!("{name}-phone")).await;
    b.client
        .set_window_size(DESKTOP.0, DESKTOP.1)
        .await
        .expect("resize");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_librarian_approves_selected_rows_issues_a_copy_and_prints_its_slip() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("desk-lib").await;
    let tax = app.borrower("tax", "yn-tax").await;
    let customs = app.borrower("customs", "kunming-customs").await;
    let grain = app.borrower("grain", "yn-grain").await;
    set_liaison(&app, "yn-tax", "王联络", "13908710000", "wang@tax.example");
    set_liaison(&app, "kunming-customs", "赵海关", "0871-6301 2345", "");
    shelf_film(
        &lib,
        "browser-film",
        "浏览器测试警示片",
        3,
        &["BR-1", "BR-2"],
    )
    .await;
    shelf_film(&lib, "tight-film", "容量收紧测试片", 1, &[]).await;
    let first = requested(&tax, "browser-film", "digital", &day(3), &day(4)).await;
    let second = requested(&customs, "browser-film", "digital", &day(3), &day(4)).await;
    let tight = requested(&grain, "tight-film", "digital", &day(5), &day(6)).await;
    requested(&customs, "browser-film", "physical", &day(8), &day(9)).await;
    let pickup = approved(&lib, &tax, "browser-film", "physical", &day(1), &day(3)).await;
    // The tight film loses its licence: approving its request will be refused.
    no_more_licences(&lib, "tight-film").await;
    let ids = [&first, &second, &tight].map(|l| l["id"].as_i64().unwrap());
    let pickup_id = pickup["id"].as_i64().unwrap();

    with_browser(app, move |b, app| async move {
        b.sign_in(&app, "desk-lib", USER_PASSWORD).await;
        let badge = b.text("nav.primary .nav-count").await;
        assert!(badge.contains('4'), "pending count in the nav: {badge}");
        both_widths(&b, &app, "/librarian/queue", "queue").await;

        // Select three rows (one will be refused) and approve them at once.
        b.goto(&app, "/librarian/queue").await;
        let all = b.js("return document.querySelector('.select-all').hidden").await;
        assert_eq!(all, false, "the script offers 'select all'");
        for id in ids {
            b.click(&format!("#pick-{id}")).await;
        }
        b.click("#bulk button[type=submit]").await;
        b.wait_js("return document.getElementById('bulk-outcome') !== null", "the bulk outcome", 30)
            .await;
        let outcome = b.text("#bulk-outcome").await;
        assert!(outcome.contains(&format!("已批准 2 笔：#{}、#{}", ids[0], ids[1])), "{outcome}");
        assert!(outcome.contains(&format!("#{}：", ids[2])) && outcome.contains("已没有空余的数字许可"), "{outcome}");
        let still = b.js(&format!("return document.getElementById('pick-{}').checked", ids[2])).await;
        assert_eq!(still, true, "the refused row stays selected");
        b.screenshot_page("queue-bulk-outcome").await;
        b.assert_console_clean("approving the selected rows", &[]).await;

        // Filters live in the address.
        b.goto(&app, "/librarian/queue?state=all&format=physical&sort=-start").await;
        let selected = b.js("return [document.getElementById('q-state').value, document.getElementById('q-format').value, document.getElementById('q-sort').value]").await;
        assert_eq!(selected, json!(["all", "physical", "-start"]));
        b.screenshot_page("queue-filtered").await;

        // Today's desk: the pick-up with the liaison; issue the copy offered.
        both_widths(&b, &app, "/librarian/today", "today").await;
        b.goto(&app, "/librarian/today").await;
        let offered = b
            .js(&format!("return [...document.querySelectorAll('#shelf-{pickup_id} option')].map(o => o.value)"))
            .await;
        assert_eq!(offered, json!(["BR-1", "BR-2"]));
        assert!(b.text(&format!("#loan-{pickup_id} .liaison")).await.contains("王联络"));
        b.type_into(&format!("#loan-{pickup_id} input[name=barcode]"), " br-2 ").await;
        b.click(&format!("#loan-{pickup_id} .issue-form button[type=submit]")).await;
        b.wait_path("done=issue").await;
        let notice = b.text(".notice").await;
        assert!(notice.contains("打印出借凭证"), "{notice}");
        b.screenshot_page("today-issued").await;
        b.click(".notice a.button").await;
        b.wait_path(&format!("/librarian/loans/{pickup_id}/slip")).await;
        let slip = b.text(".slip").await;
        for words in ["实体拷贝出借凭证", "国家税务总局云南省税务局", "王联络", "浏览器测试警示片", "BR-2", "desk-lib", "领取人签字"] {
            assert!(slip.contains(words), "{words}: {slip}");
        }
        // The print button (shown by the script) prints.
        b.js("window.__printed = false; window.print = () => { window.__printed = true; };").await;
        b.click("button[data-print]").await;
        assert_eq!(b.js("return window.__printed").await, true);
        both_widths(&b, &app, &format!("/librarian/loans/{pickup_id}/slip"), "slip").await;

        // As printed: only the slip, no header, navigation or buttons.
        b.goto(&app, &format!("/librarian/loans/{pickup_id}/slip")).await;
        let emulated = b.cdp("Emulation.setEmulatedMedia", json!({"media": "print"})).await;
        assert!(emulated.get("value").is_some(), "{emulated}");
        let hidden = b
            .js("const shown = s => { const e = document.querySelector(s); return e && getComputedStyle(e).display !== 'none'; }; \
                 return [shown('header.site'), shown('footer.site'), shown('.slip-tools'), shown('.crumbs'), shown('.slip')]")
            .await;
        assert_eq!(hidden, json!([false, false, false, false, true]), "print style");
        b.client.set_window_size(560, 794).await.expect("A5-like width");
        b.screenshot_page("slip-print").await;
        b.cdp("Emulation.setEmulatedMedia", json!({"media": ""})).await;
        b.client.set_window_size(DESKTOP.0, DESKTOP.1).await.expect("resize");
        b.assert_console_clean("issuing and printing", &[]).await;

        // The other changed pages.
        both_widths(&b, &app, "/librarian/resources/browser-film/loan-settings", "loan-settings").await;
        both_widths(&b, &app, "/resources/browser-film#loan", "resource-copies-librarian").await;
        b.assert_console_clean("on the settings and resource pages", &[]).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_borrower_sees_how_many_copies_are_out_but_not_with_whom() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let tax = app.borrower("tax", "yn-tax").await;
    app.borrower("customs", "kunming-customs").await;
    shelf_film(&lib, "copies-film", "拷贝计数测试片", 1, &["CP-1", "CP-2"]).await;
    let out = approved(&lib, &tax, "copies-film", "physical", &day(0), &day(2)).await;
    crate::common::lending::act_ok(&lib, &out, "issue", json!({"barcode": "CP-1"})).await;
    with_browser(app, |b, app| async move {
        b.sign_in(&app, "customs", USER_PASSWORD).await;
        both_widths(
            &b,
            &app,
            "/resources/copies-film#loan",
            "resource-copies-borrower",
        )
        .await;
        let table = b.text("table.copies").await;
        assert!(
            table.contains("已借出") && table.contains("在架"),
            "{table}"
        );
        assert!(!table.contains("税务"), "{table}");
        b.assert_console_clean("on the resource page", &[]).await;
    })
    .await;
}
