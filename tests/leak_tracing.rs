//! The tracer (SPEC §11): a stamped copy, re-saved through qpdf or reduced to its
//! text by pdftotext, is traced back to its loan; only librarians trace, and bad
//! input gets a clear answer.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::common::lending::MONDAY;
use crate::common::marking::{fetch, lendable_pdf, lent_today, pdf_pages};
use crate::common::{Session, TestApp};

/// Posts a PDF to the tracer as multipart field `field`.
async fn trace_pdf(session: &Session, field: &str, name: &str, bytes: Vec<u8>) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    let resp = session
        .client
        .post(session.url("/api/v1/trace"))
        .multipart(reqwest::multipart::Form::new().part(field.to_owned(), part))
        .send()
        .await
        .expect("trace request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn trace_text(session: &Session, text: &str) -> (u16, Value) {
    session
        .post_json("/api/v1/trace", &json!({ "text": text }))
        .await
}

fn run(program: &str, args: &[&Path]) -> Vec<u8> {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is installed: {e}"));
    assert!(
        out.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[tokio::test]
async fn a_leaked_copy_is_traced_to_its_loan_after_qpdf_and_pdftotext() {
    let app = TestApp::spawn_on(MONDAY).await;
    let librarian = app.librarian("trace-lib").await;
    let reader = app.borrower("trace-reader", "yn-tax").await;
    let original = pdf_pages(4, "internal bulletin");
    let file = lendable_pdf(&librarian, "trace-pdf", original.clone()).await;
    let loan = lent_today(&librarian, &reader, "trace-pdf").await;
    let copy = fetch(&reader, &format!("/api/v1/files/{file}"), &[]).await;
    assert_eq!(copy.status, 200);

    let dir = tempfile::tempdir().unwrap();
    let leaked = dir.path().join("leaked.pdf");
    std::fs::write(&leaked, &copy.bytes).unwrap();
    let (resaved, qdf) = (dir.path().join("resaved.pdf"), dir.path().join("qdf.pdf"));
    run("qpdf", &[&leaked, &resaved]);
    run("qpdf", &[Path::new("--qdf"), &leaked, &qdf]);
    let text = String::from_utf8(run("pdftotext", &[&resaved, Path::new("-")])).unwrap();
    assert!(text.contains("internal bulletin"), "{text}");

    let expected = json!({"found": true, "loan_id": loan["id"], "unit": "yn-tax",
                          "resource_id": "trace-pdf", "stamped_at": "2027-03-01"});
    for path in [&leaked, &resaved, &qdf] {
        let bytes = std::fs::read(path).unwrap();
        let (status, answer) = trace_pdf(&librarian, "file", "leak.pdf", bytes).await;
        assert_eq!((status, &answer), (200, &expected), "{}", path.display());
    }
    let (status, answer) = trace_text(&librarian, &text).await;
    assert_eq!((status, &answer), (200, &expected), "pdftotext output");
    // Noise inside the code: a retyped or OCR'd line, spaces and a line break.
    let code = app.text(&format!(
        "SELECT code FROM loan_marks WHERE loan_id = {}",
        loan["id"]
    ));
    let noisy = format!(
        "…JSMARK - {} {}\n{}-2027 0301",
        &code[..3],
        &code[3..5],
        &code[5..]
    );
    assert_eq!(
        trace_text(&librarian, &noisy).await,
        (200, expected.clone())
    );
    let label = format!("js-{}", code.to_lowercase());
    let (_, by_label) = trace_text(&librarian, &label).await;
    assert_eq!(by_label["loan_id"], loan["id"], "{by_label}");

    // The unstamped original, and its text, carry no mark.
    let (status, answer) = trace_pdf(&librarian, "file", "original.pdf", original).await;
    assert_eq!((status, answer), (200, json!({"found": false})));
    assert_eq!(
        trace_text(&librarian, "internal bulletin 0").await.1,
        json!({"found": false})
    );

    let (status, rows) = librarian.get_json("/api/v1/audit?action=leak_traced").await;
    assert_eq!(status, 200);
    let details: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["detail"].as_str())
        .collect();
    let found = format!("found JS-{code}, loan {}", loan["id"]);
    assert_eq!(
        details.iter().filter(|d| **d == found).count(),
        6,
        "{details:?}"
    );
    assert!(details.contains(&"no mark found"), "{details:?}");
}

#[tokio::test]
async fn a_librarians_own_copy_traces_to_no_loan() {
    let app = TestApp::spawn_on(MONDAY).await;
    let librarian = app.librarian("trace-lib").await;
    let file = lendable_pdf(&librarian, "trace-own", pdf_pages(1, "own")).await;
    let copy = fetch(&librarian, &format!("/api/v1/files/{file}"), &[]).await;
    let (status, answer) = trace_pdf(&librarian, "file", "own.pdf", copy.bytes).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer,
        json!({"found": true, "loan_id": null, "unit": null,
                              "resource_id": "trace-own", "stamped_at": "2027-03-01"})
    );
}

#[tokio::test]
async fn only_librarians_trace_and_bad_input_is_told_what_is_wrong() {
    let app = TestApp::spawn_on(MONDAY).await;
    let librarian = app.librarian("trace-lib").await;
    let reader = app.borrower("trace-reader", "yn-tax").await;
    let pdf = pdf_pages(1, "x");
    assert_eq!(trace_text(&reader, "JSMARK-7KQ2M9XA").await.0, 403);
    assert_eq!(
        trace_pdf(&reader, "file", "a.pdf", pdf.clone()).await.0,
        403
    );

    let message = |answer: &Value| answer["error"]["message"].as_str().unwrap_or("").to_owned();
    let (status, answer) = trace_text(&librarian, "  \n ").await;
    assert_eq!(status, 400, "{answer}");
    assert!(message(&answer).contains("PDF"), "{answer}");
    let (status, answer) = librarian.post_json("/api/v1/trace", &json!({})).await;
    assert_eq!(status, 400, "{answer}");
    let resp = librarian
        .post_raw_json("/api/v1/trace", "{\"text\": ")
        .await;
    assert_eq!(resp.status(), 400);
    let (status, answer) =
        trace_text(&librarian, "<script>alert('JS-')</script>JSMARK-../../etc").await;
    assert_eq!((status, answer), (200, json!({"found": false})));

    let (status, answer) = trace_pdf(
        &librarian,
        "file",
        "photo.png",
        b"\x89PNG\r\n\x1a\nrest".to_vec(),
    )
    .await;
    assert_eq!(status, 415, "{answer}");
    assert!(message(&answer).contains("不是 PDF"), "{answer}");
    let (status, answer) = trace_pdf(&librarian, "attachment", "a.pdf", pdf).await;
    assert_eq!(status, 400, "no `file` field: {answer}");
    let (status, answer) = trace_pdf(
        &librarian,
        "file",
        "broken.pdf",
        b"%PDF-1.7\n%%EOF".to_vec(),
    )
    .await;
    assert_eq!((status, answer), (200, json!({"found": false})));

    let mut huge = b"%PDF-1.4\n".to_vec();
    huge.resize(64 * 1024 * 1024 + 1, b' ');
    let (status, answer) = trace_pdf(&librarian, "file", "huge.pdf", huge).await;
    assert_eq!(status, 413, "{answer}");
    assert!(message(&answer).contains("64 MB"), "{answer}");
    let long = "字".repeat(6 * 1024 * 1024);
    let (status, answer) = trace_text(&librarian, &long).await;
    assert_eq!(status, 413, "{answer}");
    assert_eq!(
        app.count("SELECT count(*) FROM loan_marks"),
        0,
        "tracing makes no marks"
    );
}

#[tokio::test]
async fn the_use_case_itself_refuses_borrowers() {
    let app = TestApp::spawn_on(MONDAY).await;
    let _reader = app.borrower("trace-reader", "yn-tax").await;
    let conn = app.state.db.get().unwrap();
    let user_id = app.count("SELECT id FROM users WHERE username = 'trace-reader'");
    let reader = jingshi::accounts::SessionUser {
        user_id,
        username: "trace-reader".into(),
        display_name: String::new(),
        roles: vec![jingshi::accounts::Role::Borrower],
        unit: Some("yn-tax".into()),
        unit_name: None,
        unit_sector: None,
        csrf_token: String::new(),
    };
    let input = jingshi::marks::trace::TraceInput::Text("JSMARK-7KQ2M9XA".into());
    let refused = jingshi::marks::trace::trace(&conn, &reader, input, app.state.clock.moment());
    assert!(
        matches!(
            refused,
            Err(jingshi::marks::trace::TraceError::LibrariansOnly)
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_pdf_with_object_streams_is_stamped_validly_and_traced() {
    let app = TestApp::spawn_on(MONDAY).await;
    let librarian = app.librarian("trace-lib").await;
    let reader = app.borrower("trace-reader", "yn-tax").await;
    let dir = tempfile::tempdir().unwrap();
    let (plain, packed) = (dir.path().join("plain.pdf"), dir.path().join("packed.pdf"));
    std::fs::write(&plain, pdf_pages(3, "packed")).unwrap();
    run(
        "qpdf",
        &[Path::new("--object-streams=generate"), &plain, &packed],
    );
    let file = lendable_pdf(&librarian, "trace-packed", std::fs::read(&packed).unwrap()).await;
    let loan = lent_today(&librarian, &reader, "trace-packed").await;
    let copy = fetch(&reader, &format!("/api/v1/files/{file}"), &[]).await;
    assert_eq!(copy.status, 200);
    let leaked = dir.path().join("leaked.pdf");
    std::fs::write(&leaked, &copy.bytes).unwrap();
    // qpdf finds no damage in the update (a cross-reference stream, like the original's).
    let checked = run("qpdf", &[Path::new("--check"), &leaked]);
    assert!(String::from_utf8_lossy(&checked).contains("No syntax or stream encoding errors"));
    let text = String::from_utf8(run("pdftotext", &[&leaked, Path::new("-")])).unwrap();
    assert_eq!(
        text.matches("JSMARK-").count(),
        3,
        "one hidden mark a page: {text}"
    );
    let (status, answer) = trace_pdf(&librarian, "file", "leak.pdf", copy.bytes).await;
    assert_eq!((status, &answer["loan_id"]), (200, &loan["id"]), "{answer}");
}
