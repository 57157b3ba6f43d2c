//! In headless Chromium (issue 15): a librarian uploads two subtitle files at once
//! (each with its own progress line), makes one the default track, removes another
//! after confirming, and the resource page's player shows the chosen track by
//! default with the others selectable; then the catalogue list, filtered, withdraws
//! a ticked row. Screenshots of the editor, the resource page and the catalogue list
//! at desktop and phone width go to `target/screenshots/files-*.png`.

use std::time::Duration;

use serde_json::json;

use crate::browser::{Browser, with_browser};
use crate::common::{ADMIN_PASSWORD, TestApp};

const FILM: &str = "demo-video-safety-line";

/// Screenshots of the page at desktop width, then at phone width (no sideways
/// scrolling of the page itself), then back.
async fn both_widths(b: &Browser, name: &str) {
    b.screenshot_page(&format!("files-{name}")).await;
    b.client.set_window_size(390, 844).await.expect("phone");
    tokio::time::sleep(Duration::from_millis(150)).await;
    b.screenshot_page(&format!("files-{name}-phone")).await;
    // Measured once the layout has settled at the new width; the offenders are named.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let overflow = b
            .js(
                "return document.documentElement.scrollWidth > window.innerWidth + 1 \
                 && [...document.querySelectorAll('main *')] \
                   .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1) \
                   .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)",
            )
            .await;
        if overflow == false {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{name}: sideways scrolling on a phone: {overflow}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.client.set_window_size(1280, 900).await.expect("desktop");
    tokio::time::sleep(Duration::from_millis(150)).await;
}

/// Clicks the button `css` in the file table's row for `name`.
async fn click_in_row(b: &Browser, name: &str, css: &str) {
    let clicked = b
        .js(&format!(
            "const row = [...document.querySelectorAll('.file-table tbody tr')] \
               .find(r => r.querySelector('td').textContent.includes({name})); \
             const button = row && row.querySelector({css}); \
             if (button) button.click(); return !!button;",
            name = json!(name),
            css = json!(css)
        ))
        .await;
    assert_eq!(clicked, true, "{css} in the row of {name}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_librarian_uploads_two_subtitles_and_chooses_the_default_track() {
    let app = TestApp::spawn_with_demo().await;
    let folder = tempfile::tempdir().expect("upload folder");
    let english = folder.path().join("英文字幕.vtt");
    let cantonese = folder.path().join("粤语字幕.srt");
    std::fs::write(
        &english,
        "WEBVTT\n\n00:00:01.000 --> 00:00:06.000\nThe line that gave way\n\n00:00:06.000 --> 00:00:12.000\nA warning film\n",
    )
    .expect("vtt");
    std::fs::write(&cantonese, "1\n00:00:01,000 --> 00:00:06,000\n失守嘅防线\n").expect("srt");
    with_browser(app, move |b, app| async move {
        let _keep = folder;
        b.sign_in(&app, "admin", ADMIN_PASSWORD).await;
        b.goto(&app, &format!("/librarian/resources/{FILM}")).await;
        let existing = b.text(".file-table").await;
        assert!(
            existing.contains("默认字幕"),
            "the only subtitle is the default"
        );

        // Two files chosen at once: one line each, then the page reloads with both.
        let both = format!(
            "{}\n{}",
            english.to_str().expect("path"),
            cantonese.to_str().expect("path")
        );
        b.js("const list = document.getElementById('upload-list'); \
              new MutationObserver(() => sessionStorage.setItem('lines', \
                String(list.querySelectorAll('li').length))).observe(list, {childList: true});")
            .await;
        b.client
            .find(fantoccini::Locator::Css("#upload-file"))
            .await
            .expect("file input")
            .send_keys(&both)
            .await
            .expect("choose two files");
        b.click("#upload-button").await;
        b.wait_path("notice=uploaded").await;
        assert_eq!(b.js("return sessionStorage.getItem('lines')").await, "2");
        let files = b.text(".file-table").await;
        assert!(
            files.contains("英文字幕.vtt") && files.contains("粤语字幕.srt"),
            "{files}"
        );
        both_widths(&b, "editor").await;

        // The English track becomes the default.
        click_in_row(&b, "英文字幕.vtt", "[data-default-track]").await;
        b.wait_path("notice=default").await;
        let badge = b
            .js(
                "return [...document.querySelectorAll('.file-table tbody tr')] \
                   .find(r => r.querySelector('.default-track')).querySelector('td').textContent",
            )
            .await;
        assert!(
            badge.as_str().unwrap_or("").contains("英文字幕.vtt"),
            "{badge}"
        );

        // The Cantonese one goes, after the confirmation.
        b.js("window.confirm = () => true;").await;
        click_in_row(&b, "粤语字幕.srt", "[data-remove]").await;
        b.wait_path("notice=removed").await;
        assert!(!b.text(".file-table").await.contains("粤语字幕.srt"));
        b.js("document.querySelector('.file-table details').open = true;")
            .await;
        b.screenshot_page("files-editor-replace-open").await;
        b.assert_console_clean("in the editor", &[]).await;

        // The player shows the chosen track by default; the other stays selectable.
        b.goto(&app, &format!("/resources/{FILM}")).await;
        b.wait_js(
            "return document.getElementById('player').readyState >= 1",
            "video metadata",
            30,
        )
        .await;
        let label = b
            .js("return document.querySelector('track[default]').label")
            .await;
        assert_eq!(label, "英文字幕");
        let showing = b
            .wait_js(
                "const tracks = [...document.getElementById('player').textTracks]; \
                 const shown = tracks.filter(t => t.mode === 'showing'); \
                 return shown.length === 1 && shown[0].cues && shown[0].cues.length > 0 \
                   && [shown[0].label, tracks.length];",
                "the default track showing",
                30,
            )
            .await;
        assert_eq!(showing, json!(["英文字幕", 2]));
        assert!(b.text(".cues").await.contains("The line that gave way"));
        assert!(b.text("#cues-heading").await.contains("英文字幕"));
        assert!(b.text(".resource-head .meta").await.contains("时长 00:47"));
        both_widths(&b, "resource").await;
        b.assert_console_clean("on the resource page", &[]).await;

        // A search hit says how long the film is.
        b.goto(
            &app,
            "/search?q=%E5%A4%B1%E5%AE%88%E7%9A%84%E9%98%B2%E7%BA%BF",
        )
        .await;
        let hit = b
            .js(&format!(
                "return document.querySelector('.hit a[href=\"/resources/{FILM}\"]') \
                   .closest('.hit').querySelector('.meta').textContent"
            ))
            .await;
        assert!(hit.as_str().unwrap_or("").contains("时长 00:47"), "{hit}");
        both_widths(&b, "search").await;

        // The catalogue list: filtered to videos, a row ticked and withdrawn.
        b.goto(&app, "/librarian/?kind=video&status=published")
            .await;
        let rows = b
            .js("return document.querySelectorAll('input[name=ids]').length")
            .await;
        assert!(rows.as_u64().unwrap_or(0) >= 2, "{rows}");
        both_widths(&b, "catalogue").await;
        b.click(&format!("#sel-{FILM}")).await;
        b.click("#bulk-withdraw").await;
        b.wait_path("done=withdraw").await;
        assert!(b.text("#bulk-result").await.contains("已撤回 1 份资源"));
        both_widths(&b, "catalogue-result").await;
        b.assert_console_clean("on the catalogue list", &[]).await;
    })
    .await;
}
