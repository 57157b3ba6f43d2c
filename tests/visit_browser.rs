//! A unit officer books a visit in headless Chromium (issue 17): chooses a base,
//! picks two sessions in order of preference, sees the request on `/visits`, confirms
//! it once the committee has scheduled it, and opens the confirmation letter (its
//! print style checked with print media emulation). Screenshots of `/visits/new`,
//! `/visits`, `/visits/{id}` and the letter at desktop and phone width go to
//! `target/screenshots/visit-*.png`. Skips like the other browser tests without Chromium.

use fantoccini::Locator;
use jingshi::accounts::Role;
use serde_json::json;

use crate::browser::{Browser, with_browser};
use crate::common::lending::{MONDAY, day};
use crate::common::visiting::{act_ok, base, session};
use crate::common::{TestApp, USER_PASSWORD};

/// Photographs the page at desktop width, then at phone width, where it must not
/// scroll sideways.
async fn both_widths(b: &Browser, name: &str) {
    b.screenshot_page(&format!("visit-{name}")).await;
    b.client.set_window_size(390, 844).await.expect("phone");
    let overflow = b
        .js("return document.documentElement.scrollWidth > window.innerWidth + 1")
        .await;
    assert_eq!(overflow, false, "{name}: sideways scrolling on a phone");
    b.screenshot_page(&format!("visit-{name}-phone")).await;
    b.client.set_window_size(1280, 900).await.expect("desktop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_books_two_sessions_confirms_and_prints_the_letter() {
    let app = TestApp::spawn().await;
    app.state.clock.set_date(MONDAY);
    let librarian = app.librarian("visit-lib").await;
    base(&app, &librarian, "jidi", false).await;
    app.state
        .db
        .get()
        .expect("connection")
        .execute(
            "UPDATE base_details SET directions = '乘地铁 3 号线至示例站 B 出口，步行约 500 米',
                    requirements = '携带本人身份证；着装整洁；参观期间不得拍照录像，听从讲解员安排'
             WHERE resource_id = 'jidi'",
            [],
        )
        .expect("base details");
    session(&librarian, "jidi", 1, 60).await;
    let first = session(&librarian, "jidi", 7, 60).await;
    let second = session(&librarian, "jidi", 8, 60).await;
    let (status, trial) = librarian
        .post_json(
            "/api/v1/bases/jidi/sessions",
            &json!({"date": day(9), "start": "14:30", "end": "17:00", "capacity": 20,
                    "label": "庭审旁听：示例受贿案"}),
        )
        .await;
    assert_eq!(status, 201, "{trial}");
    app.add_user("visit-officer", &[Role::Borrower], Some("yn-tax"));

    with_browser(app, |b, app| async move {
        b.sign_in(&app, "visit-officer", USER_PASSWORD).await;
        b.click("nav.primary a[href=\"/visits\"]").await;
        b.wait_path("/visits").await;
        b.click("a.button[href=\"/visits/new\"]").await;
        b.wait_path("/visits/new").await;
        both_widths(&b, "choose-base").await;
        b.click("a[href=\"/visits/new?base=jidi\"]").await;
        b.wait_path("base=jidi").await;

        // Two sessions, the later one preferred.
        for (select, session) in [("#pref1", &second), ("#pref2", &first)] {
            b.client
                .find(Locator::Css(select))
                .await
                .expect("preference list")
                .select_by_value(&session["id"].to_string())
                .await
                .expect("choose a session");
        }
        let near_disabled = b
            .js("return Array.from(document.querySelectorAll('#pref1 option')).filter(o => o.disabled).length")
            .await;
        assert_eq!(near_disabled, json!(1), "the session inside the lead time");
        b.type_into("#headcount", "20").await;
        b.type_into("#liaison_name", "李联络").await;
        b.type_into("#liaison_phone", "13800138000").await;
        b.type_into("#purpose", "党风廉政警示教育").await;
        b.click("input[name=share]").await;
        both_widths(&b, "new").await;
        b.click(".visit-form button[type=submit]").await;
        let path = b.wait_path("created=1").await;
        let id: i64 = path
            .trim_start_matches("/visits/")
            .split('?')
            .next()
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("no visit in {path}"));
        let notice = b.text(".notice").await;
        assert!(notice.contains("已提交参观申请"), "{notice}");
        let preferences = b.text(".visit-plan ol.preferences").await;
        assert!(
            preferences.find(&day(8)) < preferences.find(&day(7)),
            "in the order chosen: {preferences}"
        );

        b.goto(&app, "/visits").await;
        let state = b.text(&format!("#visit-{id} .visit-state")).await;
        assert_eq!(state, "待安排");
        both_widths(&b, "list-requested").await;

        // The committee schedules it; the unit confirms from its list.
        let visit = json!({"id": id});
        act_ok(&librarian, &visit, "schedule", json!({"session_id": second["id"]})).await;
        b.goto(&app, "/visits").await;
        let note = b.text("#notifications .notice-list li").await;
        assert!(note.contains(&format!("参观 #{id}")), "{note}");
        b.click(&format!("form[action=\"/visits/{id}/confirm\"] button")).await;
        b.wait_path("done=confirm").await;
        let state = b.text(&format!("#visit-{id} .visit-state")).await;
        assert_eq!(state, "已确认");
        both_widths(&b, "list").await;

        b.goto(&app, &format!("/visits/{id}")).await;
        both_widths(&b, "detail").await;
        b.click(&format!("a[href=\"/visits/{id}/letter\"]")).await;
        b.wait_path("/letter").await;
        let letter = b.text(".visit-letter").await;
        for said in ["参观确认函", "李联络", "盖章", "乘地铁 3 号线"] {
            assert!(letter.contains(said), "{said}: {letter}");
        }
        both_widths(&b, "letter").await;

        // As printed: the letter alone on A4, no header, navigation or buttons.
        let emulated = b.cdp("Emulation.setEmulatedMedia", json!({"media": "print"})).await;
        assert!(emulated.get("value").is_some(), "{emulated}");
        let shown = b
            .js("const shown = s => { const e = document.querySelector(s); return !!e && e.getClientRects().length > 0; }; \
                 return [shown('header.site'), shown('nav.primary'), shown('footer.site'), shown('.slip-tools'), shown('.crumbs'), shown('.visit-letter')]")
            .await;
        assert_eq!(shown, json!([false, false, false, false, false, true]), "print style");
        b.client.set_window_size(794, 1123).await.expect("A4 width");
        b.screenshot_page("visit-letter-print").await;
        b.cdp("Emulation.setEmulatedMedia", json!({"media": ""})).await;
        b.client.set_window_size(1280, 900).await.expect("desktop");
        b.assert_console_clean("booking and printing a visit", &[]).await;
    })
    .await;
}
