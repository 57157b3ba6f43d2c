//! Holiday periods in the browser (issue 19): a librarian confirms the year's dates
//! with one changed, the sweep reminds the units three weeks before 春节, and an
//! officer finds the reminder with its link to the season's collections. Pages are
//! photographed at desktop and phone width.

use jiff::civil::date;

use crate::browser::{Browser, with_browser};
use crate::common::{TestApp, USER_PASSWORD};

/// Both widths, under `seasons-` (see [`Browser::photograph_desktop_and_phone`]).
async fn photograph(b: &Browser, name: &str) {
    b.photograph_desktop_and_phone(&format!("seasons-{name}"))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_librarian_confirms_the_dates_and_an_officer_sees_the_reminder() {
    let app = TestApp::spawn_on(date(2026, 1, 10)).await;
    app.add_user("lib", &[jingshi::accounts::Role::Librarian], None);
    app.add_user(
        "tax-officer",
        &[jingshi::accounts::Role::Borrower],
        Some("yn-tax"),
    );
    with_browser(app, move |b, app| async move {
        b.sign_in(&app, "lib", USER_PASSWORD).await;
        b.goto(&app, "/librarian/queue").await;
        b.click("a[href='/librarian/seasons']").await;
        b.wait_path("/librarian/seasons").await;
        assert_eq!(b.text("h1").await, "节点日期 · 2026 年");
        let spring = b.text("#season-chunjie").await;
        assert!(spring.contains("根据休息日推算，未确认"), "{spring}");
        photograph(&b, "proposed").await;

        // 春节 a day earlier; a wrong 端午 first, refused beside the form.
        b.js(
            "document.querySelector('[name=chunjie_start]').value = '2026-02-14';\
              document.querySelector('[name=chunjie_end]').value = '2026-02-22';\
              document.querySelector('[name=duanwu_end]').value = '2026-06-01';",
        )
        .await;
        b.click(".seasons-form button[type=submit]").await;
        b.wait_js(
            "return document.querySelector('#seasons-error')",
            "the refusal",
            30,
        )
        .await;
        assert!(b.text("#seasons-error").await.contains("端午"));
        let kept = b
            .js("return document.querySelector('[name=chunjie_start]').value")
            .await;
        assert_eq!(kept, "2026-02-14", "typed values are kept");
        photograph(&b, "refused").await;
        b.js("document.querySelector('[name=duanwu_end]').value = '2026-06-21';")
            .await;
        b.click(".seasons-form button[type=submit]").await;
        b.wait_path("done=saved").await;
        assert!(b.text(".notice").await.contains("已保存 2026 年"));
        assert!(b.text("#season-chunjie").await.contains("已确认"));
        let saved = b
            .js("return document.querySelector('[name=chunjie_start]').value")
            .await;
        assert_eq!(saved, "2026-02-14");
        b.assert_console_clean("editing the seasons", &["422"])
            .await;

        // Three weeks before the confirmed 春节 the sweep reminds the units.
        app.state.clock.set_date(date(2026, 1, 24));
        let told = {
            let mut conn = app.state.db.get().unwrap();
            jingshi::seasons::remind(&mut conn, app.state.clock.moment()).unwrap()
        };
        assert!(told > 0);
        b.goto(&app, "/librarian/seasons?year=2026").await;
        assert!(b.text("#sent").await.contains("国家税务总局云南省税务局"));
        photograph(&b, "sent").await;

        b.click(".logout button").await;
        b.wait_path("/login").await;
        b.sign_in(&app, "tax-officer", USER_PASSWORD).await;
        b.goto(&app, "/loans").await;
        let notes = b.text("#notifications").await;
        assert!(
            notes.contains("春节（2026-02-14 至 2026-02-22）将至"),
            "{notes}"
        );
        photograph(&b, "officer-reminder").await;
        b.click("#notifications a[href='/collections?season=chunjie']")
            .await;
        b.wait_path("/collections?season=chunjie").await;
    })
    .await;
}
