//! The request basket in headless Chromium (issue 19): an officer adds a film from
//! the search results and another from its resource page, sees on `/basket` that one
//! would wait and the nearest free period, and sends the basket; the librarian sees
//! the batch as one line of the queue and approves what fits at once. Screenshots
//! of `/basket` and the queue at desktop and phone width go to `target/screenshots/`.

use serde_json::json;

use crate::browser::with_browser;
use crate::common::lending::{MONDAY, day, lendable_titled, requested};
use crate::common::{TestApp, USER_PASSWORD};
use crate::queue_browser::both_widths;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_sends_a_basket_and_the_librarian_approves_it_as_one() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("basket-lib").await;
    lendable_titled(&lib, "festival-film", "节前廉洁提醒警示片", None, 0).await;
    lendable_titled(&lib, "scarce-film", "唯一许可警示片", Some(1), 0).await;
    let customs = app.borrower("customs", "kunming-customs").await;
    // Customs holds the only licence of the scarce film from Friday on.
    requested(&customs, "scarce-film", "digital", &day(4), &day(6)).await;
    app.add_user(
        "officer",
        &[jingshi::accounts::Role::Borrower],
        Some("yn-tax"),
    );

    with_browser(app, move |b, app| async move {
        b.sign_in(&app, "officer", USER_PASSWORD).await;
        // From the search results.
        b.goto(&app, "/search?q=%E8%8A%82%E5%89%8D%E5%BB%89%E6%B4%81")
            .await;
        b.click("form:has(input[name=resource_id][value=festival-film]) button")
            .await;
        b.wait_path("/search?q=").await;
        let flash = b.text(".notice.flash").await;
        assert!(flash.contains("已加入借阅清单（1 项）"), "{flash}");
        let badge = b.text("nav.primary .basket-count").await;
        assert!(badge.contains('1'), "{badge}");
        let noted = b.text(".hit-basket").await;
        assert!(noted.contains("已在借阅清单"), "{noted}");
        b.screenshot_page("basket-search").await;

        // From the resource page.
        b.goto(&app, "/resources/scarce-film").await;
        b.click("#basket-offer button").await;
        b.wait_js(
            "return document.querySelector('.notice.flash') !== null",
            "the notice after adding",
            30,
        )
        .await;
        assert!(b.path().await.starts_with("/resources/scarce-film"));
        b.screenshot("basket-resource").await;

        // The basket: choose the period and check it before sending.
        b.goto(&app, "/basket").await;
        b.set_field("input[name=start]", &day(3)).await;
        b.set_field("input[name=end]", &day(5)).await;
        b.type_into("input[name=purpose]", "中秋国庆节前警示教育")
            .await;
        b.type_into("input[name=audience]", "80").await;
        b.click("button[formaction='/basket/terms']").await;
        b.wait_path("/basket?done=saved").await;
        let waiting = b.text("#item-scarce-film").await;
        assert!(waiting.contains("将进入候补"), "{waiting}");
        assert!(
            waiting.contains(&format!("{} 至 {}", day(1), day(3))),
            "the nearest free period: {waiting}"
        );
        let fits = b.text("#item-festival-film").await;
        assert!(fits.contains("可借"), "{fits}");
        both_widths(&b, &app, "/basket", "basket").await;

        // Send it: the unit's loans page shows the batch.
        b.goto(&app, "/basket").await;
        b.click(".basket-form button:not([formaction])").await;
        b.wait_path("/loans?batch=").await;
        let notice = b.text(".notice").await;
        assert!(notice.contains("已提交借阅清单"), "{notice}");
        assert!(notice.contains("1 项进入候补"), "{notice}");
        b.screenshot_page("basket-sent").await;
        b.assert_console_clean("officer's basket", &[]).await;

        // The librarian: one line for the batch, approve what fits.
        b.click(".who form.logout button").await;
        b.wait_path("/login").await;
        b.sign_in(&app, "basket-lib", USER_PASSWORD).await;
        b.goto(&app, "/librarian/queue").await;
        let lines = b
            .js("return document.querySelectorAll('.batch-line').length")
            .await;
        assert_eq!(lines, json!(1));
        let line = b.text(".batch-line").await;
        assert!(line.contains("国家税务总局云南省税务局"), "{line}");
        assert!(line.contains("2 项"), "{line}");
        assert!(line.contains("中秋国庆节前警示教育"), "{line}");
        // The batch's loans are not rows of their own; the customs request is.
        let rows = b
            .js("return document.querySelectorAll('.loans-table tbody tr').length")
            .await;
        assert_eq!(rows, json!(1), "only customs' single request is a row");
        both_widths(&b, &app, "/librarian/queue", "queue-batch").await;
        b.goto(&app, "/librarian/queue").await;
        b.click(".batch-line details summary").await;
        let items = b.text(".batch-line details").await;
        assert!(items.contains("唯一许可警示片"), "{items}");
        b.click(".batch-line .batch-actions button").await;
        b.wait_js(
            "return document.getElementById('bulk-outcome') !== null",
            "the batch approval's outcome",
            30,
        )
        .await;
        let outcome = b.text("#bulk-outcome").await;
        assert!(outcome.contains("已批准 1 笔"), "{outcome}");
        assert!(outcome.contains("候补"), "{outcome}");
        b.screenshot_page("queue-batch-approved").await;
        b.assert_console_clean("librarian's queue", &[]).await;
    })
    .await;
}
