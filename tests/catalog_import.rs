//! Bulk import: good and bad manifests, idempotent re-import, dedupe, refusal of
//! disguised executables, extraction of each document type, the edit history.

use std::io::Write;
use std::path::Path;

use jingshi::catalog::{self, ResourceId};
use serde_json::{Value, json};

use crate::common::{TestApp, stored_blobs, temp_leftovers};

/// Writes a manifest and its files into `dir`.
fn write_manifest(dir: &Path, manifest: &Value) -> std::path::PathBuf {
    let path = dir.join("manifest.json");
    std::fs::write(&path, serde_json::to_vec_pretty(manifest).unwrap()).unwrap();
    path
}

fn import(app: &TestApp, manifest: &Path) -> catalog::ImportSummary {
    catalog::import_manifest(
        &app.state.db,
        &app.state.store,
        manifest,
        &jingshi::actor::Actor::operator("test"),
        app.state.clock.moment(),
        &mut |_, _| {},
    )
    .unwrap()
}

/// A minimal DOCX with the given paragraphs.
fn docx_bytes(paragraphs: &[&str]) -> Vec<u8> {
    let mut buffer = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buffer);
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("[Content_Types].xml", options).unwrap();
        zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#).unwrap();
        zip.start_file("word/document.xml", options).unwrap();
        let body: String = paragraphs
            .iter()
            .map(|p| format!("<w:p><w:r><w:t>{p}</w:t></w:r></w:p>"))
            .collect();
        write!(zip, r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#).unwrap();
        zip.finish().unwrap();
    }
    buffer.into_inner()
}

fn resource(app: &TestApp, id: &str) -> catalog::Resource {
    let conn = app.state.db.get().unwrap();
    catalog::get_resource(&conn, &ResourceId::parse(id).unwrap()).unwrap()
}

#[tokio::test]
async fn good_manifest_imports_resources_files_and_text() {
    let app = TestApp::spawn().await;
    let src = tempfile::tempdir().unwrap();
    let dir = src.path();
    std::fs::create_dir(dir.join("files")).unwrap();
    std::fs::write(
        dir.join("files/case.md"),
        "# 某局违规收受月饼案\n\n违反中央八项规定精神，收受月饼礼盒。",
    )
    .unwrap();
    let (gbk, _, _) = encoding_rs::GBK.encode("某烟草公司原经理挪用公款案，涉案金额巨大。");
    std::fs::write(dir.join("files/old-gbk.txt"), &gbk).unwrap();
    std::fs::write(
        dir.join("files/lesson.docx"),
        docx_bytes(&["第一章 纪律教育", "政务处分的种类和适用"]),
    )
    .unwrap();
    std::fs::write(
        dir.join("files/film.vtt"),
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n他收下了第一盒月饼\n\n00:01:33.500 --> 00:01:37.000 align:start\n<v 旁白>八项规定不是一阵风</v>\n",
    )
    .unwrap();
    let manifest = write_manifest(
        dir,
        &json!({"resources": [
            {"id": "t-case", "kind": "case", "title": "某局违规收受月饼案", "summary": "示例", "tags": ["八项规定"],
             "sectors": ["税务"], "violations": ["违反中央八项规定精神"], "date": "2023-09", "access": "open",
             "licences": 2, "copies": [{"barcode": "JS-T-1", "location": "二楼书架", "condition": "good"}],
             "files": ["files/case.md"]},
            {"id": "t-gbk", "kind": "case", "title": "挪用公款案", "date": "2021", "files": ["files/old-gbk.txt"]},
            {"id": "t-docx", "kind": "textbook", "title": "纪律教育教材", "date": "2024-03-01", "copies": 2, "files": ["files/lesson.docx"]},
            {"id": "t-film", "kind": "video", "title": "警示教育片", "duration": 120, "files": ["files/film.vtt"]}
        ]}),
    );
    let summary = import(&app, &manifest);
    assert!(summary.succeeded(), "{:?}", summary.failures);
    assert_eq!(summary.created, 4);
    assert_eq!(summary.files_attached, 4);

    let case = resource(&app, "t-case");
    assert_eq!(case.year, Some(2023));
    assert_eq!(case.holdings.licences, Some(2));
    assert_eq!(case.holdings.copies[0].barcode, "JS-T-1");
    assert_eq!(case.files[0].mime, "text/markdown");
    assert_eq!(
        case.files[0].extraction,
        jingshi::content::ExtractionState::Ok
    );

    let conn = app.state.db.get().unwrap();
    let text = |id: &str| -> String {
        conn.query_row("SELECT text FROM files WHERE resource_id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
    };
    assert!(
        text("t-gbk").contains("挪用公款"),
        "GBK text decoded: {}",
        text("t-gbk")
    );
    assert!(
        text("t-docx").contains("政务处分"),
        "DOCX text: {}",
        text("t-docx")
    );
    let docx = resource(&app, "t-docx");
    assert_eq!(
        docx.holdings.copies.len(),
        2,
        "a count of copies gets generated barcodes"
    );
    assert_eq!(
        docx.holdings.licences, None,
        "absent licences mean unlimited"
    );

    let cues: Vec<(i64, String)> = conn
        .prepare("SELECT c.start_ms, c.text FROM cues c JOIN files f ON f.id = c.file_id WHERE f.resource_id = 't-film' ORDER BY c.seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(cues.len(), 2);
    assert_eq!(cues[1].0, 93_500);
    assert_eq!(cues[1].1, "八项规定不是一阵风");

    // The API shows the same resource with its files.
    let (status, body) = app.admin().await.get_json("/api/v1/resources/t-case").await;
    assert_eq!(status, 200);
    assert_eq!(body["title"], "某局违规收受月饼案");
    assert_eq!(body["files"][0]["extraction"], "ok");
    assert!(body["files"][0]["id"].as_str().unwrap().len() > 8);
}

#[tokio::test]
async fn bad_rows_are_reported_and_leave_nothing_behind() {
    let app = TestApp::spawn().await;
    let src = tempfile::tempdir().unwrap();
    let dir = src.path();
    std::fs::write(dir.join("ok.md"), "正常的材料").unwrap();
    // An ELF executable dressed up as a PDF.
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
    elf.extend(std::iter::repeat_n(0u8, 200));
    std::fs::write(dir.join("report.pdf"), &elf).unwrap();
    std::fs::write(
        dir.join("fine.md"),
        "这份文件本身没有问题，但它所在的行有错",
    )
    .unwrap();
    let manifest = write_manifest(
        dir,
        &json!({"resources": [
            {"id": "good-1", "kind": "case", "title": "正常", "files": ["ok.md"]},
            {"id": "no-title", "kind": "case"},
            {"id": "bad-kind", "kind": "film", "title": "类型错误"},
            {"id": "missing-file", "kind": "case", "title": "缺文件", "files": ["fine.md", "nowhere.pdf"]},
            {"id": "bad-date", "kind": "case", "title": "日期错误", "date": "2023-02-30", "files": ["fine.md"]},
            {"id": "good-1", "kind": "case", "title": "重复编号"},
            {"id": "disguised", "kind": "case", "title": "伪装的可执行文件", "files": ["fine.md", "report.pdf"]}
        ]}),
    );
    let summary = import(&app, &manifest);
    assert_eq!(summary.created, 1);
    assert_eq!(summary.failures.len(), 6, "{:#?}", summary.failures);
    let reason = |id: &str| {
        summary
            .failures
            .iter()
            .find(|f| {
                f.id.as_deref() == Some(id)
                    || (id == "no-title" && f.position.contains("resources[1]"))
            })
            .map(|f| format!("{} {}", f.position, f.reason))
            .unwrap_or_else(|| panic!("no failure for {id}"))
    };
    assert!(reason("no-title").contains("title"));
    assert!(reason("bad-kind").contains("kind"));
    assert!(reason("missing-file").contains("nowhere.pdf"));
    assert!(reason("bad-date").contains("2023-02-30"));
    assert!(reason("disguised").contains("report.pdf"));
    assert!(
        summary
            .failures
            .iter()
            .any(|f| f.position.contains("resources[5]") && f.reason.contains("重复"))
    );

    // Only the good row is there: no resource, file row, blob or temp file of a bad row.
    assert_eq!(app.count("SELECT count(*) FROM resources"), 1);
    assert_eq!(app.count("SELECT count(*) FROM files"), 1);
    assert_eq!(app.count("SELECT count(*) FROM blobs"), 1);
    assert_eq!(
        stored_blobs(app.data()),
        1,
        "fine.md must not stay in the store"
    );
    assert_eq!(temp_leftovers(app.data()), 0);
    assert_eq!(resource(&app, "good-1").title, "正常");
}

#[tokio::test]
async fn reimport_updates_instead_of_duplicating_and_records_history() {
    let app = TestApp::spawn().await;
    let src = tempfile::tempdir().unwrap();
    let dir = src.path();
    std::fs::write(dir.join("a.md"), "同一份文件").unwrap();
    let mut manifest = json!({"resources": [
        {"id": "r-1", "kind": "confession", "title": "初稿标题", "files": ["a.md"], "copies": 1},
        {"id": "r-2", "kind": "case", "title": "另一份", "files": ["a.md"]}
    ]});
    let path = write_manifest(dir, &manifest);
    let first = import(&app, &path);
    assert_eq!((first.created, first.updated), (2, 0));
    // Same bytes under two resources are stored once.
    assert_eq!(stored_blobs(app.data()), 1);

    let again = import(&app, &path);
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));

    manifest["resources"][0]["title"] = json!("修订后的标题");
    manifest["resources"][0]["tags"] = json!(["忏悔录"]);
    write_manifest(dir, &manifest);
    let third = import(&app, &path);
    assert_eq!((third.created, third.updated, third.unchanged), (0, 1, 1));
    assert_eq!(app.count("SELECT count(*) FROM resources"), 2);
    assert_eq!(app.count("SELECT count(*) FROM files"), 2);
    assert_eq!(app.count("SELECT count(*) FROM copies"), 1);

    let conn = app.state.db.get().unwrap();
    let history = catalog::history(&conn, &ResourceId::parse("r-1").unwrap()).unwrap();
    let actions: Vec<&str> = history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions, ["create", "copies", "attach_file", "update"]);
    let update = history.last().unwrap();
    assert_eq!(update.actor, "test");
    assert_eq!(update.changes["title"], json!(["初稿标题", "修订后的标题"]));
    assert_eq!(update.changes["tags"], json!([[], ["忏悔录"]]));
    assert!(
        update.changes.get("kind").is_none(),
        "unchanged fields are not in the diff"
    );
}

#[tokio::test]
async fn csv_manifest_imports_with_lists_and_reports_lines() {
    let app = TestApp::spawn().await;
    let src = tempfile::tempdir().unwrap();
    let dir = src.path();
    std::fs::write(dir.join("x.md"), "CSV 导入的材料").unwrap();
    let path = dir.join("manifest.csv");
    std::fs::write(
        &path,
        "id,kind,title,sectors,violations,date,access,licences,copies,files\n\
         csv-1,case,\"某海关关员受贿案\",海关;税务,受贿,2022-05,open,3,JS-C-1;JS-C-2,x.md\n\
         csv-2,case,坏日期,,,22,,,,\n",
    )
    .unwrap();
    let summary = import(&app, &path);
    assert_eq!(summary.created, 1);
    assert_eq!(summary.failures.len(), 1);
    assert_eq!(summary.failures[0].position, "第 3 行");
    let imported = resource(&app, "csv-1");
    assert_eq!(imported.sectors, ["海关", "税务"]);
    assert_eq!(imported.holdings.copies.len(), 2);
    assert_eq!(imported.access, catalog::Access::Open);
}

#[tokio::test]
async fn cli_import_exits_non_zero_when_a_row_fails_and_prints_a_summary() {
    let data = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("a.md"), "材料").unwrap();
    let manifest = write_manifest(
        src.path(),
        &json!({"resources": [
            {"id": "cli-1", "kind": "case", "title": "好", "files": ["a.md"]},
            {"id": "cli-2", "kind": "case", "title": "坏", "files": ["missing.md"]}
        ]}),
    );
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_jingshi"))
            .arg("--data")
            .arg(data.path())
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["import", manifest.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stdout.contains("新建 1"), "{stdout}");
    assert!(
        stderr.contains("missing.md") && stderr.contains("cli-2"),
        "{stderr}"
    );

    let out = run(&[
        "unit",
        "add",
        "--code",
        "yn-test",
        "--name",
        "测试单位",
        "--sector",
        "税务",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["unit", "add", "--code", "Bad Code", "--name", "x"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Bad Code"));
    assert!(data.path().join("content/jingshi.db").is_file());
}
