//! Hostile documents against the real `jingshi` binary: a DOCX bomb is extracted once
//! at upload, never on a page view, and a PDF that keeps the `pdf-extract` fallback
//! busy is stopped at its timeout, leaving no thread or process behind.
//!
//! The figures are printed: `cargo test --test integration hostile_content -- --nocapture`.

use std::io::{Cursor, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use jingshi::access::{self, AccessError};
use jingshi::accounts::Role;
use jingshi::catalog::{ResourceId, texts};
use jingshi::clock::Clock;
use jingshi::content::{Extraction, FileStore, PdfSettings, extract_pdf_with};
use serde_json::{Value, json};
use zip::write::SimpleFileOptions;

use crate::common::process::{Proc, admin_at, jingshi, open_db, sign_in, start_server_with};
use crate::common::web::upload;
use crate::common::{Session, USER_PASSWORD};

/// A Word document whose `word/document.xml` holds `text` and then `padding` bytes of
/// spaces: a few MB on disk that inflate to far more than extraction reads.
fn docx_bomb(text: &str, padding: usize) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let deflated = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(padding > u32::MAX as usize / 2);
    zip.start_file("[Content_Types].xml", deflated).unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#).unwrap();
    zip.start_file("_rels/.rels", deflated).unwrap();
    zip.write_all(b"<Relationships/>").unwrap();
    zip.start_file("word/document.xml", deflated).unwrap();
    write!(
        zip,
        r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p>"#
    )
    .unwrap();
    let spaces = vec![b' '; 1 << 20];
    let mut left = padding;
    while left > 0 {
        let n = left.min(spaces.len());
        zip.write_all(&spaces[..n]).unwrap();
        left -= n;
    }
    zip.write_all(b"</w:body></w:document>").unwrap();
    zip.finish().unwrap().into_inner()
}

/// A PDF of the given objects (numbered from 1, the first the catalogue) with a
/// correct cross-reference table.
pub(crate) fn pdf_of(objects: &[String]) -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut xref = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for (i, object) in objects.iter().enumerate() {
        xref += &format!("{:010} 00000 n \n", pdf.len());
        pdf.extend(format!("{} 0 obj\n{object}\nendobj\n", i + 1).bytes());
    }
    let (size, start) = (objects.len() + 1, pdf.len());
    pdf.extend(
        format!("{xref}trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{start}\n%%EOF\n")
            .bytes(),
    );
    pdf
}

/// A PDF of `pages` pages that all draw one content stream of `ops` no-op operator
/// pairs: under 2 MB, yet the parser works through `pages × ops` operators.
fn slow_pdf(pages: usize, ops: usize) -> Vec<u8> {
    let stream = "q Q\n".repeat(ops);
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", i + 4)).collect();
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            kids.join(" ")
        ),
        format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ),
    ];
    objects.extend((0..pages).map(|_| {
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R >>".to_owned()
    }));
    pdf_of(&objects)
}

/// A one-page PDF that says `text` in Helvetica.
fn text_pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 24 Tf 72 720 Td ({text}) Tj ET");
    pdf_of(&[
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_owned(),
    ])
}

/// A real server over a new data folder, its admin signed in, and a published resource.
struct Served {
    data: tempfile::TempDir,
    server: Proc,
    addr: SocketAddr,
    admin: Session,
    id: String,
}

/// [`Served`]; with `pdf_timeout_ms`, the server has that PDF time limit and no
/// `pdftotext` on its `PATH`, so that the `pdf-extract` fallback does the work.
async fn serve_resource(pdf_timeout_ms: Option<&str>, title: &str, access: &str) -> Served {
    let data = tempfile::tempdir().unwrap();
    let no_programs = data.path().join("no-programs");
    std::fs::create_dir_all(&no_programs).unwrap();
    let no_programs = no_programs.display().to_string();
    let env = match pdf_timeout_ms {
        Some(ms) => vec![
            ("PATH", no_programs.as_str()),
            ("JINGSHI_PDF_TIMEOUT_MS", ms),
        ],
        None => Vec::new(),
    };
    let (server, addr) = start_server_with(data.path(), &env).await;
    let admin = admin_at(addr).await;
    let (status, created) = admin
        .post_json(
            "/api/v1/resources",
            &json!({"kind": "case", "title": title, "access": access}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, body) = admin
        .post_json(&format!("/api/v1/resources/{id}/publish"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    Served {
        data,
        server,
        addr,
        admin,
        id,
    }
}

/// Adds a borrower of `unit` with the command line, beside the running server.
fn add_borrower(data: &Path, username: &str, unit: &str) {
    let status = jingshi(data)
        .args(["user", "add", "--username", username, "--role", "borrower"])
        .args(["--unit", unit, "--password", USER_PASSWORD])
        .status()
        .unwrap();
    assert!(status.success());
}

/// The page's HTML, asserting it is served.
async fn page(session: &Session, path: &str) -> String {
    let resp = session.get(path).await;
    assert_eq!(resp.status(), 200, "{path}");
    resp.text().await.unwrap()
}

#[tokio::test]
async fn a_docx_bomb_is_extracted_once_and_page_views_read_the_stored_text() {
    // `_server` (not `..`) keeps the server running until the test ends.
    let Served {
        data,
        server: _server,
        admin,
        id,
        ..
    } = serve_resource(None, "DOCX 炸弹", "open").await;

    // 3 MB on disk, 1 GiB of XML once inflated.
    let text = "警示正文：收受礼金 &lt;script&gt;alert(1)&lt;/script&gt;";
    let bomb = docx_bomb(text, 1 << 30);
    println!("DOCX bomb: {} bytes on disk", bomb.len());
    let started = Instant::now();
    let (status, file) = upload(&admin, &id, "炸弹.docx", bomb).await;
    println!("upload and extraction: {:?}", started.elapsed());
    assert_eq!(status, 201, "{file}");
    assert_eq!(file["extraction"], "ok", "{file}");

    let views = 5;
    let started = Instant::now();
    for _ in 0..views {
        let html = page(&admin, &format!("/resources/{id}")).await;
        assert!(html.contains("警示正文：收受礼金"));
        // The document's markup is text on the page, never markup.
        assert!(html.contains("alert(1)"));
        assert!(!html.contains("<script>alert(1)"), "markup not escaped");
    }
    let per_view = started.elapsed() / views;
    println!("FIGURE docx-bomb page view: {per_view:?} per view ({views} views)");

    // Proof that a view does not go back to the file: without it the text is still shown.
    let store = FileStore::open(data.path().join("content/store")).unwrap();
    let blob = store.path_of(file["sha256"].as_str().unwrap()).unwrap();
    std::fs::remove_file(&blob).unwrap();
    let html = page(&admin, &format!("/resources/{id}")).await;
    assert!(
        html.contains("警示正文：收受礼金"),
        "the page re-read the removed original"
    );
}

#[tokio::test]
async fn stored_text_is_shown_only_to_those_who_may_read_it() {
    let Served {
        data,
        server: _server,
        addr,
        admin,
        id,
    } = serve_resource(None, "仅限借阅的通报", "loan").await;
    let (status, file) = upload(&admin, &id, "通报.docx", docx_bomb("仅限借阅的正文", 0)).await;
    assert_eq!(status, 201, "{file}");
    add_borrower(data.path(), "officer", "yn-tax");
    let officer = sign_in(addr, "officer", USER_PASSWORD).await;

    // Over HTTP: the page is there, the stored text is not, and a borrower may not attach.
    let html = page(&officer, &format!("/resources/{id}")).await;
    assert!(!html.contains("仅限借阅的正文"));
    let (status, body) = upload(&officer, &id, "加塞.docx", docx_bomb("加塞", 0)).await;
    assert_eq!(status, 403, "{body}");
    // Hostile ids find nothing and show nothing.
    for hostile in [
        "..%2F..%2Fcontent%2Fjingshi.db",
        "%3Cscript%3E",
        &"a".repeat(5000),
    ] {
        let status = officer.get(&format!("/resources/{hostile}")).await.status();
        assert!(status == 404 || status == 400, "{hostile}: {status}");
    }

    // Through the domain function, as another caller would.
    let conn = open_db(data.path());
    let viewer = |roles: Vec<Role>, unit: Option<&str>| {
        crate::common::session_user(1, "viewer", &roles, unit)
    };
    let at = Clock::system().moment();
    let rid = ResourceId::parse(&id).unwrap();
    let other_unit = viewer(vec![Role::Borrower], Some("yn-customs"));
    let view = access::resource_view(&conn, &other_unit, &rid, at).unwrap();
    assert!(matches!(view.closed, Some(AccessError::LoanRequired)));
    assert!(view.texts.is_empty());
    let librarian = viewer(vec![Role::Librarian], None);
    let view = access::resource_view(&conn, &librarian, &rid, at).unwrap();
    assert_eq!(view.texts.len(), 1);
    assert_eq!(view.texts[0].text, "仅限借阅的正文");
    let file_id = file["id"].as_str().unwrap();
    assert_eq!(view.texts[0].file.id, file_id);
    // The catalogue's stored text: cut by characters, and nothing for ids that are not.
    let cut = texts::stored_text(&conn, file_id, 3).unwrap().unwrap();
    assert_eq!((cut.text.as_str(), cut.truncated), ("仅限借", true));
    for hostile in ["../../content/jingshi.db", "' OR 1=1 --", "<script>", ""] {
        assert_eq!(texts::stored_text(&conn, hostile, 100).unwrap(), None);
        assert!(texts::stored_cues(&conn, hostile).unwrap().is_empty());
    }
}

/// Threads of process `pid` named `name`, and its child processes.
fn threads_and_children(pid: u32, name: &str) -> (usize, usize) {
    let mut named = 0;
    let mut children = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let task = task.unwrap().path();
        let comm = std::fs::read_to_string(task.join("comm")).unwrap_or_default();
        if comm.trim() == name {
            named += 1;
        }
        let kids = std::fs::read_to_string(task.join("children")).unwrap_or_default();
        children += kids.split_whitespace().count();
    }
    (named, children)
}

#[tokio::test]
async fn a_pdf_fallback_past_its_timeout_is_stopped_and_leaves_nothing_running() {
    let Served {
        data: _data,
        server,
        admin,
        id,
        ..
    } = serve_resource(Some("2000"), "PDF 后备提取", "open").await;
    let pid = server.0.id();

    // The fallback reads an ordinary PDF.
    let (status, file) = upload(&admin, &id, "readable.pdf", text_pdf("Fallback works")).await;
    assert_eq!(status, 201, "{file}");
    assert_eq!(file["extraction"], "ok", "{file}");

    let slow = slow_pdf(20_000, 100_000);
    let started = Instant::now();
    let (status, file): (u16, Value) = upload(&admin, &id, "slow.pdf", slow.clone()).await;
    let took = started.elapsed();
    assert_eq!(status, 201, "{file}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (threads, children) = threads_and_children(pid, "pdf-extract");
    println!(
        "FIGURE pdf fallback: attach answered after {took:?}; afterwards {threads} pdf-extract thread(s), {children} child process(es) of the server"
    );
    assert_eq!(file["extraction"], "failed", "{file}");
    assert!(
        file["extraction_error"].as_str().unwrap().contains("超时"),
        "{file}"
    );
    assert!(
        took < Duration::from_secs(30),
        "the timeout did not stop it: {took:?}"
    );
    assert_eq!((threads, children), (0, 0), "extraction work left running");
    // The file itself is kept, whole (the original: a fetch is otherwise stamped).
    let resp = admin
        .get(&format!(
            "/api/v1/files/{}?original=true",
            file["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap().len(), slow.len());
}

#[test]
fn the_fallback_called_directly_stops_its_helper_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slow.pdf");
    std::fs::write(&path, slow_pdf(20_000, 100_000)).unwrap();
    let settings = PdfSettings {
        pdftotext: dir.path().join("no-pdftotext"),
        helper: Some(env!("CARGO_BIN_EXE_jingshi").into()),
        timeout: Duration::from_secs(1),
    };
    let started = Instant::now();
    let outcome = extract_pdf_with(&path, &settings);
    let took = started.elapsed();
    match &outcome {
        Extraction::Failed(reason) => assert!(reason.contains("超时"), "{reason}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(took < Duration::from_secs(20), "{took:?}");
    // No helper is still working on this file.
    let needle = path.display().to_string();
    let helpers = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|p| std::fs::read(p.ok()?.path().join("cmdline")).ok())
        .filter(|cmdline| String::from_utf8_lossy(cmdline).contains(&needle))
        .count();
    assert_eq!(helpers, 0, "a pdf-text helper outlived its timeout");
}
