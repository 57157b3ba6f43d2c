//! In headless Chromium (issue 23): a borrower watching a lent film sees their loan's
//! mark over it, moving every few seconds with a ticking clock, kept when the player
//! goes fullscreen (our button fullscreens the frame holding film and mark; the
//! video's own fullscreen control is hidden); a lent text shows the same mark tiled
//! behind it, on screen and in print. Screenshots go to `target/screenshots/marks-*`.

use serde_json::{Value, json};

use crate::browser::{Browser, with_browser};
use crate::common::lending::{approved, day, set_today};
use crate::common::{TestApp, USER_PASSWORD};

const FILM: &str = "demo-video-banquet";
const TEXT: &str = "demo-bank-loan-case";

/// The overlay's place in its frame, as `[left, top]`.
async fn overlay_place(b: &Browser) -> Value {
    b.js(
        "const o = document.getElementById('mark-overlay').getBoundingClientRect(); \
          const f = document.getElementById('player-frame').getBoundingClientRect(); \
          return [Math.round(o.left - f.left), Math.round(o.top - f.top)];",
    )
    .await
}

/// The overlay lies inside the frame, shows, and lets clicks through.
async fn assert_overlay_shown(b: &Browser, context: &str) {
    let shown = b
        .js("const o = document.getElementById('mark-overlay'); \
             const f = document.getElementById('player-frame'); \
             const r = o.getBoundingClientRect(), fr = f.getBoundingClientRect(); \
             const s = getComputedStyle(o); \
             return [f.contains(o), r.width > 40 && r.height > 8, \
               r.left >= fr.left - 1 && r.right <= fr.right + 1 && r.top >= fr.top - 1 && r.bottom <= fr.bottom + 1, \
               s.display !== 'none' && s.visibility === 'visible' && parseFloat(s.opacity) > 0.3, \
               s.pointerEvents];")
        .await;
    assert_eq!(shown, json!([true, true, true, true, "none"]), "{context}");
}

async fn watch_the_film(b: &Browser, app: &TestApp) {
    b.goto(app, &format!("/resources/{FILM}")).await;
    let label = b.text("#mark-overlay .mark-label").await;
    assert!(
        label.starts_with("JS-") && label.contains("yn-tax") && label.contains(&day(0)),
        "{label}"
    );
    b.play_muted().await;
    assert_overlay_shown(b, "while playing").await;
    // The clock ticks in HH:MM:SS.
    let first = b.text("#mark-overlay .mark-clock").await;
    assert!(
        first.len() == 8 && first.as_bytes()[2] == b':' && first.as_bytes()[5] == b':',
        "{first}"
    );
    b.wait_js(
        &format!(
            "return document.querySelector('#mark-overlay .mark-clock').textContent !== {first:?}"
        ),
        "the clock to tick",
        5,
    )
    .await;
    // It moves within ~6 seconds (every 4).
    let before = overlay_place(b).await;
    let started = std::time::Instant::now();
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if overlay_place(b).await != before {
            break;
        }
        assert!(
            started.elapsed().as_secs_f64() < 6.5,
            "the mark stayed at {before} for 6 s"
        );
    }
    // On a phone too the mark stays inside the film, and nothing sticks out sideways.
    b.photograph_desktop_and_phone("marks-film").await;
}

async fn go_fullscreen(b: &Browser) {
    // Neither the video's own fullscreen button nor picture-in-picture (which would
    // both leave the mark behind) is offered.
    let controls = b
        .js("const v = document.getElementById('player'); \
             return [v.controlsList.contains('nofullscreen'), v.disablePictureInPicture];")
        .await;
    assert_eq!(controls, json!([true, true]));
    b.click("#player-fullscreen").await;
    b.wait_js(
        "return document.fullscreenElement && document.fullscreenElement.id",
        "fullscreen",
        10,
    )
    .await;
    let full = b.js("return document.fullscreenElement.id").await;
    assert_eq!(full, "player-frame", "our button fullscreens the frame");
    assert_eq!(b.text("#player-fullscreen").await, "退出全屏");
    assert_overlay_shown(b, "in fullscreen").await;
    b.screenshot("marks-film-fullscreen").await;
    b.click("#player-fullscreen").await;
    b.wait_js(
        "return document.fullscreenElement === null",
        "leaving fullscreen",
        10,
    )
    .await;
    b.js("document.getElementById('player').pause()").await;
}

async fn read_the_text(b: &Browser, app: &TestApp) {
    b.goto(app, &format!("/resources/{TEXT}")).await;
    let tiles = b
        .js("const svg = document.querySelector('article.reader.marked svg.mark-tiles'); \
             const reader = svg.closest('article').getBoundingClientRect(); \
             const box = svg.getBoundingClientRect(); \
             const s = getComputedStyle(svg); \
             return [svg.querySelector('pattern text').textContent, \
               Math.abs(box.width - reader.width) <= 2 && Math.abs(box.height - reader.height) <= 2, \
               s.userSelect, s.pointerEvents, svg.getAttribute('aria-hidden')];")
        .await;
    let label = tiles[0].as_str().unwrap_or("");
    assert!(
        label.starts_with("JS-") && label.contains("yn-tax"),
        "{tiles}"
    );
    assert_eq!(
        tiles.as_array().map(|t| t[1..].to_vec()),
        Some(vec![
            json!(true),
            json!("none"),
            json!("none"),
            json!("true")
        ]),
        "the tiles cover the reader, are never selected or clicked, and are not read aloud"
    );
    // Selecting the whole text copies the text, never the mark.
    let copied = b
        .js("const r = document.createRange(); \
             r.selectNodeContents(document.querySelector('article.reader')); \
             const s = getSelection(); s.removeAllRanges(); s.addRange(r); \
             const text = s.toString(); s.removeAllRanges(); return text;")
        .await;
    assert!(
        !copied.as_str().unwrap_or("JS-").contains("JS-"),
        "{copied}"
    );
    b.screenshot_page("marks-reader").await;
    b.cdp("Emulation.setEmulatedMedia", json!({"media": "print"}))
        .await;
    let printed = b
        .js("const svg = document.querySelector('svg.mark-tiles'); \
             return getComputedStyle(svg).display !== 'none' && svg.getBoundingClientRect().height > 0;")
        .await;
    assert_eq!(printed, true, "the mark is printed with the text");
    b.screenshot_page("marks-reader-print").await;
    b.cdp("Emulation.setEmulatedMedia", json!({"media": ""}))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lent_film_and_text_carry_the_loans_mark() {
    let app = TestApp::spawn_with_demo().await;
    set_today(&app, 0);
    let librarian = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    for resource in [FILM, TEXT] {
        let loan = approved(&librarian, &officer, resource, "digital", &day(0), &day(3)).await;
        assert_eq!(loan["status"], "active", "{loan}");
    }
    with_browser(app, |b, app| async move {
        b.sign_in(&app, "officer", USER_PASSWORD).await;
        watch_the_film(&b, &app).await;
        go_fullscreen(&b).await;
        read_the_text(&b, &app).await;
        b.assert_console_clean("with the marks", &[]).await;
    })
    .await;
}
