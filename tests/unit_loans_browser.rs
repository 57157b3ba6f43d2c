//! A unit officer's loan page in headless Chromium: the header counts unread notices,
//! and a renewal asked too far comes back beside its loan with the date kept.

use jingshi::accounts::Role;

use crate::browser::with_browser;
use crate::common::lending::{MONDAY, approved, day, lendable_titled};
use crate::common::{TestApp, USER_PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unread_badge_and_a_refused_renewal_beside_its_loan() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("unit-loans-lib").await;
    lendable_titled(&librarian, "unit-loans-film", "续借测试片", Some(1), 0).await;
    app.add_user("renew-officer", &[Role::Borrower], Some("yn-tax"));
    let officer = app.login("renew-officer", USER_PASSWORD).await;
    let loan = approved(
        &librarian,
        &officer,
        "unit-loans-film",
        "digital",
        &day(0),
        &day(2),
    )
    .await;
    let id = loan["id"].as_i64().unwrap();
    app.sweep();
    let (_, notes) = officer.get_json("/api/v1/notifications").await;
    let unread = notes["unread"].as_u64().unwrap();
    assert!(unread >= 1, "{notes}");

    with_browser(app, move |b, app| async move {
        b.sign_in(&app, "renew-officer", USER_PASSWORD).await;
        // The approval is unread: the header says so on every page.
        let badge = b.text("nav.primary a[href='/loans'] .nav-count").await;
        assert!(badge.contains(&unread.to_string()), "{badge}");
        b.goto(&app, "/loans").await;
        b.wait_path("/loans").await;
        let too_far = day(200);
        b.js(&format!(
            "document.querySelector('form[action=\"/loans/{id}/renew\"] input[name=end]').value = '{too_far}';"
        ))
        .await;
        b.click(&format!("form[action=\"/loans/{id}/renew\"] button[type=submit]")).await;
        b.wait_js(
            &format!("return document.querySelector('#loan-{id}-error') !== null"),
            "the refusal beside the loan",
            10,
        )
        .await;
        let error = b.text(&format!("#loan-{id}-error")).await;
        assert!(error.contains("超过"), "{error}");
        let kept = b
            .js(&format!(
                "return document.querySelector('form[action=\"/loans/{id}/renew\"] input[name=end]').value"
            ))
            .await;
        assert_eq!(kept, too_far.as_str());
        let pager = b.js("return document.querySelector('nav.pager') === null").await;
        assert_eq!(pager, true, "the loan's own page, not an older one");
        b.screenshot_page("loans-renew-refused").await;
        b.client.set_window_size(390, 844).await.expect("resize");
        let overflow = b
            .js("return document.documentElement.scrollWidth > window.innerWidth + 1")
            .await;
        assert_eq!(overflow, false, "no horizontal scrolling on a phone");
        b.screenshot_page("loans-renew-refused-phone").await;
        b.client.set_window_size(1280, 900).await.expect("resize");
        // The refusal is answered 409 on purpose; the browser logs the status.
        b.assert_console_clean("on the unit's loans", &["409 (Conflict)"]).await;
    })
    .await;
}
