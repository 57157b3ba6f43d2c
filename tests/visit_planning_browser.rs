//! Issue 17's remaining journeys in headless Chromium: a unit uploads its visitor
//! list on the visit's page and sees it masked; the coordinator proposes a week
//! (一键排期), changes a line and applies it. Screenshots at desktop and phone width
//! go to `target/screenshots/visit-list-*.png` and `coord-proposal-*.png`.

use fantoccini::Locator;
use jingshi::accounts::Role;
use serde_json::json;

use crate::browser::{Browser, with_browser};
use crate::common::lending::{MONDAY, day};
use crate::common::visiting::{base, id_number, requested, session};
use crate::common::{TestApp, USER_PASSWORD};

async fn both_widths(b: &Browser, name: &str) {
    b.screenshot_page(name).await;
    b.client.set_window_size(390, 844).await.expect("phone");
    let overflow = b
        .js("return document.documentElement.scrollWidth > window.innerWidth + 1")
        .await;
    if overflow != false {
        let wide = b
            .js("return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))")
            .await;
        panic!("{name}: sideways scrolling on a phone, widest: {wide}");
    }
    b.screenshot_page(&format!("{name}-phone")).await;
    b.client.set_window_size(1280, 900).await.expect("desktop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_uploads_its_visitor_list_and_sees_it_masked() {
    let app = TestApp::spawn().await;
    app.state.clock.set_date(MONDAY);
    let librarian = app.librarian("list-lib").await;
    base(&app, &librarian, "prison", true).await;
    let slot = session(&librarian, "prison", 7, 60).await;
    let officer = app.borrower("list-officer", "yn-tax").await;
    let visit = requested(&officer, "prison", &[&slot], 3, true).await;
    let id = visit["id"].as_i64().unwrap();
    let numbers = [id_number("19810203", 41), id_number("19790405", 42)];
    let sheet = app.dir.path().join("名单.csv");
    std::fs::write(
        &sheet,
        format!("姓名,身份证号\n陈一,{}\n林二,{}\n", numbers[0], numbers[1]),
    )
    .expect("sheet");
    app.add_user("list-officer-2", &[Role::Borrower], Some("yn-tax"));

    with_browser(app, |b, app| async move {
        b.sign_in(&app, "list-officer-2", USER_PASSWORD).await;
        b.goto(&app, &format!("/visits/{id}")).await;
        let field = b
            .client
            .find(Locator::Css("#visitors-file"))
            .await
            .expect("file field");
        field
            .send_keys(&sheet.display().to_string())
            .await
            .expect("choose file");
        b.click(".visitor-upload button[type=submit]").await;
        b.wait_path("done=visitors").await;
        let table = b.text(".visitor-table").await;
        assert!(table.contains("陈一") && table.contains("林二"), "{table}");
        let masked = format!("{}********{}", &numbers[0][..6], &numbers[0][14..]);
        assert!(table.contains(&masked), "{table}");
        assert!(
            !table.contains(&numbers[0]),
            "never the full number: {table}"
        );
        both_widths(&b, "visit-list").await;
        b.assert_console_clean("uploading a visitor list", &[])
            .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_proposes_a_week_changes_a_line_and_applies_it() {
    let app = TestApp::spawn().await;
    app.state.clock.set_date(MONDAY);
    let librarian = app.librarian("plan-lib").await;
    base(&app, &librarian, "jidi", false).await;
    let tuesday = session(&librarian, "jidi", 8, 60).await;
    let wednesday = session(&librarian, "jidi", 9, 60).await;
    let officer = app.borrower("plan-officer", "yn-tax").await;
    let customs = app.borrower("plan-customs", "kunming-customs").await;
    let first = requested(&officer, "jidi", &[&tuesday, &wednesday], 20, true).await;
    let second = requested(&customs, "jidi", &[&tuesday], 20, true).await;
    app.add_user("plan-coordinator", &[Role::Librarian], None);

    with_browser(app, |b, app| async move {
        b.sign_in(&app, "plan-coordinator", USER_PASSWORD).await;
        b.goto(&app, &format!("/librarian/bases/jidi?week={}", day(7)))
            .await;
        b.click(".proposal-start button").await;
        b.wait_js(
            "return !!document.querySelector('.proposal-table')",
            "the proposal",
            20,
        )
        .await;
        both_widths(&b, "coord-proposal").await;
        // Both fit on Tuesday; the coordinator moves the first to its second choice.
        b.client
            .find(Locator::Css(&format!("select[name=line_{}]", first["id"])))
            .await
            .expect("line")
            .select_by_value(&wednesday["id"].to_string())
            .await
            .expect("choose");
        b.click(".proposal-form button[type=submit]").await;
        b.wait_path("done=proposal").await;
        let notice = b.text(".notice").await;
        assert!(notice.contains("安排 2 个申请"), "{notice}");
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) FROM visits WHERE id = {} AND session_id = {}",
                first["id"], wednesday["id"]
            )),
            1,
            "the line as the coordinator changed it"
        );
        both_widths(&b, "coord-proposal-applied").await;
        b.assert_console_clean("proposing a week", &[]).await;
        assert_eq!(second["status"], json!("requested"));
    })
    .await;
    drop(customs);
}
