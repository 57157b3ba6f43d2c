//! Text documents lent out carry the loan's mark (issue 23): a TXT or Markdown file
//! fetched through `GET /api/v1/files/{id}` has it as its first and last line in the
//! file's own encoding, a DOCX in its page header and footer with every other part
//! unchanged; ranges of the marked copy work; another unit's borrower gets nothing;
//! the audit row names the mark; the resource page shows the mark without script.

use std::io::{Cursor, Read};

use jingshi::access::{AccessError, Download, DownloadRequest, Shelves, open_download};
use jingshi::accounts::{Role, SessionUser};
use reqwest::header;
use serde_json::Value;

use crate::common::lending::{approved, day, set_today};
use crate::common::web::{page, upload};
use crate::common::{Session, TestApp, repo_root};

const GBK_TEXT: &str = "demo-market-supervision-case";
const DOCX: &str = "demo-confession-tax-deputy";
const MARKDOWN: &str = "demo-bank-loan-case";
const FILM: &str = "demo-video-banquet";

/// A signed-in librarian, a borrower of yn-tax holding active digital loans of the
/// demo's GB18030 text, DOCX, Markdown and film, and a borrower of another unit.
async fn lent(app: &TestApp) -> (Session, Session, Session) {
    set_today(app, 0);
    let librarian = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    let stranger = app.borrower("stranger", "kunming-customs").await;
    for resource in [GBK_TEXT, DOCX, MARKDOWN, FILM] {
        let loan = approved(&librarian, &officer, resource, "digital", &day(0), &day(3)).await;
        assert_eq!(loan["status"], "active", "{loan}");
    }
    (librarian, officer, stranger)
}

/// The id of the first file of `resource` whose name ends with `suffix`.
async fn file_id(session: &Session, resource: &str, suffix: &str) -> String {
    let (status, body) = session
        .get_json(&format!("/api/v1/resources/{resource}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["files"]
        .as_array()
        .and_then(|files| {
            files
                .iter()
                .find(|f| f["name"].as_str().is_some_and(|n| n.ends_with(suffix)))
        })
        .and_then(|f| f["id"].as_str())
        .unwrap_or_else(|| panic!("{resource} has no {suffix}: {body}"))
        .to_owned()
}

async fn fetch(session: &Session, file: &str, range: Option<&str>) -> reqwest::Response {
    let mut request = session
        .client
        .get(session.url(&format!("/api/v1/files/{file}")));
    if let Some(range) = range {
        request = request.header(header::RANGE, range);
    }
    request.send().await.expect("file request")
}

/// The full bytes of `file` for `session` (status 200 asserted).
async fn bytes_of(session: &Session, file: &str) -> Vec<u8> {
    let resp = fetch(session, file, None).await;
    assert_eq!(resp.status(), 200, "{file}");
    resp.bytes().await.expect("body").to_vec()
}

/// The label of the loan of `resource` (`JS-… yn-tax 2027-03-01`).
fn loan_label(app: &TestApp, resource: &str) -> String {
    let code = app.text(&format!(
        "SELECT m.code FROM loan_marks m JOIN loans l ON l.id = m.loan_id \
         WHERE l.resource_id = '{resource}'"
    ));
    format!("JS-{code} yn-tax {}", day(0))
}

fn demo_file(name: &str) -> Vec<u8> {
    std::fs::read(repo_root().join("content/demo/files").join(name)).expect("demo file")
}

/// `stamped` is `original` between the marked first and last lines, with `eol` ends.
fn assert_marked_around(stamped: &[u8], original: &[u8], label: &str, eol: &str) {
    let head = format!("[{label}]{eol}{eol}");
    let tail = match original.ends_with(eol.as_bytes()) {
        true => format!("{eol}[{label}]{eol}"),
        false => format!("{eol}{eol}[{label}]{eol}"),
    };
    assert!(
        stamped.starts_with(head.as_bytes()),
        "{}",
        String::from_utf8_lossy(&stamped[..80.min(stamped.len())])
    );
    assert!(stamped.ends_with(tail.as_bytes()));
    assert_eq!(
        &stamped[head.len()..stamped.len() - tail.len()],
        original,
        "the text between the marks is the original, byte for byte"
    );
}

#[tokio::test]
async fn lent_texts_carry_the_loans_mark_in_their_own_encoding() {
    let app = TestApp::spawn_with_demo().await;
    let (librarian, officer, _) = lent(&app).await;

    // GB18030 stays GB18030: the mark is ASCII, the rest is the stored bytes.
    let gbk = file_id(&officer, GBK_TEXT, ".txt").await;
    let stamped = bytes_of(&officer, &gbk).await;
    let label = loan_label(&app, GBK_TEXT);
    let original = demo_file("market-supervision-case-gbk.txt");
    let eol = if original.windows(2).any(|w| w == b"\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    assert_marked_around(&stamped, &original, &label, eol);
    let (text, _, malformed) = encoding_rs::GB18030.decode(&stamped);
    assert!(!malformed && text.contains("市场监管"), "{text}");

    // UTF-8 Markdown.
    let markdown = file_id(&officer, MARKDOWN, ".md").await;
    let stamped = bytes_of(&officer, &markdown).await;
    let label = loan_label(&app, MARKDOWN);
    assert_marked_around(&stamped, &demo_file("bank-loan-case.md"), &label, "\n");

    // A UTF-8 text with a byte order mark and Windows line ends keeps both.
    let original = "\u{feff}第一行\r\n第二行\r\n".as_bytes().to_vec();
    let (status, body) = upload(&librarian, MARKDOWN, "说明.txt", original.clone()).await;
    assert_eq!(status, 201, "{body}");
    let stamped = bytes_of(&officer, body["id"].as_str().expect("id")).await;
    assert!(stamped.starts_with(format!("\u{feff}[{label}]\r\n\r\n").as_bytes()));
    assert_marked_around(&stamped[3..], &original[3..], &label, "\r\n");

    // The store keeps the original: the librarian's own copy carries their mark.
    let own = bytes_of(&librarian, &gbk).await;
    assert!(own.starts_with(b"[JS-") && !own.starts_with(label.as_bytes()));
    assert!(!String::from_utf8_lossy(&own[..40]).contains("yn-tax"));
}

/// The parts of a zip by name, inflated.
fn parts(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).expect("entry");
            let mut data = Vec::new();
            entry.read_to_end(&mut data).expect("inflate");
            (entry.name().expect("name").into_owned(), data)
        })
        .collect()
}

fn text_of(bytes: &[u8], dir: &std::path::Path, name: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    match jingshi::content::extract(&path, jingshi::content::FileKind::Docx) {
        jingshi::content::Extraction::Text(text) => text,
        other => panic!("{name}: {other:?}"),
    }
}

#[tokio::test]
async fn a_lent_docx_has_the_mark_in_header_and_footer_and_the_rest_unchanged() {
    let app = TestApp::spawn_with_demo().await;
    let (_, officer, _) = lent(&app).await;
    let docx = file_id(&officer, DOCX, ".docx").await;
    let stamped = bytes_of(&officer, &docx).await;
    let label = loan_label(&app, DOCX);
    let original = demo_file("confession-tax-deputy.docx");
    let (before, after) = (parts(&original), parts(&stamped));

    // Every part but the four that show a header is the same, byte for byte.
    let changed = [
        "[Content_Types].xml",
        "word/document.xml",
        "word/_rels/document.xml.rels",
    ];
    for (name, data) in &before {
        let (_, now) = after
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} is kept"));
        if !changed.contains(&name.as_str()) {
            assert_eq!(now, data, "{name} unchanged");
        }
    }
    let added: Vec<&str> = after
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !before.iter().any(|(b, _)| b == n))
        .collect();
    assert_eq!(added, ["word/header1.xml", "word/footer1.xml"]);
    for (name, data) in after.iter().filter(|(n, _)| added.contains(&n.as_str())) {
        assert!(
            String::from_utf8_lossy(data).contains(&label),
            "{name} carries {label}"
        );
    }
    let (_, document) = after
        .iter()
        .find(|(n, _)| n == "word/document.xml")
        .expect("body");
    let document = String::from_utf8_lossy(document);
    assert!(document.contains("headerReference") && document.contains("footerReference"));

    // The text extractor reads the same body from the marked copy.
    let dir = tempfile::tempdir().expect("dir");
    assert_eq!(
        text_of(&stamped, dir.path(), "marked.docx"),
        text_of(&original, dir.path(), "original.docx")
    );
}

#[tokio::test]
async fn ranges_of_a_marked_copy_are_ranges_of_that_copy() {
    let app = TestApp::spawn_with_demo().await;
    let (_, officer, _) = lent(&app).await;
    let file = file_id(&officer, GBK_TEXT, ".txt").await;
    let whole = bytes_of(&officer, &file).await;
    let len = whole.len();

    let resp = fetch(&officer, &file, Some("bytes=0-9")).await;
    assert_eq!(resp.status(), 206);
    assert_eq!(
        resp.headers()[header::CONTENT_RANGE],
        format!("bytes 0-9/{len}").as_str()
    );
    assert_eq!(resp.bytes().await.expect("body"), &whole[..10]);

    let resp = fetch(&officer, &file, Some("bytes=-20")).await;
    assert_eq!(resp.status(), 206);
    assert_eq!(resp.bytes().await.expect("body"), &whole[len - 20..]);

    let resp = fetch(&officer, &file, Some(&format!("bytes={len}-"))).await;
    assert_eq!(resp.status(), 416);
    let body: Value = resp.json().await.expect("error body");
    assert_eq!(body["error"]["code"], "range_not_satisfiable");

    // The same copy again: the same bytes (one mark per loan, not per fetch).
    assert_eq!(bytes_of(&officer, &file).await, whole);
}

#[tokio::test]
async fn another_units_borrower_gets_no_copy_and_every_fetch_is_audited_with_its_mark() {
    let app = TestApp::spawn_with_demo().await;
    let (_, officer, stranger) = lent(&app).await;
    for (resource, suffix) in [(GBK_TEXT, ".txt"), (DOCX, ".docx"), (MARKDOWN, ".md")] {
        let file = file_id(&officer, resource, suffix).await;
        let resp = fetch(&stranger, &file, None).await;
        assert_eq!(resp.status(), 403, "{resource}");
        let body: Value = resp.json().await.expect("error body");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("借阅")),
            "{body}"
        );
        bytes_of(&officer, &file).await;
        let code = loan_label(&app, resource)[3..11].to_owned();
        let audited = app.count(&format!(
            "SELECT count(*) FROM audit_log WHERE action = 'file_access' \
             AND username = 'officer' AND file_id = '{file}' AND detail LIKE '%JS-{code}%'"
        ));
        assert_eq!(
            audited, 1,
            "{resource}: the fetch's audit row names JS-{code}"
        );
    }
    assert_eq!(
        app.count(
            "SELECT count(*) FROM loan_marks m JOIN users u ON u.id = m.user_id \
             WHERE u.username = 'stranger'"
        ),
        0,
        "a refused viewer gets no mark"
    );
    // Hostile ids find nothing and make nothing.
    let marks = app.count("SELECT count(*) FROM loan_marks");
    for id in [
        "..%2F..%2Fetc%2Fpasswd",
        "f<script>alert(1)",
        &"f".repeat(5000),
    ] {
        let resp = fetch(&officer, id, None).await;
        assert_eq!(resp.status(), 404, "{id}");
    }
    assert_eq!(app.count("SELECT count(*) FROM loan_marks"), marks);
}

#[tokio::test]
async fn a_broken_docx_is_refused_with_a_clear_message() {
    let app = TestApp::spawn_with_demo().await;
    let (librarian, officer, _) = lent(&app).await;
    let broken = {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("[Content_Types].xml", options)
            .expect("entry");
        zip.write_all(br#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#).expect("write");
        zip.start_file("word/document.xml", options).expect("entry");
        zip.write_all(b"<w:document><w:body><w:p>").expect("write");
        zip.finish().expect("zip").into_inner()
    };
    let (status, body) = upload(&librarian, DOCX, "损坏.docx", broken.clone()).await;
    assert_eq!(status, 201, "{body}");
    let file = body["id"].as_str().expect("id").to_owned();
    let resp = fetch(&officer, &file, None).await;
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.expect("error body");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Word 文档已损坏")),
        "{body}"
    );
    let refused = app.count(&format!(
        "SELECT count(*) FROM audit_log WHERE file_id = '{file}' AND username = 'officer' \
         AND detail LIKE 'denied; cannot be stamped%'"
    ));
    assert_eq!(refused, 1, "the refusal is audited");
    // Nothing half-made is left in the cache (the only fetch so far was refused).
    let left: Vec<_> = std::fs::read_dir(app.data().join("content/marked"))
        .expect("the cache folder")
        .flatten()
        .map(|entry| entry.file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // The committee still has its file: the original, audited as unmarked.
    assert_eq!(bytes_of(&librarian, &file).await, broken);
    let original = app.count(&format!(
        "SELECT count(*) FROM audit_log WHERE file_id = '{file}' AND username = 'lib' \
         AND detail LIKE 'granted; original, cannot be stamped%'"
    ));
    assert_eq!(original, 1);
}

#[tokio::test]
async fn the_page_shows_the_mark_without_script_to_those_who_may_watch() {
    let app = TestApp::spawn_with_demo().await;
    let (_, officer, stranger) = lent(&app).await;
    let (status, html) = page(&officer, &format!("/resources/{FILM}")).await;
    assert_eq!(status, 200);
    let label = loan_label(&app, FILM);
    assert!(
        html.contains(&format!("<span class=\"mark-label\">{label}</span>")),
        "{html}"
    );
    assert!(html.contains("controlslist=\"nofullscreen\""));
    let (_, html) = page(&officer, &format!("/resources/{MARKDOWN}")).await;
    assert!(html.contains(&format!(
        "<text x=\"8\" y=\"40\">{}</text>",
        loan_label(&app, MARKDOWN)
    )));
    // Another unit sees the resource closed: no player, no mark, no mark made.
    let (status, html) = page(&stranger, &format!("/resources/{FILM}")).await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("mark-overlay") && !html.contains("mark-tiles"),
        "{html}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM loan_marks m JOIN users u ON u.id = m.user_id WHERE u.username = 'stranger'"),
        0
    );
}

#[tokio::test]
async fn a_leaked_text_is_traced_to_its_loan_by_its_mark() {
    let app = TestApp::spawn_with_demo().await;
    let (librarian, officer, _) = lent(&app).await;
    let file = file_id(&officer, GBK_TEXT, ".txt").await;
    let leaked = bytes_of(&officer, &file).await;
    // Pasted as text, decoded from GB18030 like any reader would.
    let (text, _, _) = encoding_rs::GB18030.decode(&leaked);
    let (status, answer) = librarian
        .post_json("/api/v1/trace", &serde_json::json!({ "text": text }))
        .await;
    assert_eq!(status, 200, "{answer}");
    let loan = app.count(&format!(
        "SELECT id FROM loans WHERE resource_id = '{GBK_TEXT}'"
    ));
    assert_eq!(answer["found"], true, "{answer}");
    assert_eq!(answer["loan_id"], loan, "{answer}");
    assert_eq!(answer["unit"], "yn-tax");
    assert_eq!(answer["resource_id"], GBK_TEXT);
}

/// `username` as the domain sees a signed-in account.
fn session_user(app: &TestApp, username: &str, roles: &[Role], unit: Option<&str>) -> SessionUser {
    let id = app.count(&format!(
        "SELECT id FROM users WHERE username = '{username}'"
    ));
    crate::common::session_user(id, username, roles, unit)
}

/// `open_download` as another caller (a command, a job) would call it.
async fn open_as(
    app: &TestApp,
    viewer: SessionUser,
    file: &str,
    wanted: DownloadRequest,
) -> Result<Download, AccessError> {
    let (state, file) = (app.state.clone(), file.to_owned());
    let at = state.clock.moment();
    state
        .clone()
        .with_conn(move |conn| {
            let shelves = Shelves {
                store: &state.store,
                marked: &state.marked,
            };
            Ok::<_, rusqlite::Error>(open_download(conn, &viewer, &file, wanted, shelves, at))
        })
        .await
        .expect("database")
}

#[tokio::test]
async fn the_download_use_case_marks_for_the_loan_and_refuses_others() {
    let app = TestApp::spawn_with_demo().await;
    let (_, officer, _) = lent(&app).await;
    let file = file_id(&officer, DOCX, ".docx").await;
    let stranger = session_user(&app, "stranger", &[Role::Borrower], Some("kunming-customs"));
    assert!(matches!(
        open_as(&app, stranger, &file, DownloadRequest::default()).await,
        Err(AccessError::LoanRequired)
    ));
    let borrower = session_user(&app, "officer", &[Role::Borrower], Some("yn-tax"));
    let download = open_as(&app, borrower.clone(), &file, DownloadRequest::default())
        .await
        .expect("lent");
    let mark = download.mark.expect("a marked copy");
    let loan = app.count(&format!(
        "SELECT id FROM loans WHERE resource_id = '{DOCX}'"
    ));
    assert_eq!(mark.loan_id.map(|id| id.0), Some(loan));
    assert!(download.path.starts_with(app.data().join("content/marked")));
    assert!(download.path.to_string_lossy().ends_with(".docx"));
    // Asking for the original is the committee's privilege.
    let wanted = DownloadRequest {
        range: None,
        original: true,
    };
    let original = open_as(&app, borrower, &file, wanted).await;
    assert!(matches!(original, Err(AccessError::OriginalForLibrarians)));
}
