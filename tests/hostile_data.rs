//! Hostile import manifests (issue 14): a row may not read a file outside the
//! manifest's folder, whether by `..`, an absolute path, a symlinked file or a
//! symlinked folder. The bad row is reported with its position, the good rows still
//! import, and nothing of the bad row is stored: no catalogue row, no blob, no index
//! entry. Run with `-- --nocapture` to see how many hostile rows got in.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use jingshi::catalog;
use serde_json::json;
use tempfile::TempDir;

use crate::common::process::{admin_at, jingshi, open_db, query_i64, search_total, start_server};
use crate::common::{TestApp, stored_blobs};

/// Text of the file outside the manifest's folder; a search for it must find nothing.
const SECRET: &str = "机密外泄测试词甲乙丙";

/// The hostile rows, in manifest order after the two good ones.
const HOSTILE: [&str; 4] = ["dotdot", "absolute", "file-link", "dir-link"];

/// A folder `root` with `outside/secret.md` and `library/manifest.json` whose rows are
/// two good cases (one through a symlink that stays inside) and the four hostile ones.
/// Answers the root and the manifest's path.
fn hostile_manifest() -> (TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let outside = root.path().join("outside");
    let library = root.path().join("library");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::create_dir_all(library.join("files")).unwrap();
    let secret = outside.join("secret.md");
    std::fs::write(&secret, format!("# 外部文件\n\n{SECRET}")).unwrap();
    std::fs::write(
        library.join("files/good.md"),
        "# 正常材料\n\n违规收受礼品。",
    )
    .unwrap();
    std::fs::write(library.join("files/other.md"), "# 另一份材料\n\n违规吃喝。").unwrap();
    // Inside and pointing inside: allowed.
    symlink(
        library.join("files/other.md"),
        library.join("files/alias.md"),
    )
    .unwrap();
    symlink(&secret, library.join("files/leak.md")).unwrap();
    symlink(&outside, library.join("linked")).unwrap();
    let depth = "../".repeat(library.components().count() + 2);
    let row = |id: &str, file: String| json!({"id": id, "kind": "case", "title": format!("导入 {id}"), "access": "open", "files": [file]});
    let manifest = json!({"resources": [
        row("good", "files/good.md".into()),
        row("alias", "files/alias.md".into()),
        row(HOSTILE[0], format!("{depth}{}", secret.display().to_string().trim_start_matches('/'))),
        row(HOSTILE[1], secret.display().to_string()),
        row(HOSTILE[2], "files/leak.md".into()),
        row(HOSTILE[3], "linked/secret.md".into()),
    ]});
    let path = library.join("manifest.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    (root, path)
}

/// How many of the hostile rows have a catalogue row in the database at `data`.
fn hostile_rows_stored(conn: &rusqlite::Connection) -> i64 {
    HOSTILE
        .iter()
        .map(|id| {
            query_i64(
                conn,
                &format!("SELECT count(*) FROM resources WHERE id = '{id}'"),
            )
        })
        .sum()
}

/// Each hostile row is reported with its position (rows 3 to 6) and a reason.
fn assert_reported(report: &str) {
    for (index, id) in HOSTILE.iter().enumerate() {
        let position = format!("第 {} 条", index + 3);
        let line = report
            .lines()
            .find(|line| line.contains(&position))
            .unwrap_or_else(|| panic!("{position} ({id}) not reported in:\n{report}"));
        assert!(
            line.contains("清单所在文件夹"),
            "{position} ({id}) has no reason: {line}"
        );
    }
}

#[tokio::test]
async fn the_import_command_refuses_rows_that_read_outside_the_manifest_folder() {
    let (_root, manifest) = hostile_manifest();
    let data = tempfile::tempdir().unwrap();
    let out = jingshi(data.path())
        .arg("import")
        .arg(&manifest)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stored = hostile_rows_stored(&open_db(data.path()));
    println!(
        "import traversal (CLI): {stored} of {} hostile rows imported; exit {:?}",
        HOSTILE.len(),
        out.status.code()
    );
    assert_eq!(stored, 0, "{stderr}");
    assert!(!out.status.success(), "a failed row must fail the command");
    assert_reported(&stderr);
    let conn = open_db(data.path());
    assert_eq!(
        query_i64(
            &conn,
            "SELECT count(*) FROM resources WHERE id IN ('good', 'alias')"
        ),
        2
    );
    // One blob each for the two good rows, none for the secret.
    assert_eq!(query_i64(&conn, "SELECT count(*) FROM files"), 2);
    assert_eq!(stored_blobs(data.path()), 2);
    drop(conn);
    // The server builds its index from the database: the secret is not searchable
    // and no borrower can be served it.
    let (_server, addr) = start_server(data.path()).await;
    let admin = admin_at(addr).await;
    assert_eq!(search_total(&admin, "违规吃喝").await, Some(1));
    assert_eq!(search_total(&admin, SECRET).await, Some(0));
    for id in HOSTILE {
        let (status, _) = admin.get_json(&format!("/api/v1/resources/{id}")).await;
        assert_eq!(status, 404, "{id}");
    }
}

#[tokio::test]
async fn the_import_function_refuses_the_same_rows_and_keeps_the_good_ones() {
    let (_root, manifest) = hostile_manifest();
    let app = TestApp::spawn().await;
    let blobs_before = stored_blobs(app.data());
    let summary = catalog::import_manifest(
        &app.state.db,
        &app.state.store,
        &manifest,
        &jingshi::actor::Actor::operator("test"),
        app.state.clock.moment(),
        &mut |_, _| {},
    )
    .unwrap();
    let stored = hostile_rows_stored(&app.state.db.get().unwrap());
    println!(
        "import traversal (domain): {stored} of {} hostile rows imported",
        HOSTILE.len()
    );
    assert_eq!(stored, 0);
    assert_eq!((summary.created, summary.failures.len()), (2, 4));
    let report: String = summary
        .failures
        .iter()
        .map(|f| format!("{} {:?} {}\n", f.position, f.id, f.reason))
        .collect();
    assert_reported(&report);
    assert!(!summary.succeeded());
    assert_eq!(stored_blobs(app.data()), blobs_before + 2);
    assert_eq!(app.count("SELECT count(*) FROM files"), 2);
    // What the background follower would do next: the good rows are indexed.
    jingshi::indexer::catch_up(&app.state.db, &app.state.search).unwrap();
    let admin = app.admin().await;
    assert_eq!(search_total(&admin, SECRET).await, Some(0));
    assert_eq!(search_total(&admin, "违规收受礼品").await, Some(1));
}

/// A manifest reached through a symlinked folder may still name its own files: the
/// folder that counts is where the manifest really is.
#[tokio::test]
async fn a_manifest_reached_through_a_symlink_imports_its_own_files() {
    let root = tempfile::tempdir().unwrap();
    let real = root.path().join("real");
    std::fs::create_dir_all(&real).unwrap();
    std::fs::write(real.join("a.md"), "# 材料\n\n公款吃喝。").unwrap();
    std::fs::write(
        real.join("m.json"),
        r#"{"resources":[{"id":"via-link","kind":"case","title":"经由链接","files":["a.md"]}]}"#,
    )
    .unwrap();
    symlink(&real, root.path().join("alias")).unwrap();
    let data = tempfile::tempdir().unwrap();
    let out = jingshi(data.path())
        .arg("import")
        .arg(Path::new(&root.path().join("alias/m.json")))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        query_i64(&open_db(data.path()), "SELECT count(*) FROM files"),
        1
    );
}
