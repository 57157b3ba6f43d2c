//! In headless Chromium: a librarian opens 专题管理 from the navigation, is told beside
//! the box which item is unknown, fixes it, saves and publishes a collection; a unit's
//! borrower finds it under 专题, opens a demo collection, asks for a period and reads
//! each item's availability, with the whole-set basket button beside. Screenshots of
//! the list, a collection's page and the editor at desktop and phone width go to
//! `target/screenshots/`.

use jingshi::accounts::Role;

use crate::browser::with_browser;
use crate::common::lending::{MONDAY, day};
use crate::common::{ADMIN_PASSWORD, TestApp, USER_PASSWORD};
use crate::withdraw_browser::both_widths;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_librarian_publishes_a_collection_and_a_borrower_checks_a_period() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    app.add_user("officer", &[Role::Borrower], Some("yn-tax"));
    with_browser(app, |b, app| async move {
        b.sign_in(&app, "admin", ADMIN_PASSWORD).await;
        b.click("nav.primary a[href='/librarian/collections']").await;
        b.wait_path("/librarian/collections").await;
        assert!(b.text("main").await.contains("中秋国庆节前警示教育专题"));
        b.click(".page-head a.button").await;
        b.wait_path("/librarian/collections/new").await;
        b.type_into("#f-title", "反“四风”专题学习").await;
        b.type_into("#f-intro", "围绕公款吃喝和违规收送礼品礼金，供党支部集中学习。")
            .await;
        b.type_into(
            "#f-items",
            "demo-video-banquet | 建议在会前播放\ndemo-no-such | 分组讨论",
        )
        .await;
        b.click("#save").await;
        b.wait_js(
            "return document.getElementById('e-items') !== null",
            "the items' message",
            30,
        )
        .await;
        assert!(b.text("#e-items").await.contains("第 2 项：没有编号为“demo-no-such”的资源"));
        assert_eq!(
            b.js("return document.getElementById('f-title').value").await,
            "反“四风”专题学习"
        );
        b.type_into(
            "#f-items",
            "demo-video-banquet | 建议在会前播放\ndemo-communications-fengfu-case | 分组讨论\ndemo-base-prison | 节前组织参观",
        )
        .await;
        b.click("#save").await;
        b.wait_path("notice=created").await;
        assert!(b.text(".item-preview").await.contains("风腐同查"));
        both_widths(&b, "collection-editor").await;
        b.click("#publish").await;
        b.wait_path("notice=published").await;
        // The refused save answered 422, as it should.
        b.assert_console_clean("in the collection editor", &["status of 422"])
            .await;
        b.client.delete_all_cookies().await.expect("sign out");

        b.sign_in(&app, "officer", USER_PASSWORD).await;
        // 1 March: 清明 comes next, which no collection is for; all three are shown.
        let home = b.text(".home-collections").await;
        assert!(home.contains("即将到来的是清明") && home.contains("反“四风”专题学习"));
        both_widths(&b, "home-collections").await;
        b.goto(&app, "/search?q=%E6%9C%88%E9%A5%BC").await;
        assert!(b.text(".search-collections").await.contains("中秋国庆节前警示教育专题"));
        both_widths(&b, "search-collections").await;
        b.click("nav.primary a[href='/collections']").await;
        b.wait_path("/collections").await;
        let list = b.text(".collection-cards").await;
        assert!(list.contains("反“四风”专题学习") && list.contains("元旦春节廉洁过节专题"));
        both_widths(&b, "collections").await;
        b.click(".season-filter a[href='/collections?season=zhongqiu']").await;
        b.wait_path("season=zhongqiu").await;
        assert!(!b.text(".collection-cards").await.contains("元旦春节"));
        b.click(".collection-card a.collection-title").await;
        b.wait_path("/collections/").await;
        assert!(b.text("h1").await.contains("中秋国庆节前警示教育专题"));
        b.js(&format!(
            "document.getElementById('period-start').value = '{}'; \
             document.getElementById('period-end').value = '{}';",
            day(14),
            day(16)
        ))
        .await;
        b.click("#period button[type=submit]").await;
        b.wait_path("start=").await;
        let items = b.text(".collection-items").await;
        assert!(items.contains("该时段可借"), "{items}");
        assert!(items.contains("预约参观"), "{items}");
        assert!(b.text("#add-all").await.contains("整套加入借阅清单"));
        both_widths(&b, "collection-page").await;
        b.assert_console_clean("on a collection's page", &[]).await;
    })
    .await;
}
