//! A unit officer in headless Chromium: the availability calendar fills the request
//! form without losing what was typed, and a form sent after the session expired
//! comes back filled in after signing in again.

use jingshi::accounts::Role;

use crate::browser::with_browser;
use crate::common::lending::{MONDAY, approved, day, lendable_titled};
use crate::common::{TestApp, USER_PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calendar_fills_the_form_and_an_expired_session_keeps_it() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("browser-cal-lib").await;
    lendable_titled(&librarian, "browser-cal", "日历浏览器测试片", Some(1), 0).await;
    let customs = app.borrower("browser-cal-customs", "kunming-customs").await;
    approved(
        &librarian,
        &customs,
        "browser-cal",
        "digital",
        &day(7),
        &day(11),
    )
    .await;
    app.add_user("cal-officer", &[Role::Borrower], Some("yn-tax"));

    with_browser(app, |b, app| async move {
        b.sign_in(&app, "cal-officer", USER_PASSWORD).await;
        b.goto(&app, "/resources/browser-cal#loan").await;
        b.wait_js(
            "return document.querySelector('.availability-calendar') !== null",
            "the availability calendar",
            10,
        )
        .await;
        b.type_into("input[name=purpose]", "中秋节前专题警示教育").await;
        b.type_into("input[name=audience]", "85").await;
        // Day 8 is full; day 2 is free. A click fills the dates and stays on the page.
        let full = b
            .js(&format!(
                "return document.querySelector('td[title^=\"{}\"]').className",
                day(8)
            ))
            .await;
        assert_eq!(full, "full");
        b.click(&format!("a[data-day=\"{}\"]", day(2))).await;
        let dates = b
            .js("return [document.querySelector('input[name=start]').value, \
                 document.querySelector('input[name=end]').value, \
                 document.querySelector('input[name=purpose]').value, location.search]")
            .await;
        assert_eq!(dates[0], day(2).as_str());
        assert_eq!(dates[1], day(4).as_str());
        assert_eq!(dates[2], "中秋节前专题警示教育", "what was typed stays");
        assert_eq!(dates[3], "", "no page load, nothing in the address");
        b.screenshot_page("loan-calendar").await;
        b.client.set_window_size(390, 844).await.expect("resize");
        let overflow = b
            .js("return document.documentElement.scrollWidth > window.innerWidth + 1")
            .await;
        assert_eq!(overflow, false, "no horizontal scrolling on a phone");
        b.screenshot_page("loan-calendar-phone").await;
        b.client.set_window_size(1280, 900).await.expect("resize");

        // The session ends while the officer decides; the form is sent anyway.
        app.state
            .db
            .get()
            .unwrap()
            .execute("DELETE FROM sessions", [])
            .unwrap();
        b.click("form.loan-form button[type=submit]:not([formaction])").await;
        b.wait_path("/login").await;
        let notice = b.text(".login .notice").await;
        assert!(notice.contains("登录已过期，请重新登录"), "{notice}");
        b.screenshot("login-expired").await;
        b.type_into("#username", "cal-officer").await;
        b.type_into("#password", USER_PASSWORD).await;
        b.click(".login button[type=submit]").await;
        b.wait_path("/resources/browser-cal").await;
        b.wait_js(
            "return document.querySelector('input[name=purpose]').value",
            "the draft filled in",
            10,
        )
        .await;
        let kept = b
            .js("return [document.querySelector('input[name=start]').value, \
                 document.querySelector('input[name=end]').value, \
                 document.querySelector('input[name=purpose]').value, \
                 document.querySelector('input[name=audience]').value, location.search]")
            .await;
        assert_eq!(kept[0], day(2).as_str());
        assert_eq!(kept[1], day(4).as_str());
        assert_eq!(kept[2], "中秋节前专题警示教育");
        assert_eq!(kept[3], "85");
        assert_eq!(kept[4], "", "the draft's token left the address");
        b.screenshot_page("loan-form-restored").await;
        b.click("form.loan-form button[type=submit]:not([formaction])").await;
        b.wait_path("/loans").await;
        assert_eq!(
            app.count("SELECT count(*) FROM loans WHERE purpose = '中秋节前专题警示教育' AND audience = 85"),
            1
        );
        b.assert_console_clean("on the loan form", &[]).await;
    })
    .await;
}
