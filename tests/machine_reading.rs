//! Machine reading (issue 21): a page image and a film with burned-in subtitles are
//! read by the queue (Tesseract, ffmpeg) after the upload returned, their text is
//! indexed and marked as machine-read, a librarian corrects it in the API and in the
//! browser's forms, and a job survives a restart of the server.

use jingshi::ocr::queue::{Step, work_one};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::reading::{
    error_rate, film_with_burned_subtitles, ocr_ready, page_image, read_all,
};
use crate::common::web::{csrf_of, hit_ids, page, post_form, upload};
use crate::common::{Session, TestApp};

/// A published, open resource of `kind`.
async fn resource(librarian: &Session, id: &str, kind: &str) {
    let (status, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": id, "kind": kind, "title": format!("识别测试 {id}"),
                    "access": "open", "status": "published"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

/// The resource's file called `name`, as the API shows it.
async fn file_named(session: &Session, id: &str, name: &str) -> Value {
    let (status, body) = session.get_json(&format!("/api/v1/resources/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no file {name} in {body}"))
}

async fn search(session: &Session, q: &str) -> Value {
    let (status, body) = session
        .get_json(&format!(
            "/api/v1/search?q={}",
            crate::common::web::encode(q)
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn a_page_image_is_read_after_upload_indexed_marked_and_corrected() {
    let app = TestApp::spawn().await;
    if !ocr_ready(&app) {
        return;
    }
    let librarian = app.librarian("ocr-lib").await;
    let reader = app.borrower("ocr-reader", "yn-tax").await;
    resource(&librarian, "ocr-page", "textbook").await;
    let dir = tempfile::tempdir().unwrap();
    let (png, truth) = page_image(dir.path(), "textbook-sanctions.pdf", 1);
    let (status, body) = upload(&librarian, "ocr-page", "扫描页.png", png).await;
    assert_eq!(status, 201, "{body}");

    // The upload answered before anything was read: the job waits in the queue.
    let file = file_named(&librarian, "ocr-page", "扫描页.png").await;
    assert_eq!(file["reading"]["state"], "queued", "{file}");
    assert_eq!(file["machine_read"], Value::Null);
    assert!(!hit_ids(&search(&reader, "留党察看").await).contains(&"ocr-page".to_owned()));
    let (_, html) = page(&reader, "/resources/ocr-page").await;
    assert!(
        html.contains("扫描页.png：排队等待机器识别"),
        "the page says it waits"
    );

    assert!(
        read_all(&app).await >= 2,
        "a look at the file, then its page"
    );
    let file = file_named(&librarian, "ocr-page", "扫描页.png").await;
    assert_eq!(file["reading"]["state"], "done", "{file}");
    assert_eq!(file["machine_read"], "ocr");
    let file_id = file["id"].as_str().unwrap().to_owned();
    let read = app.text(&format!("SELECT text FROM files WHERE id = '{file_id}'"));
    let rate = error_rate(&read, &truth);
    assert!(rate <= 0.05, "character error rate {rate:.3}:\n{read}");

    // Found by words only the picture holds, marked as machine-read, for a borrower.
    let found = search(&reader, "留党察看").await;
    let hit = found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "ocr-page");
    assert_eq!(
        hit.expect("the page is found")["machine_read"],
        true,
        "{found}"
    );
    let (status, html) = page(&reader, "/resources/ocr-page").await;
    assert_eq!(status, 200);
    assert!(html.contains("机器识别文本，可能有误") && html.contains("扫描页.png（识别文本）"));
    let (_, results) = page(&reader, "/search?q=留党察看").await;
    assert!(results.contains("机器识别文本，可能有误"));

    // A librarian's correction replaces the text, is audited and indexed at once.
    let corrected = format!("{read}\n校勘补记：纠错专用词");
    let (status, body) = librarian
        .send_json(
            Method::PUT,
            &format!("/api/v1/resources/ocr-page/files/{file_id}/text"),
            &json!({"text": corrected}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let file = file_named(&librarian, "ocr-page", "扫描页.png").await;
    assert_eq!(file["machine_read"], "corrected");
    let found = search(&reader, "纠错专用词").await;
    assert_eq!(hit_ids(&found), vec!["ocr-page".to_owned()], "{found}");
    assert_eq!(found["hits"][0]["machine_read"], false);
    let (_, html) = page(&reader, "/resources/ocr-page").await;
    assert!(html.contains("机器识别文本，已经馆员校对"));
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'machine_text_corrected'"),
        1
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM resource_history WHERE action IN ('machine_read', 'correct_text')"
        ),
        2
    );
}

#[tokio::test]
async fn a_film_with_burned_in_subtitles_gets_timed_cues_a_track_and_a_transcript_editor() {
    let app = TestApp::spawn().await;
    if !ocr_ready(&app) {
        return;
    }
    let librarian = app.librarian("film-lib").await;
    let reader = app.borrower("film-reader", "yn-tax").await;
    resource(&librarian, "ocr-film", "video").await;
    let dir = tempfile::tempdir().unwrap();
    let cues = [("廉洁自律是底线", 1.0, 3.0), ("违纪必被追究到底", 3.6, 6.0)];
    let film = film_with_burned_subtitles(dir.path(), &cues, 7);
    let (status, body) = upload(&librarian, "ocr-film", "片子.mp4", film).await;
    assert_eq!(status, 201, "{body}");
    read_all(&app).await;

    let file = file_named(&librarian, "ocr-film", "片子.mp4").await;
    assert_eq!(
        (
            file["machine_read"].clone(),
            file["reading"]["state"].clone()
        ),
        (json!("ocr"), json!("done")),
        "{file}"
    );
    let film_id = file["id"].as_str().unwrap().to_owned();
    let stored: Vec<(i64, String)> = {
        let conn = app.state.db.get().unwrap();
        let mut stmt = conn
            .prepare("SELECT start_ms, text FROM cues WHERE file_id = ?1 ORDER BY seq")
            .unwrap();
        stmt.query_map([&film_id], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(stored.len(), 2, "{stored:?}");
    for ((start, text), (truth, at, _)) in stored.iter().zip(cues) {
        assert!(error_rate(text, truth) <= 0.15, "{text} for {truth}");
        assert!(
            (*start as f64 / 1000.0 - at).abs() <= 0.5,
            "{text} at {start} ms, truly {at} s"
        );
    }

    // Searchable with its time; the player has the machine's track; WebVTT to save.
    let found = search(&reader, "违纪必被追究").await;
    let hit = &found["hits"][0];
    assert_eq!(
        (hit["id"].clone(), hit["machine_read"].clone()),
        (json!("ocr-film"), json!(true)),
        "{found}"
    );
    let start = hit["cues"][0]["start"].as_f64().unwrap();
    assert!((start - 3.6).abs() <= 0.5, "{found}");
    let (_, html) = page(&reader, "/resources/ocr-film").await;
    assert!(html.contains("label=\"机器识别字幕\"") && html.contains("机器识别文本，可能有误"));
    let vtt = reader
        .get(&format!("/subtitles/{film_id}?download=1"))
        .await;
    assert_eq!(vtt.status(), 200);
    let disposition = vtt.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let vtt = vtt.text().await.unwrap();
    assert!(
        vtt.starts_with("WEBVTT") && vtt.contains("00:00:03."),
        "{vtt}"
    );

    // The transcript editor: one cue changed, one emptied (dropped), one added.
    let path = format!("/librarian/resources/ocr-film/files/{film_id}/transcript");
    let (status, editor) = page(&librarian, &path).await;
    assert_eq!(status, 200);
    let csrf = csrf_of(&editor);
    let form = [
        ("csrf", csrf.as_str()),
        ("start", "00:01.000"),
        ("end", "00:03.000"),
        ("text", "廉洁自律是红线"),
        ("start", "00:03.600"),
        ("end", "00:06.000"),
        ("text", ""),
        ("start", "00:06.100"),
        ("end", "00:06.900"),
        ("text", "新增一条字幕"),
    ];
    let (status, url, body) = post_form(&librarian, &path, &form).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        url.ends_with("done=saved") && body.contains("已保存校对"),
        "{url}"
    );
    let texts = app.text(&format!(
        "SELECT group_concat(text, '|') FROM (SELECT text FROM cues WHERE file_id = '{film_id}' ORDER BY seq)"
    ));
    assert_eq!(texts, "廉洁自律是红线|新增一条字幕");
    assert_eq!(
        hit_ids(&search(&reader, "新增一条字幕").await),
        vec!["ocr-film".to_owned()]
    );
    assert!(hit_ids(&search(&reader, "违纪必被追究").await).is_empty());
}

#[tokio::test]
async fn a_reading_goes_on_after_a_restart() {
    let app = TestApp::spawn().await;
    if !ocr_ready(&app) {
        return;
    }
    let librarian = app.librarian("restart-lib").await;
    resource(&librarian, "ocr-restart", "case").await;
    let dir = tempfile::tempdir().unwrap();
    let (png, _) = page_image(dir.path(), "textbook-sanctions.pdf", 1);
    assert_eq!(
        upload(&librarian, "ocr-restart", "第二页.png", png).await.0,
        201
    );

    // One step (the look at the file), then the server stops.
    let state = app.state.clone();
    let step = tokio::task::spawn_blocking(move || {
        let clock = state.clock.clone();
        work_one(
            &state.db,
            &state.store,
            &state.ocr.settings,
            state.ocr.availability(),
            || clock.moment(),
        )
    })
    .await
    .unwrap()
    .unwrap();
    let Step::Worked(progress) = step else {
        panic!("nothing to read")
    };
    assert_eq!((progress.units_total, progress.units_done), (Some(1), 0));
    let data = app.stop().await;

    let app = TestApp::spawn_in(data).await;
    let librarian = app.librarian("restart-lib2").await;
    let file = file_named(&librarian, "ocr-restart", "第二页.png").await;
    assert_eq!(file["reading"]["state"], "running", "{file}");
    assert_eq!(read_all(&app).await, 1, "only the page was left");
    let file = file_named(&librarian, "ocr-restart", "第二页.png").await;
    assert_eq!(
        (
            file["reading"]["state"].clone(),
            file["machine_read"].clone()
        ),
        (json!("done"), json!("ocr"))
    );
    assert!(file["text_chars"].as_u64().unwrap() > 200, "{file}");
}

/// One step of the queue as a machine that can do `availability`.
async fn step_as(app: &TestApp, availability: jingshi::ocr::Availability) -> Step {
    let state = app.state.clone();
    tokio::task::spawn_blocking(move || {
        let clock = state.clock.clone();
        work_one(
            &state.db,
            &state.store,
            &state.ocr.settings,
            availability,
            || clock.moment(),
        )
    })
    .await
    .unwrap()
    .unwrap()
}

#[tokio::test]
async fn a_film_with_a_subtitle_file_is_not_read_and_without_tesseract_the_queue_waits() {
    use jingshi::ocr::Availability;
    let app = TestApp::spawn().await;
    let librarian = app.librarian("queue-lib").await;
    let demo = crate::common::repo_root().join("content/demo/files");
    resource(&librarian, "sub-film", "video").await;
    let film = std::fs::read(demo.join("video-banquet.mp4")).unwrap();
    assert_eq!(
        upload(&librarian, "sub-film", "饭局.mp4", film).await.0,
        201
    );
    let file = file_named(&librarian, "sub-film", "饭局.mp4").await;
    assert_eq!(
        (
            file["reading"]["kind"].clone(),
            file["reading"]["state"].clone()
        ),
        (json!("film"), json!("queued"))
    );
    let vtt = std::fs::read(demo.join("video-banquet.vtt")).unwrap();
    assert_eq!(upload(&librarian, "sub-film", "饭局.vtt", vtt).await.0, 201);
    let file = file_named(&librarian, "sub-film", "饭局.mp4").await;
    assert_eq!(file["reading"]["state"], "skipped", "{file}");
    assert_eq!(file["reading"]["error"], "该资源已有字幕文件");

    // A machine without Tesseract takes nothing; without ffmpeg, no film.
    resource(&librarian, "wait-film", "video").await;
    let film = std::fs::read(demo.join("video-mooncake.mp4")).unwrap();
    assert_eq!(
        upload(&librarian, "wait-film", "月饼.mp4", film).await.0,
        201
    );
    assert_eq!(step_as(&app, Availability::Unavailable).await, Step::Idle);
    assert_eq!(step_as(&app, Availability::NoFilms).await, Step::Idle);
    let file = file_named(&librarian, "wait-film", "月饼.mp4").await;
    assert_eq!(file["reading"]["state"], "queued");
    let (_, html) = page(&librarian, "/librarian/resources/wait-film").await;
    assert!(
        html.contains("data-reading="),
        "the editor shows the reading"
    );
    assert_eq!(app.count("SELECT count(*) FROM ocr_units"), 0);
}
