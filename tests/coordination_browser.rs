//! The coordinator's week in headless Chromium (issue 17): open a base's week, add a
//! one-off session, schedule a request onto its preferred session, cancel another
//! session with a reason, and print the reception sheet (print media emulated).
//! Screenshots of the bases list, the week view and the reception sheet at desktop
//! and phone width go to `target/screenshots/`. Skips without Chromium like the
//! other browser tests.

use serde_json::json;

use crate::browser::with_browser;
use crate::common::lending::{MONDAY, day};
use crate::common::visiting::{act_ok, base, requested, session};
use crate::common::{TestApp, USER_PASSWORD};
use crate::queue_browser::both_widths;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_adds_a_session_schedules_a_request_and_cancels_a_session() {
    let app = TestApp::spawn().await;
    app.state.clock.set_date(MONDAY);
    let lib = app.librarian("coord").await;
    let tax = app.borrower("tax", "yn-tax").await;
    let customs = app.borrower("customs", "kunming-customs").await;
    let grain = app.borrower("grain", "yn-grain").await;
    base(&app, &lib, "jidi", false).await;
    let monday = session(&lib, "jidi", 7, 60).await;
    let tuesday = session(&lib, "jidi", 8, 30).await;
    let thursday = session(&lib, "jidi", 10, 40).await;
    let wanted = requested(&tax, "jidi", &[&tuesday, &monday], 25, true).await;
    let seated = requested(&customs, "jidi", &[&thursday], 18, false).await;
    act_ok(
        &lib,
        &seated,
        "schedule",
        json!({"session_id": thursday["id"]}),
    )
    .await;
    requested(&grain, "jidi", &[&tuesday], 10, true).await;
    let (wanted_id, tuesday_id, thursday_id) = (
        wanted["id"].clone(),
        tuesday["id"].clone(),
        thursday["id"].clone(),
    );
    let week = format!("/librarian/bases/jidi?week={}", day(7));

    with_browser(app, move |b, app| async move {
        b.sign_in(&app, "coord", USER_PASSWORD).await;
        let nav = b.text("nav.primary").await;
        assert!(nav.contains("参观协调"), "{nav}");
        both_widths(&b, &app, "/librarian/bases", "coord-bases").await;
        b.goto(&app, "/librarian/bases").await;
        b.click("a[href='/librarian/bases/jidi']").await;
        b.wait_path("/librarian/bases/jidi").await;
        b.goto(&app, &week).await;

        // A one-off session on Wednesday: date and times set as a date picker would.
        b.js(&format!(
            "const f = document.querySelector('#add-session form'); \
             f.date.value = '{}'; f.start.value = '14:00'; f.end.value = '16:00';",
            day(9)
        ))
        .await;
        b.type_into("#add-session input[name=capacity]", "12").await;
        b.type_into("#add-session input[name=label]", "庭审旁听：某受贿案").await;
        b.click("#add-session button[type=submit]").await;
        b.wait_path("done=session").await;
        let grid = b.text("#week").await;
        assert!(grid.contains("庭审旁听：某受贿案") && grid.contains("已占 0 / 12 座"), "{grid}");

        // Schedule the request onto its first preference.
        b.click(&format!("#visit-{wanted_id} button[name=session_id][value='{tuesday_id}']")).await;
        b.wait_path("done=schedule").await;
        let notice = b.text(".notice").await;
        assert!(notice.contains(&format!("#{wanted_id}")), "{notice}");
        let tuesday_card = b.text(&format!("#session-{tuesday_id}")).await;
        assert!(tuesday_card.contains("国家税务总局云南省税务局") && tuesday_card.contains("已占 25 / 30"), "{tuesday_card}");
        // The other request for Tuesday no longer fits there, and says so.
        let pending = b.text("#pending").await;
        assert!(pending.contains("只剩 5 个座位"), "{pending}");

        // Cancel Thursday's session with a reason; its group is cancelled.
        b.click(&format!("#session-{thursday_id} details:last-of-type summary")).await;
        b.type_into(&format!("#cancel-reason-{thursday_id}"), "基地临时闭馆检修").await;
        b.click(&format!("#session-{thursday_id} form[action$='/cancel'] button")).await;
        b.wait_path("done=cancel").await;
        let card = b.text(&format!("#session-{thursday_id}")).await;
        assert!(card.contains("取消") && card.contains("原因：基地临时闭馆检修"), "{card}");
        b.assert_console_clean("coordinating the week", &[]).await;
        both_widths(&b, &app, &week, "coord-week").await;

        // The reception sheet of Tuesday's session, on screen and as printed.
        let sheet = format!("/librarian/sessions/{tuesday_id}/sheet");
        both_widths(&b, &app, &sheet, "coord-sheet").await;
        b.goto(&app, &sheet).await;
        let text = b.text(".sheet").await;
        for words in ["参观接待单", "测试基地 jidi", "国家税务总局云南省税务局", "25", "待确认", "基地接待人签字"] {
            assert!(text.contains(words), "{words}: {text}");
        }
        b.js("window.__printed = false; window.print = () => { window.__printed = true; };").await;
        b.click("button[data-print]").await;
        assert_eq!(b.js("return window.__printed").await, true);
        let emulated = b.cdp("Emulation.setEmulatedMedia", json!({"media": "print"})).await;
        assert!(emulated.get("value").is_some(), "{emulated}");
        let shown = b
            .js("const shown = s => { const e = document.querySelector(s); return e && getComputedStyle(e).display !== 'none'; }; \
                 return [shown('header.site'), shown('footer.site'), shown('.slip-tools'), shown('.crumbs'), shown('.sheet')]")
            .await;
        assert_eq!(shown, json!([false, false, false, false, true]), "print style");
        b.client.set_window_size(794, 1123).await.expect("A4-like size");
        b.screenshot_page("coord-sheet-print").await;
        b.cdp("Emulation.setEmulatedMedia", json!({"media": ""})).await;
        b.client.set_window_size(1280, 900).await.expect("resize");
        b.assert_console_clean("printing the reception sheet", &[]).await;
    })
    .await;
}
