//! Hostile documents against the real `jingshi` binary: a DOCX bomb is extracted once
//! at upload, never on a page view.
//!
//! The figures are printed: `cargo test --test integration hostile_content -- --nocapture`.

use std::io::{Cursor, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

use jingshi::access::{self, AccessError};
use jingshi::accounts::{Role, SessionUser};
use jingshi::catalog::{ResourceId, texts};
use jingshi::clock::Clock;
use jingshi::content::FileStore;
use serde_json::json;
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
    let viewer = |roles: Vec<Role>, unit: Option<&str>| SessionUser {
        user_id: 1,
        username: "viewer".into(),
        roles,
        unit: unit.map(str::to_owned),
        unit_name: None,
        unit_sector: None,
        csrf_token: String::new(),
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
