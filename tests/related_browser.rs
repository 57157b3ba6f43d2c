//! The resource page's "相关资源" block in headless Chromium (issue 19), over the demo
//! catalogue as a borrower of yn-tax sees it: between one and six items, each a kind
//! badge, a title link and a year; no draft; no sideways scrolling on a phone; a link
//! opens the related resource. Screenshots at desktop and phone width go to
//! `target/screenshots/related-*.png`. Skips like the other browser tests without
//! Chromium.

use jingshi::accounts::Role;
use serde_json::Value;

use crate::browser::with_browser;
use crate::common::{TestApp, USER_PASSWORD};

/// Drafts of the demo catalogue, which no list may show.
const DEMO_DRAFTS: [&str; 2] = ["demo-grain-reserve-case", "demo-confession-fire-rescue"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_page_lists_related_resources_at_desktop_and_phone_width() {
    let app = TestApp::spawn_with_demo().await;
    app.add_user("related-officer", &[Role::Borrower], Some("yn-tax"));
    with_browser(app, |b, app| async move {
        b.sign_in(&app, "related-officer", USER_PASSWORD).await;
        b.goto(&app, "/resources/demo-tax-invoice-case").await;
        b.wait_path("/resources/demo-tax-invoice-case").await;
        let items = b
            .js(
                "return [...document.querySelectorAll('section.related .related-list li')]\
                 .map(li => [li.querySelector('.badge.kind')?.textContent ?? '', \
                             li.querySelector('a')?.getAttribute('href') ?? '', \
                             li.querySelector('a')?.textContent ?? '', \
                             li.querySelector('.year')?.textContent ?? ''])",
            )
            .await;
        let items = items.as_array().expect("items").clone();
        assert!((1..=6).contains(&items.len()), "{items:?}");
        let text = |item: &Value, i: usize| item[i].as_str().unwrap_or("").to_owned();
        for item in &items {
            assert!(!text(item, 0).is_empty(), "kind badge: {item:?}");
            let href = text(item, 1);
            assert!(href.starts_with("/resources/demo-"), "{item:?}");
            assert_ne!(href, "/resources/demo-tax-invoice-case", "never itself");
            assert!(
                !DEMO_DRAFTS.iter().any(|d| href.ends_with(d)),
                "a draft: {item:?}"
            );
            assert!(!text(item, 2).trim().is_empty(), "title: {item:?}");
            assert!(text(item, 3).ends_with('年'), "year: {item:?}");
        }
        b.screenshot_page("related-desktop").await;
        b.client.set_window_size(390, 844).await.expect("phone");
        let overflow = b
            .js("return document.documentElement.scrollWidth > window.innerWidth + 1")
            .await;
        assert_eq!(overflow, false, "sideways scrolling on a phone");
        // The block is near the end of a long page: photograph the phone's screen with
        // the block scrolled into it.
        b.js("document.querySelector('section.related').scrollIntoView()")
            .await;
        b.screenshot("related-phone").await;
        b.client.set_window_size(1280, 900).await.expect("desktop");
        b.assert_console_clean("on the resource page", &[]).await;

        // The first item opens its resource.
        let first = text(&items[0], 1);
        b.click("section.related .related-list li a").await;
        b.wait_path(&first).await;
    })
    .await;
}
