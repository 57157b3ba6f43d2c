//! Issue 19's whole journey in headless Chromium: an officer saves a search, opens
//! the demo 中秋国庆 collection, adds it whole to the unit's basket, drops one item and
//! sends one request; the librarian sees the batch as one line and approves it at
//! once; when the librarian then publishes a resource the saved search matches, the
//! officer's navigation counts it and `/searches` lists it.

use jingshi::accounts::Role;
use serde_json::json;

use crate::browser::{Browser, with_browser};
use crate::common::lending::{MONDAY, day};
use crate::common::{TestApp, USER_PASSWORD};

async fn sign_out(b: &Browser) {
    b.click(".who form.logout button").await;
    b.wait_path("/login").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collection_goes_whole_into_the_basket_and_a_saved_search_alerts() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("journey-lib").await;
    app.add_user("officer", &[Role::Borrower], Some("yn-tax"));

    with_browser(app, move |b, app| async move {
        b.sign_in(&app, "officer", USER_PASSWORD).await;

        // A saved search for mooncake cases, made from the results page.
        b.goto(&app, "/search?q=%E6%9C%88%E9%A5%BC%E7%A4%BC%E7%9B%92")
            .await;
        b.click(".save-search button[type=submit]").await;
        b.wait_path("/searches").await;
        assert!(b.text(".notice").await.contains("已保存"));

        // The season's collection, added whole.
        b.goto(&app, "/collections?season=zhongqiu").await;
        b.click(".collection-card a.collection-title").await;
        b.wait_path("/collections/").await;
        assert!(b.text("h1").await.contains("中秋国庆节前警示教育专题"));
        let offered = b
            .js("return Array.from(document.querySelectorAll('form:has(#add-all) input[name=resource_id]')).map(i => i.value)")
            .await;
        let offered: Vec<String> = serde_json::from_value(offered).expect("ids");
        assert!(offered.len() >= 3, "{offered:?}");
        b.click("#add-all").await;
        b.wait_js(
            "return document.querySelector('.notice.flash') !== null",
            "the notice after adding",
            30,
        )
        .await;
        let flash = b.text(".notice.flash").await;
        assert!(
            flash.contains(&format!("已加入借阅清单（{} 项）", offered.len())),
            "{flash}"
        );
        assert!(b.path().await.starts_with("/collections/"));

        // The basket holds every item; one is dropped.
        b.goto(&app, "/basket").await;
        let listed = b
            .js("return Array.from(document.querySelectorAll('.basket-item')).map(li => li.id.replace('item-', ''))")
            .await;
        let mut listed: Vec<String> = serde_json::from_value(listed).expect("ids");
        listed.sort();
        let mut expected = offered.clone();
        expected.sort();
        assert_eq!(listed, expected);
        let dropped = offered[0].clone();
        b.click(&format!(
            "#item-{dropped} form[action='/basket/remove'] button"
        ))
        .await;
        b.wait_js(
            &format!("return document.getElementById('item-{dropped}') === null"),
            "the dropped item gone",
            30,
        )
        .await;
        let kept = b
            .js("return document.querySelectorAll('.basket-item').length")
            .await;
        assert_eq!(kept, json!(offered.len() - 1));

        // One period, purpose and audience for all; checked, then sent.
        b.set_field("input[name=start]", &day(7)).await;
        b.set_field("input[name=end]", &day(9)).await;
        b.type_into("input[name=purpose]", "中秋国庆节前警示教育大会")
            .await;
        b.type_into("input[name=audience]", "60").await;
        b.click("button[formaction='/basket/terms']").await;
        b.wait_path("/basket?done=saved").await;
        b.click(".basket-form button:not([formaction])").await;
        b.wait_path("/loans?batch=").await;
        let notice = b.text(".notice").await;
        assert!(notice.contains("已提交借阅清单"), "{notice}");
        let loans = b.text("main").await;
        assert!(loans.contains("清单 #"), "batch loans are marked: {loans}");
        b.assert_console_clean("the officer's journey", &[]).await;
        sign_out(&b).await;

        // The librarian approves the batch as one.
        b.sign_in(&app, "journey-lib", USER_PASSWORD).await;
        b.goto(&app, "/librarian/queue").await;
        let lines = b
            .js("return document.querySelectorAll('.batch-line').length")
            .await;
        assert_eq!(lines, json!(1));
        let line = b.text(".batch-line").await;
        assert!(
            line.contains(&format!("{} 项", offered.len() - 1)),
            "{line}"
        );
        assert!(line.contains("中秋国庆节前警示教育大会"), "{line}");
        b.click(".batch-line .batch-actions button").await;
        // All fit: the queue says so (a refused item would be listed in an outcome box).
        b.wait_js(
            "return document.querySelector('main .notice, #bulk-outcome') !== null",
            "the batch approval's outcome",
            30,
        )
        .await;
        let outcome = b.text("main .notice, #bulk-outcome").await;
        assert!(outcome.contains("批准"), "{outcome}");
        let left = b
            .js("return document.querySelectorAll('.batch-line').length")
            .await;
        assert_eq!(left, json!(0), "the batch left the queue: {outcome}");
        b.screenshot_page("journey-batch-approved").await;
        sign_out(&b).await;

        // A new case about mooncake gift boxes is published; the saved search alerts.
        let (status, body) = lib
            .post_json(
                "/api/v1/resources",
                &json!({"id": "journey-mooncake", "kind": "case", "access": "open",
                        "status": "published",
                        "title": "示例：节日期间违规收受月饼礼盒问题通报",
                        "summary": "示例通报。某单位干部中秋前收受管理服务对象所送高档月饼礼盒。"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        b.sign_in(&app, "officer", USER_PASSWORD).await;
        b.goto(&app, "/").await;
        let badge = b
            .text("nav.primary a[href='/searches'] .nav-count")
            .await;
        assert!(badge.contains('1'), "{badge}");
        b.goto(&app, "/searches").await;
        let matches = b.text(".saved-matches").await;
        assert!(
            matches.contains("示例：节日期间违规收受月饼礼盒问题通报"),
            "{matches}"
        );
        b.screenshot_page("journey-alert").await;
        b.assert_console_clean("the officer's alerts", &[]).await;
    })
    .await;
}
