//! The demo catalogue shows machine reading on first start (issue 21): its scanned
//! bulletin and its film with burned-in subtitles wait in the queue, and once read
//! they are found by words only their pictures hold, marked as machine-read, the
//! film's hit opening the player at the cue.

use serde_json::Value;

use crate::common::reading::{ocr_ready, read_all};
use crate::common::web::encode;
use crate::common::{Session, TestApp};

async fn hit(reader: &Session, q: &str, id: &str) -> Option<Value> {
    let (status, body) = reader
        .get_json(&format!("/api/v1/search?q={}", encode(q)))
        .await;
    assert_eq!(status, 200, "{body}");
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == id)
        .cloned()
}

#[tokio::test]
async fn the_demo_scan_and_film_are_read_by_machine_and_found() {
    let app = TestApp::spawn_with_demo().await;
    if !ocr_ready(&app) {
        return;
    }
    let reader = app.borrower("demo-reader", "yn-tax").await;
    let film = "demo-video-official-car";
    let scan = "demo-fuel-card-scan";
    assert!(
        hit(&reader, "台账流于形式", scan).await.is_none(),
        "nothing read yet"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM ocr_jobs WHERE state = 'queued' AND kind = 'pages'"),
        1
    );
    assert!(
        hit(&reader, "接送家人", film).await.is_none(),
        "nothing read yet"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM ocr_jobs WHERE state = 'queued' AND kind = 'film'"),
        1,
        "only the film without a subtitle file waits"
    );
    read_all(&app).await;
    let found = hit(&reader, "接送家人", film)
        .await
        .expect("the film is found");
    assert_eq!(found["machine_read"], true, "{found}");
    let start = found["cues"][0]["start"].as_f64().unwrap();
    assert!((start - 14.5).abs() <= 0.5, "{found}");
    let found = hit(&reader, "台账流于形式", scan)
        .await
        .expect("the scan is found");
    assert_eq!(found["machine_read"], true, "{found}");
    assert!(
        found["snippet"].as_str().unwrap().contains("<mark>"),
        "{found}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM ocr_jobs WHERE state IN ('queued', 'running', 'failed')"),
        0
    );
}
