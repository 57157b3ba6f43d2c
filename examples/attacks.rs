//! Attacks on availability, replayed against the real server binary with figures.
//!
//! ```text
//! cargo build --release && cargo run --release --example attacks -- [--binary PATH] [SCENARIO…]
//! ```
//!
//! Each scenario starts `jingshi serve` (default `target/release/jingshi`; `--binary`
//! runs an older build for a before/after comparison) over a fresh data folder on
//! loopback and prints what it measured. Scenarios: `silent` (1,100 connections that
//! send nothing), `h2-preface` (1,100 that send only the HTTP/2 preface and SETTINGS),
//! `sign-in-burst` (300 concurrent sign-ins from 300 addresses), `long-usernames`
//! (1,000 failed sign-ins with 256 KB usernames), `lockout` (strangers' failures, then
//! the owner's right password from elsewhere) and `slow-multipart` (a body trickled
//! under a multipart content type to a route that is not an upload). Client sockets
//! are bound to addresses in 127.0.0.0/8 to stand for many hosts; only loopback is
//! ever contacted.

// Benchmarks and tools: a failed step ends the run with its message.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const ADMIN_PASSWORD: &str = "attacks-admin-password-2026";
const SCENARIOS: [&str; 6] = [
    "silent",
    "h2-preface",
    "sign-in-burst",
    "long-usernames",
    "lockout",
    "slow-multipart",
];

/// The server under attack, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start(binary: &Path, extra: &[&str]) -> Self {
        let data = tempfile::tempdir().unwrap();
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let child = Command::new(binary)
            .arg("--data")
            .arg(data.path())
            .arg("serve")
            .arg("--addr")
            .arg(addr.to_string())
            .args(extra)
            .env("JINGSHI_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", binary.display()));
        let server = Self { child, addr, data };
        let started = Instant::now();
        while healthz_from(addr, loopback(0, 0, 1)).await.is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "server did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The database's size with its write-ahead log folded in (a checkpoint from a
    /// connection of our own), so that what is measured is data, not the log's
    /// preallocated pages.
    fn database_bytes(&self) -> u64 {
        let path = self.data.path().join("content").join("jingshi.db");
        if let Ok(conn) = rusqlite::Connection::open(&path) {
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
        ["jingshi.db", "jingshi.db-wal"]
            .iter()
            .filter_map(|name| std::fs::metadata(self.data.path().join("content").join(name)).ok())
            .map(|meta| meta.len())
            .sum()
    }
}

/// `127.a.b.c`: one of loopback's many addresses, standing for one client host.
fn loopback(a: u8, b: u8, c: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, a, b, c))
}

async fn connect_from(source: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0))?;
    socket.connect(to).await
}

/// `/healthz` over a fresh connection from `source`: how long the answer took, or
/// `None` when none came within 5 s.
async fn healthz_from(addr: SocketAddr, source: IpAddr) -> Option<Duration> {
    let started = Instant::now();
    let exchange = async {
        let mut stream = connect_from(source, addr).await.ok()?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await.ok()?;
        head.starts_with(b"HTTP/1.1 200").then_some(())
    };
    match tokio::time::timeout(Duration::from_secs(5), exchange).await {
        Ok(Some(())) => Some(started.elapsed()),
        _ => None,
    }
}

fn client_from(source: IpAddr, addr: SocketAddr) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        format!("http://{addr}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .local_address(source)
        .default_headers(headers)
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

fn proc_status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}

fn ms(duration: Option<Duration>) -> String {
    duration.map_or_else(
        || "no answer within 5 s".to_owned(),
        |d| format!("{:.1} ms", d.as_secs_f64() * 1000.0),
    )
}

/// Opens `count` connections from one address that send `first_bytes` and then
/// nothing; then asks `/healthz` from another address, and watches how long the
/// server keeps the silent ones open.
async fn idle_flood(binary: &Path, first_bytes: &'static [u8], name: &str) {
    let server = Server::start(binary, &["--request-timeout-secs", "5"]).await;
    let count = 1_100;
    let mut silent = Vec::with_capacity(count);
    for _ in 0..count {
        match connect_from(loopback(0, 0, 2), server.addr).await {
            Ok(mut stream) => {
                if !first_bytes.is_empty() {
                    let _ = stream.write_all(first_bytes).await;
                }
                silent.push(stream);
            }
            Err(err) => {
                println!("  connect failed after {} sockets: {err}", silent.len());
                break;
            }
        }
    }
    // Let the server accept what it will.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let answer = healthz_from(server.addr, loopback(0, 0, 3)).await;
    println!(
        "{name}: {} connections from 127.0.0.2, then /healthz from 127.0.0.3: {}",
        silent.len(),
        ms(answer)
    );
    let started = Instant::now();
    let mut open = silent.len();
    let mut buf = [0u8; 256];
    while open > 0 && started.elapsed() < Duration::from_secs(40) {
        open = 0;
        for stream in &mut silent {
            match stream.try_read(&mut buf) {
                Ok(0) => {}
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => open += 1,
                // Frames the server sends (an HTTP/2 SETTINGS, a GOAWAY) before closing.
                Ok(_) => open += 1,
                Err(_) => {}
            }
        }
        if open > 0 {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    println!(
        "{name}: still open after {:.0} s: {open} of {}",
        started.elapsed().as_secs_f64(),
        silent.len()
    );
}

async fn sign_in_burst(binary: &Path) {
    let server = Server::start(binary, &[]).await;
    let pid = server.pid();
    let before = proc_status_kib(pid, "VmRSS:");
    let addr = server.addr;
    let watcher = tokio::spawn(async move {
        let mut worst = Duration::ZERO;
        let mut unanswered = 0;
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            match healthz_from(addr, loopback(0, 0, 3)).await {
                Some(took) => worst = worst.max(took),
                None => unanswered += 1,
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        (worst, unanswered)
    });
    let started = Instant::now();
    let attempts = (0..300u16).map(|n| {
        let client = client_from(loopback(1, (n / 250) as u8, (n % 250 + 1) as u8), addr);
        async move {
            client
                .post(format!("http://{addr}/api/v1/session"))
                .json(&json!({"username": format!("guess{n}"), "password": "wrong-password"}))
                .send()
                .await
                .map(|resp| resp.status().as_u16())
                .unwrap_or(0)
        }
    });
    let statuses = futures_join_all(attempts).await;
    let burst = started.elapsed();
    let peak = proc_status_kib(pid, "VmHWM:");
    let (worst, unanswered) = watcher.await.unwrap();
    let mut tally = std::collections::BTreeMap::new();
    for status in statuses {
        *tally.entry(status).or_insert(0) += 1;
    }
    println!(
        "sign-in-burst: 300 sign-ins from 300 addresses in {:.1} s, statuses {tally:?}",
        burst.as_secs_f64()
    );
    println!(
        "sign-in-burst: RSS {} MB before, peak {} MB (+{} MB); /healthz worst {:.1} ms, unanswered {unanswered}",
        before / 1024,
        peak / 1024,
        peak.saturating_sub(before) / 1024,
        worst.as_secs_f64() * 1000.0
    );
}

/// Runs all futures at once (a tiny `join_all`, so the example needs no more crates).
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(handles.len());
    for handle in handles {
        outputs.push(handle.await.unwrap());
    }
    outputs
}

async fn long_usernames(binary: &Path) {
    let server = Server::start(binary, &[]).await;
    let addr = server.addr;
    let before = server.database_bytes();
    // 256 KB, just under the 256 KiB body limit with the rest of the JSON.
    let username = "u".repeat(256_000);
    let started = Instant::now();
    let mut statuses = std::collections::BTreeMap::new();
    // Ten at a time, over 100 source addresses.
    for round in 0..100u16 {
        let attempts = (0..10u16).map(|n| {
            let client = client_from(loopback(2, 0, (round % 100 + 1) as u8), addr);
            let body = json!({"username": username.clone(), "password": format!("p{n}")});
            async move {
                client
                    .post(format!("http://{addr}/api/v1/session"))
                    .json(&body)
                    .send()
                    .await
                    .map(|resp| resp.status().as_u16())
                    .unwrap_or(0)
            }
        });
        for status in futures_join_all(attempts).await {
            *statuses.entry(status).or_insert(0) += 1;
        }
    }
    let took = started.elapsed();
    let after = server.database_bytes();
    println!(
        "long-usernames: 1,000 failed sign-ins with 256 KB usernames in {:.1} s, statuses {statuses:?}",
        took.as_secs_f64()
    );
    println!(
        "long-usernames: database and WAL {:.2} MB -> {:.2} MB (+{:.2} MB)",
        before as f64 / 1e6,
        after as f64 / 1e6,
        after.saturating_sub(before) as f64 / 1e6
    );
}

async fn lockout(binary: &Path) {
    let server = Server::start(binary, &[]).await;
    let addr = server.addr;
    for n in 1..=6u8 {
        let status = client_from(loopback(3, 0, n), addr)
            .post(format!("http://{addr}/api/v1/session"))
            .json(&json!({"username": "admin", "password": "a-wrong-guess"}))
            .send()
            .await
            .map(|resp| resp.status().as_u16())
            .unwrap_or(0);
        println!("lockout: stranger 127.3.0.{n} guesses admin's password: {status}");
    }
    let started = Instant::now();
    let status = client_from(loopback(3, 1, 1), addr)
        .post(format!("http://{addr}/api/v1/session"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .map(|resp| resp.status().as_u16())
        .unwrap_or(0);
    println!(
        "lockout: the owner's right password from 127.3.1.1 then: {status} in {:.2} s",
        started.elapsed().as_secs_f64()
    );
}

/// The session cookie of the admin, as a `Cookie` header value.
async fn admin_cookie(addr: SocketAddr) -> String {
    let resp = client_from(loopback(0, 0, 5), addr)
        .post(format!("http://{addr}/api/v1/session"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "admin signs in");
    let cookie = resp.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

async fn slow_multipart(binary: &Path) {
    let server = Server::start(binary, &["--request-timeout-secs", "5"]).await;
    let cookie = admin_cookie(server.addr).await;
    let mut stream = connect_from(loopback(0, 0, 4), server.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/loans HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 1000\r\n\r\n",
        addr = server.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 512];
    let outcome = loop {
        if started.elapsed() > Duration::from_secs(40) {
            break "still waiting after 40 s".to_owned();
        }
        // One byte a second: never idle long enough for a read timeout.
        if stream.write_all(b"x").await.is_err() {
            break format!(
                "closed by the server after {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                break format!(
                    "closed by the server after {:.1} s",
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(Ok(n)) => {
                let text = String::from_utf8_lossy(&buf[..n]);
                let status = text.lines().next().unwrap_or("").to_owned();
                break format!(
                    "answered “{status}” after {:.1} s",
                    started.elapsed().as_secs_f64()
                );
            }
            Err(_) => {}
        }
    };
    println!("slow-multipart (request timeout 5 s): {outcome}");
}

#[tokio::main]
async fn main() {
    let mut binary = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/jingshi");
    let mut chosen = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--binary" => binary = args.next().map(PathBuf::from).expect("--binary PATH"),
            name if SCENARIOS.contains(&name) => chosen.push(name.to_owned()),
            other => panic!("unknown argument {other}; scenarios: {SCENARIOS:?}"),
        }
    }
    if chosen.is_empty() {
        chosen = SCENARIOS.iter().map(|s| (*s).to_owned()).collect();
    }
    println!("server: {}", binary.display());
    for scenario in chosen {
        match scenario.as_str() {
            "silent" => idle_flood(&binary, b"", "silent").await,
            "h2-preface" => {
                idle_flood(
                    &binary,
                    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00",
                    "h2-preface",
                )
                .await;
            }
            "sign-in-burst" => sign_in_burst(&binary).await,
            "long-usernames" => long_usernames(&binary).await,
            "lockout" => lockout(&binary).await,
            "slow-multipart" => slow_multipart(&binary).await,
            _ => unreachable!("checked above"),
        }
    }
}
