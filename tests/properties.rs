//! Property tests on everything that parses hostile input: manifests, dates, subtitles,
//! file sniffing and extraction, the query language, and (over HTTP) loan periods and
//! multipart uploads. Never a panic, never a 5xx; errors say what is wrong.

use std::io::Write;

use jingshi::catalog::manifest::{parse_csv, parse_json};
use jingshi::catalog::model::PartialDate;
use jingshi::content::{FileKind, extract, parse_srt, parse_vtt, sniff};
use jingshi::search::{SearchIndex, SearchRequest, normalize};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

/// Text that mixes Chinese, ASCII punctuation, brackets, controls and emoji.
fn hostile_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("八项规定".to_owned()),
            Just("\"".to_owned()),
            Just("-".to_owned()),
            Just("〔2023〕".to_owned()),
            Just("：".to_owned()),
            Just("\u{0}".to_owned()),
            Just("😀".to_owned()),
            Just("title:".to_owned()),
            Just(" ".to_owned()),
            "[a-z0-9]{1,6}",
            "\\PC{1,4}",
            any::<char>().prop_map(String::from),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn manifests_never_panic(text in hostile_text(), json_like in "\\{\"resources\":\\[\\{\"kind\":\"(case|video|x)\",\"title\":\"[^\"]{0,8}\"(,\"date\":\"[0-9-]{0,12}\")?\\}\\]\\}") {
        let _ = parse_json(&text);
        let _ = parse_csv(&text);
        let _ = parse_csv(&format!("kind,title,date,copies\n{text}"));
        if let Ok(rows) = parse_json(&json_like) {
            for row in rows {
                if let Ok(input) = row.input {
                    match input.validate() {
                        Ok(_) => {}
                        Err(err) => prop_assert!(!err.to_string().is_empty()),
                    }
                }
            }
        }
    }

    #[test]
    fn dates_parse_or_say_why(text in "[0-9]{0,5}(-[0-9]{0,3}){0,3}") {
        match PartialDate::parse(&text) {
            Ok(date) => prop_assert!((1900..=2100).contains(&date.year)),
            Err(err) => prop_assert!(err.to_string().contains("date")),
        }
    }

    #[test]
    fn subtitles_never_panic(text in hostile_text(), times in "([0-9]{1,2}:){1,2}[0-9]{1,2}[.,][0-9]{0,4} --> ([0-9]{1,2}:){1,2}[0-9]{1,2}[.,][0-9]{0,4}") {
        let _ = parse_vtt(&text);
        let _ = parse_srt(&text);
        let vtt = format!("WEBVTT\n\n{times}\n{text}\n");
        if let Ok(cues) = parse_vtt(&vtt) {
            for cue in cues {
                prop_assert!(cue.start_ms <= cue.end_ms || cue.end_ms == 0 || cue.start_ms > 0);
            }
        }
        let _ = parse_srt(&format!("1\n{times}\n{text}\n"));
    }

    #[test]
    fn sniffing_and_extraction_of_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048), prefix in prop_oneof![Just(b"%PDF-1.4\n".to_vec()), Just(b"PK\x03\x04".to_vec()), Just(b"WEBVTT\n\n".to_vec()), Just(Vec::new())]) {
        let mut data = prefix;
        data.extend(bytes);
        for name in ["a.pdf", "a.docx", "a.md", "a.txt", "a.vtt", "a.srt", "a.mp4", "a.png", "a", "a.exe"] {
            let _ = sniff(&data, name);
        }
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&data).unwrap();
        for kind in [FileKind::Pdf, FileKind::Docx, FileKind::Markdown, FileKind::Text, FileKind::Vtt, FileKind::Srt] {
            let _ = extract(file.path(), kind);
        }
    }

    #[test]
    fn normalisation_is_idempotent(text in hostile_text()) {
        let once = normalize(&text);
        prop_assert_eq!(normalize(&once), once);
    }
}

#[test]
fn the_query_language_answers_every_input() {
    let index = SearchIndex::open_in_ram().unwrap();
    let docs = (0..20).map(|n| jingshi::search::SearchDoc {
        id: format!("doc-{n}"),
        kind: "case".into(),
        title: format!("第{n}号 违反中央八项规定精神 受贿罪 案例"),
        summary: "挪用公款 中组发〔2023〕6号".into(),
        body: "中华人民共和国监察法 留置 政务处分 风腐同查".repeat(n + 1),
        status: "published".into(),
        access: "open".into(),
        year: Some(2000 + n as i32),
        ..Default::default()
    });
    index.rebuild(docs, 1, &|_| {}).unwrap();
    let mut runner = TestRunner::new(ProptestConfig::with_cases(256));
    let strategy = hostile_text();
    for _ in 0..256 {
        let q = strategy.new_tree(&mut runner).unwrap().current();
        match index.search(&SearchRequest::query(q.clone())) {
            Ok(results) => assert!(results.hits.len() as u64 <= results.total, "{q:?}"),
            Err(err) => assert!(!err.to_string().is_empty(), "{q:?}"),
        }
        let _ = index.suggest(&q, false, 5);
    }
}

#[tokio::test]
async fn loan_periods_and_uploads_over_http_never_fail_the_server() {
    let app = crate::common::TestApp::spawn_with_demo().await;
    let borrower = app.borrower("officer", "yn-tax").await;
    let librarian = app.librarian("lib").await;
    let mut runner = TestRunner::new(ProptestConfig::with_cases(64));
    let date = prop_oneof![
        "20[0-9]{2}-[0-1][0-9]-[0-3][0-9]",
        "[0-9-]{0,12}",
        hostile_text(),
    ];
    for _ in 0..64 {
        let start = date.new_tree(&mut runner).unwrap().current();
        let end = date.new_tree(&mut runner).unwrap().current();
        let (status, body) = borrower
            .post_json(
                "/api/v1/loans",
                &serde_json::json!({"resource_id": "demo-tax-invoice-case", "format": "digital", "start": start, "end": end, "purpose": "测试", "audience": 10}),
            )
            .await;
        assert!(status < 500, "{start:?}..{end:?}: {status} {body}");
        if status >= 400 {
            assert!(
                body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{body}"
            );
        }
    }
    let (_, created) = librarian
        .post_json(
            "/api/v1/resources",
            &serde_json::json!({"kind": "case", "title": "上传测试"}),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let bytes = prop::collection::vec(any::<u8>(), 0..4096);
    let names = prop_oneof![
        Just("a.pdf"),
        Just("a.docx"),
        Just("a.md"),
        Just("a.vtt"),
        Just("a.srt"),
        Just("a.mp4"),
        Just("a.exe"),
        Just("../../a.md"),
        Just("")
    ];
    for _ in 0..48 {
        let data = bytes.new_tree(&mut runner).unwrap().current();
        let name = names.new_tree(&mut runner).unwrap().current();
        let part = reqwest::multipart::Part::bytes(data).file_name(name.to_owned());
        let resp = librarian
            .client
            .post(librarian.url(&format!("/api/v1/resources/{id}/files")))
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        assert!(status < 500, "{name:?}: {status} {:?}", resp.text().await);
    }
    // A body that is not multipart at all.
    let resp = librarian
        .client
        .post(librarian.url(&format!("/api/v1/resources/{id}/files")))
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.md\"\r\n\r\nunterminated")
        .send()
        .await
        .unwrap();
    assert!(
        (400..500).contains(&resp.status().as_u16()),
        "{}",
        resp.status()
    );
    assert_eq!(crate::common::temp_leftovers(app.data()), 0);
}
