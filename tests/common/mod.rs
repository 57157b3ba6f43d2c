//! Test harness: the real app on a loopback port over a temporary data folder with a
//! real SQLite file, file store and index.

#![allow(dead_code)]

pub mod admin;
pub mod collecting;
pub mod contributing;
pub mod lending;
pub mod marking;
pub mod process;
pub mod reading;
pub mod smtp;
pub mod visiting;
pub mod web;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use jingshi::accounts::Role;
use jingshi::actor::Actor;
use jingshi::app::{self, AppState};
use jingshi::config::{DataDir, Settings};
use serde_json::Value;
use tokio::sync::oneshot;

pub const ADMIN_PASSWORD: &str = "admin-test-password";
pub const USER_PASSWORD: &str = "user-test-password";

/// A client with its own cookie jar that sends our Origin, as a browser would.
pub fn client_for(addr: SocketAddr) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        format!("http://{addr}").parse().expect("origin header"),
    );
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        // The server closes a keep-alive connection idle for 10 s; a client that
        // reuses one at that moment sees its request cut (IncompleteMessage), as a
        // browser would retry. Let go of idle connections well before.
        .pool_idle_timeout(std::time::Duration::from_secs(4))
        .build()
        .expect("client")
}

/// A signed-in client.
pub struct Session {
    pub client: reqwest::Client,
    pub base: String,
}

impl Session {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let resp = self.get(path).await;
        let status = resp.status().as_u16();
        (status, resp.json::<Value>().await.unwrap_or(Value::Null))
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> (u16, Value) {
        let resp = self
            .client
            .request(method, self.url(path))
            .json(body)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json::<Value>().await.unwrap_or(Value::Null))
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send_json(reqwest::Method::POST, path, body).await
    }

    /// Posts `body` as it is, labelled as JSON (for malformed-input tests).
    pub async fn post_raw_json(&self, path: &str, body: &'static str) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .expect("request")
    }
}

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

/// The default limits, but with a connection cap per address as high as the global
/// one: every simulated user of a test connects from 127.0.0.1.
fn shared_address_limits() -> jingshi::config::Limits {
    let defaults = jingshi::config::Limits::default();
    jingshi::config::Limits {
        max_connections_per_address: defaults.max_connections,
        ..defaults
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

    /// An app with the demo catalogue whose clock stands at noon of `today` from the
    /// start and moves only when the test sets it. The background loan sweep is off:
    /// the test runs it with [`Self::sweep`], so nothing happens on the system date.
    pub async fn spawn_with_demo_on(today: jiff::civil::Date) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_tree(
            &repo_root().join("content/demo"),
            &dir.path().join("content/demo"),
        );
        Self::start(dir, shared_address_limits(), Some(today)).await
    }

    /// An app over an empty data folder whose clock stands at noon of `today` and
    /// moves only when the test sets it; the background sweep is off (the test runs
    /// what it needs by hand).
    pub async fn spawn_on(today: jiff::civil::Date) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start(dir, shared_address_limits(), Some(today)).await
    }

    /// An app over an existing data folder.
    pub async fn spawn_in(dir: tempfile::TempDir) -> Self {
        Self::start(dir, shared_address_limits(), None).await
    }

    /// An app over an empty data folder with other limits.
    pub async fn spawn_with_limits(limits: jingshi::config::Limits) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start(dir, limits, None).await
    }

    async fn start(
        dir: tempfile::TempDir,
        limits: jingshi::config::Limits,
        fixed_today: Option<jiff::civil::Date>,
    ) -> Self {
        let settings = Settings {
            admin_password: Some(ADMIN_PASSWORD.to_owned()),
            // Tests that read scans and films drive the queue themselves.
            ocr_worker: false,
            ..Settings::new(DataDir::new(dir.path()))
        };
        let mut state = tokio::task::spawn_blocking(move || AppState::open(settings))
            .await
            .expect("join")
            .expect("app opens")
            .with_limits(limits);
        if let Some(today) = fixed_today {
            state.clock.set_date(today);
            state = state.without_background_sweep();
        }
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
        let client = client_for(addr);
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
        // Generous: a loaded 2-core machine may take a while to index the demo.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            if let Ok(resp) = self.client.get(self.url("/healthz")).send().await
                && resp.status() == 200
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("server did not become ready within 60 s");
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

    /// Creates an account directly in the database (password hashing included).
    pub fn add_user(&self, username: &str, roles: &[Role], unit: Option<&str>) {
        self.add_user_with_email(username, roles, unit, None);
    }

    /// [`Self::add_user`] with an email address for notification mail.
    pub fn add_user_with_email(
        &self,
        username: &str,
        roles: &[Role],
        unit: Option<&str>,
        email: Option<&str>,
    ) {
        let hash = jingshi::accounts::password::hash_password(USER_PASSWORD).expect("hash");
        let mut conn = self.state.db.get().expect("connection");
        let user = jingshi::accounts::NewUser {
            username,
            password_hash: &hash,
            roles,
            unit,
            email,
        };
        let (operator, at) = (Actor::operator("test"), self.state.clock.moment());
        jingshi::accounts::create_user(&mut conn, &operator, &user, at).expect("create user");
    }

    /// A new client (own cookie jar, our Origin) signed in as `username`.
    pub async fn login(&self, username: &str, password: &str) -> Session {
        let client = client_for(self.addr);
        let resp = client
            .post(self.url("/api/v1/session"))
            .json(&serde_json::json!({"username": username, "password": password}))
            .send()
            .await
            .expect("sign-in request");
        assert_eq!(
            resp.status(),
            200,
            "sign-in of {username} failed: {:?}",
            resp.text().await
        );
        Session {
            client,
            base: self.url(""),
        }
    }

    pub async fn admin(&self) -> Session {
        self.login("admin", ADMIN_PASSWORD).await
    }

    /// Creates a borrower of `unit` and signs in.
    pub async fn borrower(&self, username: &str, unit: &str) -> Session {
        self.add_user(username, &[Role::Borrower], Some(unit));
        self.login(username, USER_PASSWORD).await
    }

    /// Creates a librarian and signs in.
    pub async fn librarian(&self, username: &str) -> Session {
        self.add_user(username, &[Role::Librarian], None);
        self.login(username, USER_PASSWORD).await
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

    /// Runs the loan sweep for the clock's date, as the background task would.
    pub fn sweep(&self) -> jingshi::loans::sweep::SweepSummary {
        let mut conn = self.state.db.get().expect("connection");
        jingshi::loans::sweep::run(&mut conn, self.state.clock.moment()).expect("sweep runs")
    }

    /// Runs a SQL query returning one text value against the app's database.
    pub fn text(&self, sql: &str) -> String {
        let conn = self.state.db.get().expect("connection");
        conn.query_row(sql, [], |row| row.get(0))
            .expect("text query")
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

/// A borrower of `yn-tax` (account 99, `officer`) as the domain sees them, for
/// calling a use case directly.
pub fn officer_actor() -> Actor {
    Actor {
        user_id: Some(99),
        username: "officer".into(),
        unit: Some("yn-tax".into()),
        librarian: false,
        admin: false,
    }
}

/// Account `user_id` (`username`) signed in with `roles` in `unit`, as the domain sees
/// it, for calling a use case directly.
pub fn session_user(
    user_id: i64,
    username: &str,
    roles: &[Role],
    unit: Option<&str>,
) -> jingshi::accounts::SessionUser {
    jingshi::accounts::SessionUser {
        user_id,
        username: username.to_owned(),
        display_name: String::new(),
        roles: roles.to_vec(),
        unit: unit.map(str::to_owned),
        unit_name: None,
        unit_sector: None,
        csrf_token: String::new(),
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
