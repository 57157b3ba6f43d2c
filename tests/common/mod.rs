//! Test harness: the real app on a loopback port over a temporary data folder with a
//! real SQLite file, file store and index.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use jingshi::app::{self, AppState};
use jingshi::config::{DataDir, Settings};
use serde_json::Value;
use tokio::sync::oneshot;

pub const ADMIN_PASSWORD: &str = "admin-test-password";

/// The crate root, where `content/demo` lives.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies a folder tree (used to give a test its own copy of the demo catalogue).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create target folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// A running server over its own data folder.
pub struct TestApp {
    pub dir: tempfile::TempDir,
    pub addr: SocketAddr,
    pub state: AppState,
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    /// An app over an empty data folder (first start: units and admin, no demo).
    pub async fn spawn() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::spawn_in(dir).await
    }

    /// An app whose data folder holds a copy of the demo catalogue.
    pub async fn spawn_with_demo() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_tree(
            &repo_root().join("content/demo"),
            &dir.path().join("content/demo"),
        );
        Self::spawn_in(dir).await
    }

    /// An app over an existing data folder.
    pub async fn spawn_in(dir: tempfile::TempDir) -> Self {
        let settings = Settings {
            data: DataDir::new(dir.path()),
            admin_password: Some(ADMIN_PASSWORD.to_owned()),
        };
        let state = tokio::task::spawn_blocking(move || AppState::open(settings))
            .await
            .expect("join")
            .expect("app opens");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let serving = state.clone();
        let server = tokio::spawn(async move {
            app::serve(listener, serving, async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client");
        let app = Self {
            dir,
            addr,
            state,
            client,
            shutdown: Some(tx),
            server: Some(server),
        };
        app.wait_ready().await;
        app
    }

    async fn wait_ready(&self) {
        for _ in 0..200 {
            if let Ok(resp) = self.client.get(self.url("/healthz")).send().await {
                if resp.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("server did not become ready");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn data(&self) -> &Path {
        self.dir.path()
    }

    /// Stops the server and hands back the data folder (to restart on it).
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        let dir = tempfile::tempdir().expect("placeholder");
        std::mem::replace(&mut self.dir, dir)
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let resp = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        let body = resp.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// Runs a SQL query returning one integer against the app's database.
    pub fn count(&self, sql: &str) -> i64 {
        let conn = self.state.db.get().expect("connection");
        conn.query_row(sql, [], |row| row.get(0))
            .expect("count query")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Counts blobs in a file store folder (files below `store/`, excluding `tmp/`).
pub fn stored_blobs(data: &Path) -> usize {
    fn walk(dir: &Path, count: &mut usize) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == "tmp") {
                    continue;
                }
                walk(&path, count);
            } else {
                *count += 1;
            }
        }
    }
    let mut count = 0;
    walk(&data.join("content/store"), &mut count);
    count
}

/// Files left in the store's temporary folder (must be none after any operation).
pub fn temp_leftovers(data: &Path) -> usize {
    std::fs::read_dir(data.join("content/store/tmp"))
        .map(|entries| entries.count())
        .unwrap_or(0)
}
