//! Correcting machine-read text in the browser (issue 21): from the editor's file
//! list a librarian opens 校对识别文本 for a scan, corrects the text beside it and saves;
//! for a film, clicking a cue's number plays the film from there and an edited row is
//! saved. The resource page then marks the text as corrected. The machine's reading
//! is written as the queue writes it, so the test does not wait for Tesseract.

use serde_json::json;

use crate::browser::with_browser;
use crate::common::web::upload;
use crate::common::{TestApp, USER_PASSWORD, repo_root};

/// A published resource `id` of `kind` with the demo file `demo_name` uploaded as
/// `name`; answers the file's id.
async fn with_file(app: &TestApp, id: &str, kind: &str, demo_name: &str, name: &str) -> String {
    let librarian = app.librarian(&format!("{id}-maker")).await;
    let (status, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": id, "kind": kind, "title": format!("校对 {id}"), "access": "open", "status": "published"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let bytes = std::fs::read(repo_root().join("content/demo/files").join(demo_name)).unwrap();
    let (status, file) = upload(&librarian, id, name, bytes).await;
    assert_eq!(status, 201, "{file}");
    file["id"].as_str().unwrap().to_owned()
}

/// Writes a machine reading as the queue's last step does.
fn machine_read(app: &TestApp, file: &str, text: &str, cues: &[(i64, i64, &str)]) {
    let conn = app.state.db.get().unwrap();
    conn.execute(
        "UPDATE files SET text = ?2, machine_read = 'ocr', extraction = CASE WHEN ?2 = '' THEN extraction ELSE 'ok' END WHERE id = ?1",
        (file, text),
    )
    .unwrap();
    conn.execute(
        "UPDATE ocr_jobs SET state = 'done', units_total = 1, units_done = 1 WHERE file_id = ?1",
        [file],
    )
    .unwrap();
    for (seq, (start, end, cue)) in cues.iter().enumerate() {
        conn.execute(
            "INSERT INTO cues (file_id, seq, start_ms, end_ms, text) VALUES (?1, ?2, ?3, ?4, ?5)",
            (file, seq as i64, start, end, cue),
        )
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_librarian_corrects_a_scan_and_a_film_beside_the_original() {
    let app = TestApp::spawn().await;
    app.add_user("lib", &[jingshi::accounts::Role::Librarian], None);
    let scan = with_file(
        &app,
        "fix-scan",
        "case",
        "textbook-eight-rules-cover.png",
        "通报扫描.png",
    )
    .await;
    machine_read(&app, &scan, "中央八项规定精神学习谈本", &[]);
    let film = with_file(&app, "fix-film", "video", "video-mooncake.mp4", "月饼.mp4").await;
    machine_read(
        &app,
        &film,
        "",
        &[(1000, 3000, "一盒月讲的分量"), (4000, 6000, "节日期间")],
    );
    with_browser(app, move |b, app| async move {
        b.sign_in(&app, "lib", USER_PASSWORD).await;
        b.goto(&app, "/librarian/resources/fix-scan").await;
        b.click(&format!("a[data-transcript='{scan}']")).await;
        b.wait_path("/transcript").await;
        assert_eq!(b.text(".machine-read").await, "机器识别文本，可能有误");
        b.set_field("#machine-text", "中央八项规定精神学习读本").await;
        b.screenshot("transcript-scan").await;
        b.click(".transcript-form button[type=submit]").await;
        b.wait_path("done=saved").await;
        assert!(b.text(".notice").await.contains("已保存校对"));
        b.goto(&app, "/resources/fix-scan").await;
        let shown = b.text("section.document").await;
        assert!(shown.contains("学习读本") && shown.contains("已经馆员校对"), "{shown}");

        // The film: a cue's number plays from its time; the corrected row is saved.
        b.goto(&app, &format!("/librarian/resources/fix-film/files/{film}/transcript")).await;
        b.click("a[data-seek='4.000']").await;
        b.wait_js(
            "var v = document.getElementById('player'); return v.currentTime >= 3.9 ? v.currentTime : null",
            "the player at the cue",
            30,
        )
        .await;
        b.set_field("tbody tr:first-child input[name=text]", "一盒月饼的分量").await;
        b.photograph_desktop_and_phone("transcript-film").await;
        b.click(".transcript-form button[type=submit]").await;
        b.wait_path("done=saved").await;
        let first = b.js("return document.querySelector('tbody tr:first-child input[name=text]').value").await;
        assert_eq!(first, "一盒月饼的分量");
        b.assert_console_clean("correcting machine reading", &[]).await;
    })
    .await;
}
