//! In headless Chromium (issue 19): an officer searches, saves the search from the
//! results page, and when a librarian publishes a matching resource the navigation
//! counts it beside 订阅 and `/searches` lists it; marking it read clears the count.
//! Screenshots of the search page's save form and of `/searches` at desktop and phone
//! width go to `target/screenshots/`. Skips like the other browser tests without
//! Chromium.

use std::sync::Arc;

use jingshi::accounts::Role;
use serde_json::json;

use crate::browser::{Browser, with_browser};
use crate::common::{TestApp, USER_PASSWORD};
use crate::withdraw_browser::both_widths;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_search_alerts_when_a_matching_resource_is_published() {
    let app = TestApp::spawn().await;
    app.add_user("desk", &[Role::Librarian], None);
    app.add_user("officer", &[Role::Borrower], Some("yn-tax"));
    let lib = app.login("desk", USER_PASSWORD).await;

    with_browser(app, move |b: Arc<Browser>, app| async move {
        b.sign_in(&app, "officer", USER_PASSWORD).await;
        b.goto(&app, "/search?q=%E4%B8%AD%E7%A7%8B%E6%9C%88%E9%A5%BC&kind=case")
            .await;
        b.wait_path("/search").await;
        assert_eq!(
            b.js("return document.querySelector('.save-search input[name=name]').value")
                .await,
            json!("中秋月饼")
        );
        both_widths(&b, "issue19-search-save").await;
        b.js("document.querySelector('.save-search input[name=name]').value = ''")
            .await;
        b.type_into(".save-search input[name=name]", "中秋月饼案例").await;
        b.click(".save-search button[type=submit]").await;
        b.wait_path("/searches").await;
        assert!(b.text(".notice").await.contains("已保存"));
        assert!(b.text(".saved-search h2").await.contains("中秋月饼案例"));
        assert!(b.text(".saved-search").await.contains("还没有新发布的资源"));

        // The librarian publishes a matching case and one that does not match.
        for (id, title) in [
            ("browser-cake", "中秋月饼违规收受问题典型案例"),
            ("browser-car", "公车私用问题典型案例"),
        ] {
            let (status, body) = lib
                .post_json(
                    "/api/v1/resources",
                    &json!({"id": id, "kind": "case", "title": title, "access": "open",
                            "status": "published", "summary": "节日期间违规收受月饼礼盒。"}),
                )
                .await;
            assert_eq!(status, 201, "{body}");
        }

        b.goto(&app, "/").await;
        b.wait_path("/").await;
        let badge = b.text("nav.primary a[href='/searches'] .nav-count").await;
        assert!(badge.contains('1'), "{badge}");
        b.click("nav.primary a[href='/searches']").await;
        b.wait_path("/searches").await;
        let listed = b.text(".saved-matches").await;
        assert!(listed.contains("中秋月饼违规收受问题典型案例"), "{listed}");
        assert!(!listed.contains("公车私用"), "{listed}");
        assert!(b.text(".saved-matches li.unread").await.contains("新"));
        both_widths(&b, "issue19-searches").await;

        // Marked read: the count goes, the match stays listed.
        b.click(".saved-read-all button[type=submit]").await;
        b.wait_path("/searches").await;
        b.wait_js(
            "return document.querySelector('.notice') !== null",
            "the read notice",
            10,
        )
        .await;
        assert_eq!(
            b.js("return document.querySelector('nav.primary a[href=\"/searches\"] .nav-count') === null")
                .await,
            json!(true)
        );
        assert!(b.text(".saved-matches").await.contains("中秋月饼违规收受问题典型案例"));
        b.click(".saved-matches a").await;
        b.wait_path("/resources/browser-cake").await;
    })
    .await;
}
