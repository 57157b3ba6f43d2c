//! Loan marks on fetched PDFs (SPEC §11, issue 23): a borrower's copy carries the
//! loan's mark, ranges and validators work on it, the original never changes, every
//! stamped fetch is audited with the code and loan, and what cannot be stamped is
//! refused to borrowers with a clear message.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common::lending::MONDAY;
use crate::common::marking::{Fetched, contains, fetch, lendable_pdf, lent_today, pdf_pages};
use crate::common::web::page;
use crate::common::{Session, TestApp};

/// The mark code of `loan` as stored.
fn loan_code(app: &TestApp, loan: &Value) -> String {
    app.text(&format!(
        "SELECT code FROM loan_marks WHERE loan_id = {}",
        loan["id"].as_i64().expect("loan id")
    ))
}

fn stored_sha(app: &TestApp, file: &str) -> String {
    app.text(&format!("SELECT sha256 FROM files WHERE id = '{file}'"))
}

fn sha_of_stored(app: &TestApp, sha: &str) -> String {
    let path = app.state.store.path_of(sha).expect("path");
    hex::encode(Sha256::digest(
        std::fs::read(path).expect("stored original"),
    ))
}

async fn audit_details(librarian: &Session, resource: &str) -> Vec<String> {
    let (status, body) = librarian
        .get_json(&format!(
            "/api/v1/audit?action=file_access&resource_id={resource}"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            format!(
                "{} {}",
                row["username"].as_str().unwrap_or(""),
                row["detail"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[tokio::test]
async fn a_lent_pdf_reaches_its_borrowers_stamped_for_the_loan() {
    let app = TestApp::spawn_on(MONDAY).await;
    let librarian = app.librarian("marks-lib").await;
    let reader = app.borrower("marks-reader", "yn-tax").await;
    let colleague = app.borrower("marks-colleague", "yn-tax").await;
    let original = pdf_pages(3, "confession");
    let file = lendable_pdf(&librarian, "marks-pdf", original.clone()).await;
    let loan = lent_today(&librarian, &reader, "marks-pdf").await;
    let path = format!("/api/v1/files/{file}");

    let copy = fetch(&reader, &path, &[]).await;
    assert_eq!(copy.status, 200);
    assert_eq!(copy.header("content-type"), "application/pdf");
    let code = loan_code(&app, &loan);
    assert!(
        copy.bytes.starts_with(&original),
        "the original, then the update"
    );
    assert!(
        contains(&copy.bytes, &format!("JS-{code} yn-tax {MONDAY}")),
        "visible label"
    );
    assert!(
        contains(&copy.bytes, &format!("JSMARK-{code}-20270301")),
        "hidden mark"
    );
    // The unit's other reader gets the very same copy; one mark for the loan.
    assert_eq!(fetch(&colleague, &path, &[]).await.bytes, copy.bytes);
    assert_eq!(app.count("SELECT count(*) FROM loan_marks"), 1);

    ranges_and_validators_work_on_the_copy(&reader, &path, &copy).await;
    let sha = stored_sha(&app, &file);
    assert_eq!(sha_of_stored(&app, &sha), sha, "the original never changes");
    let cached = std::fs::read_dir(app.data().join("content/marked"))
        .unwrap()
        .count();
    assert_eq!(cached, 1, "one cached copy");

    let details = audit_details(&librarian, "marks-pdf").await;
    let stamped = format!("stamped JS-{code}, loan {}", loan["id"]);
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("marks-reader granted") && d.contains(&stamped)),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("marks-colleague granted") && d.contains(&stamped)),
        "{details:?}"
    );
    // The resource page's access log (librarians) lists who fetched which copy.
    let (_, resource) = page(&librarian, "/resources/marks-pdf").await;
    let log = "/librarian/audit?action=file_access&resource_id=marks-pdf";
    assert!(
        resource.contains(&log.replace('&', "&amp;")),
        "a link to the log"
    );
    let (status, html) = page(&librarian, log).await;
    assert_eq!(status, 200);
    let row = format!("允许；加注标记 JS-{code}，借阅 #{}", loan["id"]);
    assert!(html.contains(&row), "{html}");
    assert!(html.contains("marks-reader") && html.contains("marks-colleague"));
}

async fn ranges_and_validators_work_on_the_copy(reader: &Session, path: &str, copy: &Fetched) {
    let len = copy.bytes.len();
    let part = fetch(reader, path, &[("range", "bytes=0-99")]).await;
    assert_eq!(part.status, 206);
    assert_eq!(part.header("content-range"), format!("bytes 0-99/{len}"));
    assert_eq!(part.bytes, copy.bytes[..100]);
    let tail = fetch(reader, path, &[("range", "bytes=-50")]).await;
    assert_eq!(
        (tail.status, tail.bytes.as_slice()),
        (206, &copy.bytes[len - 50..])
    );
    let modified = copy.header("last-modified");
    assert!(!modified.is_empty(), "validators on the copy");
    let resumed = fetch(
        reader,
        path,
        &[("range", "bytes=100-"), ("if-range", modified)],
    )
    .await;
    assert_eq!(
        (resumed.status, resumed.bytes.as_slice()),
        (206, &copy.bytes[100..])
    );
    let unchanged = fetch(reader, path, &[("if-modified-since", modified)]).await;
    assert_eq!(unchanged.status, 304);
    let past = fetch(reader, path, &[("range", &format!("bytes={}-", len + 10))]).await;
    assert_eq!(past.status, 416);
    assert_eq!(past.header("content-range"), format!("bytes */{len}"));
}

#[tokio::test]
async fn librarians_get_their_own_mark_and_alone_the_original() {
    let app = TestApp::spawn_on(MONDAY).await;
    let librarian = app.librarian("marks-lib").await;
    let reader = app.borrower("marks-reader", "yn-tax").await;
    let outsider = app.borrower("marks-outsider", "kunming-customs").await;
    let original = pdf_pages(2, "bulletin");
    let file = lendable_pdf(&librarian, "marks-own", original.clone()).await;
    lent_today(&librarian, &reader, "marks-own").await;
    let path = format!("/api/v1/files/{file}");

    let own = fetch(&librarian, &path, &[]).await;
    assert_eq!(own.status, 200);
    let code = app.text("SELECT code FROM loan_marks WHERE loan_id IS NULL AND unit_code IS NULL");
    assert!(
        contains(&own.bytes, &format!("JSMARK-{code}-")),
        "the librarian's own mark"
    );
    let plain = fetch(&librarian, &format!("{path}?original=true"), &[]).await;
    assert_eq!((plain.status, plain.bytes == original), (200, true));

    // A borrower may not have the original, nor another unit the file at all.
    let refused = fetch(&reader, &format!("{path}?original=true"), &[]).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("原件")
    );
    assert_eq!(fetch(&outsider, &path, &[]).await.status, 403);
    let hostile = fetch(&reader, &format!("{path}?original=%3Cscript%3E"), &[]).await;
    assert_eq!(hostile.status, 400, "{:?}", hostile.json());
    for probe in ["..%2F..%2Fjingshi.db", "f%3Cscript%3E", &"f".repeat(5000)] {
        let answer = fetch(&reader, &format!("/api/v1/files/{probe}"), &[]).await;
        assert!(
            matches!(answer.status, 404 | 414 | 431),
            "{probe}: {}",
            answer.status
        );
    }
    let details = audit_details(&librarian, "marks-own").await;
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("marks-lib granted; original, unstamped")),
        "{details:?}"
    );
    assert!(
        details.iter().any(|d| d.starts_with("marks-reader denied")),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.starts_with(&format!("marks-lib granted; stamped JS-{code}, no loan"))),
        "{details:?}"
    );
}

#[tokio::test]
async fn a_pdf_that_cannot_be_stamped_is_refused_to_borrowers_only() {
    let app = TestApp::spawn_on(MONDAY).await;
    let librarian = app.librarian("marks-lib").await;
    let reader = app.borrower("marks-reader", "yn-tax").await;
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pdf");
    std::fs::write(&plain, pdf_pages(1, "sealed")).unwrap();
    let sealed = dir.path().join("sealed.pdf");
    let status = std::process::Command::new("qpdf")
        .args(["--encrypt", "", "owner-secret", "256", "--"])
        .arg(&plain)
        .arg(&sealed)
        .status()
        .expect("qpdf is installed");
    assert!(status.success());
    let sealed_bytes = std::fs::read(&sealed).unwrap();
    let file = lendable_pdf(&librarian, "marks-sealed", sealed_bytes.clone()).await;
    lent_today(&librarian, &reader, "marks-sealed").await;
    let path = format!("/api/v1/files/{file}");

    let refused = fetch(&reader, &path, &[]).await;
    assert_eq!(refused.status, 422, "{:?}", refused.json());
    let error = refused.json();
    assert_eq!(error["error"]["code"], "unstampable");
    assert!(
        error["error"]["message"].as_str().unwrap().contains("加密"),
        "{error}"
    );
    let marked = app.data().join("content/marked");
    assert_eq!(
        std::fs::read_dir(&marked).unwrap().count(),
        0,
        "no partial copy"
    );
    let given = fetch(&librarian, &path, &[]).await;
    assert_eq!((given.status, given.bytes == sealed_bytes), (200, true));
    let details = audit_details(&librarian, "marks-sealed").await;
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("marks-reader denied; cannot be stamped")),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("marks-lib granted; original, cannot be stamped")),
        "{details:?}"
    );
}
