//! The real `jingshi` binary as a child process, for tests that kill it (SIGKILL) or
//! run it on a faulty data folder, and checks of what it leaves on disk.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use jingshi::content::FileStore;
use serde_json::json;
use tempfile::TempDir;

use super::web::encode;
use super::{ADMIN_PASSWORD, Session, client_for};

/// `jingshi --data DATA` with the admin password set and quiet logs.
pub fn jingshi(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jingshi"));
    command
        .arg("--data")
        .arg(data)
        .env("JINGSHI_ADMIN_PASSWORD", ADMIN_PASSWORD)
        // Machine reading of the demo's scan and film would only load the machine.
        .env("JINGSHI_NO_OCR", "true")
        .env("RUST_LOG", "warn,tantivy=error");
    command
}

/// A child process, killed with SIGKILL when dropped.
pub struct Proc(pub Child);

impl Proc {
    /// SIGKILL: no destructor, no flush, no graceful shutdown.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A loopback address that was free a moment ago.
pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
}

/// Starts `jingshi serve` on a free port and waits until it answers `/healthz`.
pub async fn start_server(data: &Path) -> (Proc, SocketAddr) {
    start_server_with(data, &[]).await
}

/// [`start_server`] with more environment variables (e.g. the SMTP settings).
pub async fn start_server_with(data: &Path, env: &[(&str, &str)]) -> (Proc, SocketAddr) {
    let addr = free_addr();
    let mut command = jingshi(data);
    command
        .envs(env.iter().copied())
        .arg("serve")
        .arg("--addr")
        .arg(addr.to_string());
    wait_served(command, addr).await
}

/// `jingshi` with no subcommand, configured only through the environment (the
/// address in `JINGSHI_ADDR`), as `cargo run --release` starts it.
pub async fn start_bare_server_with(data: &Path, env: &[(&str, &str)]) -> (Proc, SocketAddr) {
    let addr = free_addr();
    let mut command = jingshi(data);
    command
        .envs(env.iter().copied())
        .env("JINGSHI_ADDR", addr.to_string());
    wait_served(command, addr).await
}

/// Spawns `command` and waits until it answers `/healthz` on `addr`.
async fn wait_served(mut command: Command, addr: SocketAddr) -> (Proc, SocketAddr) {
    let child = command
        .stdout(Stdio::null())
        // JINGSHI_TEST_SERVER_LOG=1 shows the server's log while debugging a test.
        .stderr(if std::env::var_os("JINGSHI_TEST_SERVER_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("spawn server");
    let mut server = Proc(child);
    let client = client_for(addr);
    let started = Instant::now();
    loop {
        if let Ok(resp) = client.get(format!("http://{addr}/healthz")).send().await
            && resp.status() == 200
        {
            return (server, addr);
        }
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("server exited early: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Signs in at a server on `addr`.
pub async fn sign_in(addr: SocketAddr, username: &str, password: &str) -> Session {
    let client = client_for(addr);
    let resp = client
        .post(format!("http://{addr}/api/v1/session"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("sign-in request");
    assert_eq!(resp.status(), 200, "sign-in of {username}");
    Session {
        client,
        base: format!("http://{addr}"),
    }
}

pub async fn admin_at(addr: SocketAddr) -> Session {
    sign_in(addr, "admin", ADMIN_PASSWORD).await
}

/// The session cookie of a fresh admin sign-in, as a `Cookie` header value (for raw
/// HTTP clients).
pub async fn admin_cookie(addr: SocketAddr) -> String {
    let resp = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/session"))
        .header("Origin", format!("http://{addr}"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("sign-in");
    assert_eq!(resp.status(), 200);
    let cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("session cookie");
    cookie.split(';').next().unwrap_or_default().to_owned()
}

/// The data folder's database, opened beside whatever process uses it.
pub fn open_db(data: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(data.join("content/jingshi.db")).expect("open database");
    conn.busy_timeout(Duration::from_secs(10)).expect("timeout");
    conn
}

pub fn query_i64(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

/// Makes every file in the store look two hours old, as if the restart came well after
/// the crash (blobs of a few minutes are spared because an import may still own them).
pub fn age_store(data: &Path) {
    fn walk(dir: &Path, when: SystemTime) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, when);
            } else if let Ok(file) = std::fs::File::options().write(true).open(&path) {
                let _ = file.set_modified(when);
            }
        }
    }
    walk(
        &data.join("content/store"),
        SystemTime::now() - Duration::from_secs(2 * 3600),
    );
}

/// The store and the rows agree: every file row has its blob (with the recorded size),
/// every blob has a file row, and no temporary file is left.
pub fn assert_store_matches_rows(data: &Path) {
    let conn = open_db(data);
    let store = FileStore::open(data.join("content/store")).expect("store");
    let mut stmt = conn
        .prepare("SELECT DISTINCT sha256, size FROM files")
        .expect("files query");
    let rows: Vec<(String, u64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("files")
        .collect::<Result<_, _>>()
        .expect("rows");
    for (sha256, size) in &rows {
        let path = store.path_of(sha256).expect("path");
        let meta = std::fs::metadata(&path)
            .unwrap_or_else(|_| panic!("file row {sha256} has no blob in the store"));
        assert_eq!(meta.len(), *size, "blob {sha256} is complete");
    }
    let referenced: BTreeSet<String> = rows.into_iter().map(|(h, _)| h).collect();
    let stored: BTreeSet<String> = store.all_hashes().expect("hashes").into_iter().collect();
    let orphans: Vec<_> = stored.difference(&referenced).collect();
    assert!(orphans.is_empty(), "blobs without a file row: {orphans:?}");
    let temp = std::fs::read_dir(data.join("content/store/tmp"))
        .map(|e| e.count())
        .unwrap_or(0);
    assert_eq!(temp, 0, "temporary files left in the store");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity check");
    assert_eq!(check, "ok");
}

/// `total` of a search (any status but 200 is `None`).
pub async fn search_total(session: &Session, q: &str) -> Option<u64> {
    let (status, body) = session
        .get_json(&format!(
            "/api/v1/search?q={}&per_page=1&include_unpublished=1",
            encode(q)
        ))
        .await;
    (status == 200).then(|| body["total"].as_u64()).flatten()
}

/// A manifest of `count` open cases whose summary and text hold `甲乙丙丁{token}`,
/// each with its own text file when `files`.
pub fn write_manifest(dir: &Path, token: &str, count: usize, files: bool) -> PathBuf {
    let resources: Vec<serde_json::Value> = (0..count)
        .map(|n| {
            let mut row = json!({
                "id": format!("{token}-{n}"), "kind": "case", "access": "open",
                "title": format!("导入演练{token}第{n}号"),
                "summary": format!("某单位干部违规收受礼品礼金，受到党纪政务处分。关键词甲乙丙丁{token}，编号{n}。"),
            });
            if files {
                let file = format!("{token}-{n}.md");
                std::fs::write(
                    dir.join(&file),
                    format!("# 第{n}份材料\n\n关键词甲乙丙丁{token}，编号{n}。"),
                )
                .expect("write a case's file");
                row["files"] = json!([file]);
            }
            row
        })
        .collect();
    let path = dir.join(format!("{token}.json"));
    std::fs::write(
        &path,
        serde_json::to_vec(&json!({ "resources": resources })).expect("manifest JSON"),
    )
    .expect("write the manifest");
    path
}

/// A new data folder into which `jingshi import` has loaded [`write_manifest`]'s
/// `count` cases for `token`; answers it and the folder holding the manifest.
pub fn imported_data(token: &str, count: usize, files: bool) -> (TempDir, TempDir) {
    let data = tempfile::tempdir().expect("data folder");
    let src = tempfile::tempdir().expect("source folder");
    let manifest = write_manifest(src.path(), token, count, files);
    let out = jingshi(data.path())
        .arg("import")
        .arg(&manifest)
        .output()
        .expect("run import");
    assert!(out.status.success(), "{out:?}");
    (data, src)
}

/// The ids a query of one integer column answers, as a set.
pub fn query_ids(conn: &rusqlite::Connection, sql: &str) -> BTreeSet<i64> {
    let mut stmt = conn.prepare(sql).expect(sql);
    stmt.query_map([], |r| r.get(0))
        .expect(sql)
        .collect::<Result<_, _>>()
        .expect(sql)
}
