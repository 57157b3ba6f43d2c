//! Search through the API: the contract's fields, facets and filters, cue hits, drafts,
//! malformed input, and the index following imports from another process and after a
//! crash.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::TestApp;
use crate::common::process::{admin_at, jingshi, start_server, write_manifest};
use crate::common::web::encode;

#[tokio::test]
async fn search_answers_the_contract_with_facets_snippets_and_cues() {
    let app = TestApp::spawn_with_demo().await;
    let borrower = app.borrower("officer", "yn-tax").await;
    let (status, body) = borrower
        .get_json(&format!("/api/v1/search?q={}", encode("八项规定")))
        .await;
    assert_eq!(status, 200, "{body}");
    for field in ["total", "hits", "facets", "took_ms"] {
        assert!(body.get(field).is_some(), "missing {field}: {body}");
    }
    let total = body["total"].as_u64().unwrap();
    assert!(total >= 5, "{body}");
    let hit = &body["hits"][0];
    for field in [
        "id", "kind", "title", "snippet", "year", "sectors", "access", "cues",
    ] {
        assert!(hit.get(field).is_some(), "hit lacks {field}: {hit}");
    }
    assert!(
        body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["snippet"].as_str().unwrap().contains("<mark>"))
    );
    for facet in ["kind", "sector", "violation", "year"] {
        assert!(body["facets"][facet].is_object(), "facet {facet}: {body}");
    }
    let kinds: u64 = body["facets"]["kind"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(kinds, total, "kind facet counts cover every match");

    // Every facet value's count is the total once filtered by it.
    let facets = body["facets"].clone();
    for facet in ["kind", "sector", "violation"] {
        let values = facets[facet].as_object().unwrap();
        assert!(!values.is_empty(), "no {facet} facet values: {facets}");
        for (value, count) in values {
            let url = format!(
                "/api/v1/search?q={}&{facet}={}&per_page=100",
                encode("八项规定"),
                encode(value)
            );
            let (status, narrowed) = borrower.get_json(&url).await;
            assert_eq!(status, 200, "{url}: {narrowed}");
            assert_eq!(
                narrowed["total"].as_u64(),
                count.as_u64(),
                "{facet}={value}: {narrowed}"
            );
            let hits = narrowed["hits"].as_array().unwrap();
            assert_eq!(Some(hits.len() as u64), count.as_u64(), "{facet}={value}");
            match facet {
                "kind" => assert!(hits.iter().all(|h| h["kind"] == value.as_str())),
                "sector" => assert!(
                    hits.iter()
                        .all(|h| h["sectors"].as_array().unwrap().contains(&json!(value))),
                    "{facet}={value}: {narrowed}"
                ),
                _ => {}
            }
        }
    }
    let years = facets["year"].as_object().unwrap();
    assert!(!years.is_empty(), "no year facet values: {facets}");
    for (year, count) in years {
        let url = format!(
            "/api/v1/search?q={}&year_from={year}&year_to={year}",
            encode("八项规定")
        );
        let (_, narrowed) = borrower.get_json(&url).await;
        assert_eq!(narrowed["total"].as_u64(), count.as_u64(), "year {year}");
    }

    // A subtitle hit carries the cue's start time.
    let (_, body) = borrower
        .get_json(&format!("/api/v1/search?q={}", encode("月饼")))
        .await;
    let video = body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "demo-video-mooncake")
        .expect("the mooncake film matches");
    let cue = &video["cues"][0];
    assert!(cue["start"].as_f64().unwrap() > 0.0, "{video}");
    assert!(cue["text"].as_str().unwrap().contains("<mark>"));

    // Drafts are hidden from borrowers, visible to librarians who ask for them.
    let draft_title = "demo-grain-reserve-case";
    let librarian = app.librarian("lib").await;
    let (_, resource) = librarian
        .get_json(&format!("/api/v1/resources/{draft_title}"))
        .await;
    let q = encode(resource["title"].as_str().unwrap());
    let (_, mine) = borrower
        .get_json(&format!("/api/v1/search?q={q}&include_unpublished=true"))
        .await;
    assert!(
        mine["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["id"] != draft_title)
    );
    let (_, theirs) = librarian
        .get_json(&format!("/api/v1/search?q={q}&include_unpublished=true"))
        .await;
    assert!(
        theirs["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == draft_title)
    );

    // Suggestions complete titles.
    let (status, suggestions) = borrower
        .get_json(&format!("/api/v1/suggest?q={}", encode("月饼")))
        .await;
    assert_eq!(status, 200);
    assert!(!suggestions.as_array().unwrap().is_empty(), "{suggestions}");
}

#[tokio::test]
async fn malformed_queries_never_fail_the_server() {
    let app = TestApp::spawn_with_demo().await;
    let session = app.admin().await;
    // 10,000 characters; Chinese ones are kept shorter so the URL stays a valid URI.
    let long = "ab 八 ".repeat(2_000);
    let long_chinese = "贿".repeat(2_000);
    let queries = [
        "\"unbalanced",
        "\"",
        "-",
        "--",
        "- -",
        "title:八项规定",
        "AND OR NOT",
        "((()))",
        "*",
        "\\",
        "\u{0007}\u{0000}",
        "😀🙈",
        "八项规定 -",
        "\"\"",
        "-八项规定",
        "中组发〔2023〕6号",
        "a\"b\"c",
        "%",
        long.as_str(),
        long_chinese.as_str(),
    ];
    for q in queries {
        let (status, body) = session
            .get_json(&format!("/api/v1/search?q={}", encode(q)))
            .await;
        assert!(
            status == 200 || status == 400 || status == 414,
            "{q:?} answered {status}: {body}"
        );
        if status == 400 {
            assert!(!body["error"]["message"].as_str().unwrap().is_empty());
        }
    }
    for params in [
        "page=abc",
        "page=0",
        "per_page=1000",
        "sort=sideways",
        "year_from=2025&year_to=2020",
        "available=maybe",
        "year_from=x",
    ] {
        let (status, body) = session
            .get_json(&format!("/api/v1/search?q=a&{params}"))
            .await;
        assert_eq!(status, 400, "{params}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
}

async fn total_for(session: &crate::common::Session, q: &str) -> Option<u64> {
    let (status, body) = session
        .get_json(&format!("/api/v1/search?q={}&per_page=1", encode(q)))
        .await;
    (status == 200).then(|| body["total"].as_u64()).flatten()
}

#[tokio::test]
async fn an_import_in_another_process_shows_up_in_the_running_server() {
    let app = TestApp::spawn().await;
    let session = app.admin().await;
    let src = tempfile::tempdir().unwrap();
    let manifest = write_manifest(src.path(), "xproc", 5, true);
    let status = jingshi(app.data())
        .arg("import")
        .arg(&manifest)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    // The index follows eventually; how fast is for benchmarks, not this test.
    let started = Instant::now();
    loop {
        if total_for(&session, "甲乙丙丁xproc").await == Some(5) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server's index did not pick up the import"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_index_catches_up_after_the_server_is_killed_during_an_import() {
    let data = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    let manifest = write_manifest(src.path(), "crash", 300, true);
    let (mut server, _) = start_server(data.path()).await;
    let mut import = jingshi(data.path())
        .arg("import")
        .arg(&manifest)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Kill the server (SIGKILL) while the import is writing.
    let started = Instant::now();
    loop {
        let conn = rusqlite::Connection::open(data.path().join("content/jingshi.db")).unwrap();
        let imported: i64 = conn
            .query_row(
                "SELECT count(*) FROM resources WHERE id LIKE 'crash-%'",
                [],
                |r| r.get(0),
            )
            .unwrap_or(0);
        if imported > 20 || started.elapsed() > Duration::from_secs(20) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    assert!(import.wait().unwrap().success());

    let (_server, addr) = start_server(data.path()).await;
    let session = admin_at(addr).await;
    assert_eq!(
        total_for(&session, "甲乙丙丁crash").await,
        Some(300),
        "every imported row is searchable after restart"
    );
}
