//! `/stats` in headless Chromium (issue 7): the three SVG charts are laid out with a
//! real size, the unit bars are labelled with unit names, and the CSV link downloads
//! the period's figures. The screenshot goes to `target/screenshots/stats.png`.
//! Skips like the other browser tests when no Chromium is installed.

use serde_json::Value;

use crate::browser::with_browser;
use crate::common::{TestApp, USER_PASSWORD};
use crate::stats::fixture;

/// `[width, height]` of the element `css` as laid out, or `null` when it is missing.
fn size_script(css: &str) -> String {
    format!(
        "const e = document.querySelector('{css}'); \
         if (!e) return null; const r = e.getBoundingClientRect(); return [r.width, r.height];"
    )
}

fn positive_size(value: &Value) -> bool {
    value
        .as_array()
        .is_some_and(|wh| wh.len() == 2 && wh.iter().all(|n| n.as_f64().unwrap_or(0.0) > 1.0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_statistics_page_draws_its_charts_in_a_browser() {
    let app = TestApp::spawn_with_demo().await;
    // Loans and reports of three units in 2026; today is 2026-04-01.
    fixture(&app).await;
    with_browser(app, |b, app| async move {
        b.sign_in(&app, "stats-lib", USER_PASSWORD).await;
        b.goto(&app, "/stats").await;
        b.wait_path("/stats").await;
        assert_eq!(b.text("h1").await, "警示教育统计");

        for id in ["chart-units", "chart-months", "chart-sector-kind"] {
            let css = format!("svg.chart[aria-labelledby=\"{id}-title {id}-desc\"]");
            let size = b.js(&size_script(&css)).await;
            assert!(positive_size(&size), "{id} is laid out with a size: {size}");
        }
        let count = b
            .js("return document.querySelectorAll('svg.chart').length")
            .await;
        assert_eq!(count, 3, "three charts");

        // The unit bars: labelled with unit names, drawn with real glyphs, active
        // units with bars and inactive ones marked.
        let units = "svg.chart[aria-labelledby=\"chart-units-title chart-units-desc\"]";
        let labels = b
            .js(&format!(
                "return [...document.querySelectorAll('{units} text[text-anchor=\"end\"]')]\
                   .map(t => [t.textContent, t.getBBox().width])"
            ))
            .await;
        let labels = labels.as_array().expect("labels");
        let tax = labels
            .iter()
            .find(|l| l[0] == "国家税务总局云南省税务局")
            .unwrap_or_else(|| panic!("the tax bureau labels a bar: {labels:?}"));
        assert!(tax[1].as_f64().unwrap() > 20.0, "the label is drawn: {tax}");
        assert!(labels.iter().any(|l| l[0] == "昆明海关"), "{labels:?}");
        let bars = b
            .js(&format!(
                "return [...document.querySelectorAll('{units} rect')]\
                   .filter(r => r.getBoundingClientRect().width > 0).length"
            ))
            .await;
        assert!(bars.as_u64().unwrap_or(0) >= 3, "bars with a width: {bars}");
        let followed = b
            .js(&format!(
                "return [...document.querySelectorAll('{units} text')]\
                   .filter(t => t.textContent === '无活动，需跟进').length"
            ))
            .await;
        assert!(followed.as_u64().unwrap_or(0) >= 1, "gaps are marked");

        // The CSV link carries the period and answers CSV in the browser too.
        let href = b
            .js("return document.querySelector('a.download').getAttribute('href')")
            .await;
        assert_eq!(
            href,
            "/api/v1/stats/units?from=2026-01-01&to=2026-12-31&format=csv"
        );
        let fetched = b
            .js("return fetch(document.querySelector('a.download').href)\
                   .then(r => r.text().then(t => [r.status, r.headers.get('content-type'), t]))")
            .await;
        assert_eq!(fetched[0], 200, "{fetched}");
        assert_eq!(fetched[1], "text/csv; charset=utf-8");
        assert!(
            fetched[2]
                .as_str()
                .unwrap()
                .contains("国家税务总局云南省税务局"),
            "{fetched}"
        );

        b.screenshot_page("stats").await;
        b.assert_console_clean("on the statistics page", &[]).await;
    })
    .await;
}
