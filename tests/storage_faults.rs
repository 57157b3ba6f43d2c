//! A full disk and a read-only data folder: a clear error, never a corrupt state.
//!
//! Tests run as root here, where file permissions do not stop writes, so the faults
//! are real mounts: a small tmpfs that fills up, and a read-only bind mount. Where
//! mounting is not allowed the tests say so and pass without checking; each mount test
//! also appends `storage_faults: <test> RAN` or `… SKIPPED (reason)` to the file named
//! by `JINGSHI_FAULT_REPORT`, so that CI can fail when they were skipped on a machine
//! where mounting works (.ci/run).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::common::process::{
    admin_at, age_store, assert_store_matches_rows, jingshi, open_db, query_i64, start_server,
};
use crate::common::web::upload;

/// Says whether a mount test ran: on stderr, and appended to `$JINGSHI_FAULT_REPORT`.
fn report(test: &str, outcome: &str) {
    let line = format!("storage_faults: {test} {outcome}\n");
    eprint!("{line}");
    if let Some(path) = std::env::var_os("JINGSHI_FAULT_REPORT") {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("fault report {}: {e}", Path::new(&path).display()));
        // One write per line, so that tests running at once do not interleave.
        file.write_all(line.as_bytes()).unwrap();
    }
}

/// A mount that is undone when dropped.
struct Mount(PathBuf);

impl Mount {
    fn run(args: &[&str]) -> bool {
        Command::new("mount")
            .args(args)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// A tmpfs of `mib` MiB at `dir`.
    fn tmpfs(dir: &Path, mib: u32) -> Option<Self> {
        let size = format!("size={mib}m");
        Self::run(&["-t", "tmpfs", "-o", &size, "tmpfs", dir.to_str()?]).then(|| Self(dir.into()))
    }

    /// `dir` mounted over itself, read-only.
    fn read_only(dir: &Path) -> Option<Self> {
        let path = dir.to_str()?;
        if !Self::run(&["--bind", path, path]) {
            return None;
        }
        let mount = Self(dir.into());
        Self::run(&["-o", "remount,bind,ro", path]).then_some(mount)
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the file system holding `path` until the disk is full, leaving `spare` bytes.
fn fill(path: &Path, spare: u64) {
    let mut filler = std::fs::File::create(path).unwrap();
    let chunk = vec![0x5au8; 256 * 1024];
    let mut written = 0u64;
    loop {
        match filler.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(_) => break,
        }
    }
    let _ = filler.sync_all();
    filler.set_len(written.saturating_sub(spare)).unwrap();
    filler.sync_all().unwrap();
}

const FULL_DISK: &str = "a_full_disk_refuses_changes_in_words_and_loses_nothing";
const READ_ONLY: &str = "a_read_only_data_folder_is_refused_in_words_and_left_untouched";

/// The fields an edit on a full disk sends, all different for each edit `n`.
fn edit(n: u32) -> serde_json::Value {
    json!({
        "title": format!("磁盘已满演练第{n}次 甲乙丙丁disk"),
        "summary": format!("磁盘满时的第{n}次修改 {}", "长".repeat(2000)),
        "tags": [format!("标签{n}"), "磁盘"],
        "sectors": [format!("行业{n}")],
        "violations": ["受贿"],
        "region": format!("地区{n}"),
        "source": format!("出处{n}"),
        "date": format!("{}", 2000 + n),
    })
}

/// Every field of `sent` reads back as sent.
fn assert_reads_back(resource: &serde_json::Value, sent: &serde_json::Value, what: &str) {
    for (field, value) in sent.as_object().unwrap() {
        assert_eq!(&resource[field], value, "{what}: field {field}");
    }
}

#[tokio::test]
async fn a_full_disk_refuses_changes_in_words_and_loses_nothing() {
    let base = tempfile::tempdir().unwrap();
    let Some(_mount) = Mount::tmpfs(base.path(), 64) else {
        report(
            FULL_DISK,
            "SKIPPED (cannot mount a tmpfs here: needs root with CAP_SYS_ADMIN)",
        );
        return;
    };
    let data = base.path().join("data");
    let filler = base.path().join("filler");
    let (mut server, addr) = start_server(&data).await;
    let admin = admin_at(addr).await;
    let (status, created) = admin
        .post_json(
            "/api/v1/resources",
            &json!({"kind": "textbook", "title": "磁盘已满演练 甲乙丙丁disk",
                    "access": "open", "status": "published"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let text = "# 磁盘已满演练\n\n".to_owned() + &"警示教育材料正文。".repeat(200_000);

    // Two MiB left: a 5 MiB upload cannot fit.
    fill(&filler, 2 * 1024 * 1024);
    let (status, body) = upload(&admin, &id, "big.md", text.clone().into_bytes()).await;
    assert_eq!(status, 507, "{body}");
    assert_eq!(body["error"]["code"], "storage_full", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("磁盘空间不足")
    );
    assert_eq!(
        std::fs::read_dir(data.join("content/store/tmp"))
            .unwrap()
            .count(),
        0,
        "the refused upload left nothing behind"
    );
    // The server answered before reading the whole body and closes that connection:
    // a fresh client does not race the close.
    let admin = admin_at(addr).await;

    // Two MiB are plenty for an edit: it is accepted and reads back whole.
    let mut current = edit(0);
    let (status, body) = admin
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/resources/{id}"),
            &current,
        )
        .await;
    assert_eq!(status, 200, "an edit that fits: {body}");
    let (_, resource) = admin.get_json(&format!("/api/v1/resources/{id}")).await;
    assert_reads_back(&resource, &current, "the edit that fits");

    // No space at all: an edit either lands whole or is refused in words and changes
    // nothing, so the resource always reads as the last accepted edit.
    fill(&filler, 0);
    let mut refused = 0;
    for n in 1..=20 {
        let sent = edit(n);
        let (answered, body) = admin
            .send_json(
                reqwest::Method::PATCH,
                &format!("/api/v1/resources/{id}"),
                &sent,
            )
            .await;
        match answered {
            200 => current = sent,
            507 => {
                assert_eq!(body["error"]["code"], "storage_full", "{body}");
                refused += 1;
            }
            other => panic!("edit on a full disk answered {other}: {body}"),
        }
        let (status, resource) = admin.get_json(&format!("/api/v1/resources/{id}")).await;
        assert_eq!(
            status, 200,
            "reading still works on a full disk: {resource}"
        );
        assert_reads_back(
            &resource,
            &current,
            &format!("after edit {n} answered {answered}"),
        );
    }
    eprintln!("edits refused on a full disk: {refused} of 20");
    assert!(refused > 0, "a disk with no space left refused no edit");

    // Space again: the same upload and edit succeed, and the data is sound.
    std::fs::remove_file(&filler).unwrap();
    let (status, body) = upload(&admin, &id, "big.md", text.into_bytes()).await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = admin
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/resources/{id}"),
            &json!({"summary": "空间恢复后的修改"}),
        )
        .await;
    assert_eq!(status, 200);
    server.kill();
    age_store(&data);
    let (_server, addr) = start_server(&data).await;
    assert_store_matches_rows(&data);
    let conn = open_db(&data);
    assert_eq!(
        query_i64(
            &conn,
            &format!("SELECT count(*) FROM files WHERE resource_id = '{id}'")
        ),
        1
    );
    let admin = admin_at(addr).await;
    let (_, resource) = admin.get_json(&format!("/api/v1/resources/{id}")).await;
    assert_eq!(resource["summary"], "空间恢复后的修改");
    let started = std::time::Instant::now();
    while crate::common::process::search_total(&admin, "甲乙丙丁disk").await != Some(1) {
        assert!(started.elapsed() < Duration::from_secs(30), "index behind");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    report(FULL_DISK, "RAN");
}

#[tokio::test]
async fn a_read_only_data_folder_is_refused_in_words_and_left_untouched() {
    let data = tempfile::tempdir().unwrap();
    let (mut server, addr) = start_server(data.path()).await;
    let admin = admin_at(addr).await;
    let (status, _) = admin
        .post_json(
            "/api/v1/resources",
            &json!({"kind": "case", "title": "只读演练", "access": "open", "status": "published"}),
        )
        .await;
    assert_eq!(status, 201);
    server.kill();
    let resources = query_i64(&open_db(data.path()), "SELECT count(*) FROM resources");
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("a.md"), "只读时导入的材料").unwrap();
    let manifest = src.path().join("m.json");
    std::fs::write(
        &manifest,
        json!({"resources": [{"id": "ro-1", "kind": "case", "title": "只读时导入",
                              "files": ["a.md"]}]})
        .to_string(),
    )
    .unwrap();

    {
        let Some(_mount) = Mount::read_only(data.path()) else {
            report(
                READ_ONLY,
                "SKIPPED (cannot bind-mount read-only here: needs root with CAP_SYS_ADMIN)",
            );
            return;
        };
        for args in [vec!["serve", "--addr", "127.0.0.1:0"], vec!["import"]] {
            let mut command = jingshi(data.path());
            command.args(&args);
            if args[0] == "import" {
                command.arg(&manifest);
            }
            let output = command.stdin(Stdio::null()).output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(!output.status.success(), "{args:?} must fail: {stderr}");
            assert!(
                stderr.contains("不可写") && stderr.contains("只读文件系统"),
                "{args:?} says why: {stderr}"
            );
        }
    }

    // Writable again: everything as it was, nothing half-imported.
    let (_server, addr) = start_server(data.path()).await;
    let conn = open_db(data.path());
    assert_eq!(
        query_i64(&conn, "SELECT count(*) FROM resources"),
        resources
    );
    assert_store_matches_rows(data.path());
    let (status, _) = admin_at(addr)
        .await
        .get_json("/api/v1/resources/ro-1")
        .await;
    assert_eq!(status, 404);
    report(READ_ONLY, "RAN");
}

#[tokio::test]
async fn a_data_folder_below_a_regular_file_is_refused_in_words() {
    let base = tempfile::tempdir().unwrap();
    let file = base.path().join("not-a-folder");
    std::fs::write(&file, "").unwrap();
    let output = jingshi(&file.join("data"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("数据文件夹") && stderr.contains("不可写"),
        "{stderr}"
    );
}
