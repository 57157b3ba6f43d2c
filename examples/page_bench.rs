//! Server-side render time of the main pages for the demo library.
//!
//! ```sh
//! cargo run --release --example page_bench [-- REQUESTS]
//! ```
//!
//! Opens a copy of the demo catalogue in a temporary folder, waits for the index, and
//! asks the router in-process (`tower::ServiceExt::oneshot`, the whole middleware stack,
//! body collected) for each page REQUESTS times (default 200) as a signed-in librarian;
//! then the same over loopback HTTP. Prints p50/p99/max per page.

// Benchmarks and tools: a failed step ends the run with its message.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::path::Path;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, header};
use jingshi::app::{self, AppState};
use jingshi::config::{DataDir, Settings};
use tower::ServiceExt;

const PASSWORD: &str = "bench-password-1";

const PAGES: &[&str] = &[
    "/login",
    "/",
    "/search",
    "/search?q=%E5%85%AB%E9%A1%B9%E8%A7%84%E5%AE%9A",
    "/search?q=%E5%8F%97%E8%B4%BF&kind=case&sort=newest",
    "/search?q=%E8%B4%AD%E7%89%A9%E5%8D%A1%20%E6%9C%88%E9%A5%BC",
    "/resources/demo-video-mooncake?t=21",
    "/resources/demo-tax-invoice-case",
    "/resources/demo-confession-tax-deputy",
    "/resources/demo-tobacco-procurement-case",
    "/librarian/",
    "/librarian/resources/demo-video-mooncake",
    "/librarian/resources/demo-video-mooncake/history",
    "/librarian/audit",
];

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn report(path: &str, mut times: Vec<Duration>, bytes: usize) {
    times.sort();
    println!(
        "{:<58} {:>8} {:>8} {:>8} {:>8}",
        path,
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().unwrap_or(&Duration::ZERO)),
        bytes
    );
}

/// Asks the router for each page `requests` times (after 5 warm-up requests).
async fn in_process(
    router: &axum::Router,
    pages: &[&str],
    cookie: &str,
    host: &str,
    requests: usize,
) -> anyhow::Result<()> {
    println!(
        "{:<58} {:>8} {:>8} {:>8} {:>8}",
        "page", "p50", "p99", "max", "bytes"
    );
    for path in pages {
        let mut times = Vec::with_capacity(requests);
        let mut bytes = 0;
        for i in 0..requests + 5 {
            // The sign-in page is for visitors; signed-in users are sent on.
            let mut request = Request::get(*path).header(header::HOST, host);
            if *path != "/login" {
                request = request.header(header::COOKIE, cookie);
            }
            let request = request.body(Body::empty())?;
            let started = Instant::now();
            let response = router.clone().oneshot(request).await?;
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
            let took = started.elapsed();
            anyhow::ensure!(status.is_success(), "{path} answered {status}");
            if i >= 5 {
                times.push(took);
            }
            bytes = body.len();
        }
        report(path, times, bytes);
    }
    Ok(())
}

/// Signs in over HTTP and returns the session cookie.
async fn session_cookie(base: &str, username: &str, password: &str) -> anyhow::Result<String> {
    let signed_in = reqwest::Client::new()
        .post(format!("{base}/api/v1/session"))
        .header(header::ORIGIN, base)
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await?;
    anyhow::ensure!(signed_in.status() == 200, "sign-in of {username} failed");
    signed_in
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no session cookie"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let requests: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir()?;
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("content/demo"),
        &dir.path().join("content/demo"),
    )?;
    let settings = Settings {
        admin_password: Some(PASSWORD.to_owned()),
        ..Settings::new(DataDir::new(dir.path()))
    };
    let state = tokio::task::spawn_blocking(move || AppState::open(settings)).await??;

    // Serving starts the indexer; the in-process router shares the same state.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = state.clone();
    let server = tokio::spawn(async move {
        let _ = app::serve(listener, serving, async {
            let _ = stopped.await;
        })
        .await;
    });
    let ready = Instant::now();
    while !state.is_ready() {
        anyhow::ensure!(ready.elapsed() < Duration::from_secs(30), "index not ready");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let anonymous = reqwest::Client::new();
    let base = format!("http://{addr}");
    let cookie = session_cookie(&base, "admin", PASSWORD).await?;
    // The loopback client keeps the same session in its cookie store.
    let signed_in = client
        .post(format!("{base}/api/v1/session"))
        .header(header::ORIGIN, &base)
        .json(&serde_json::json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await?;
    anyhow::ensure!(signed_in.status() == 200, "sign-in failed");

    let router = app::build_app(state.clone());
    println!(
        "demo library, {requests} requests per page, signed in as a librarian (times in ms)\n"
    );
    println!("in-process (router.oneshot, body collected):");
    let host = addr.to_string();
    in_process(&router, PAGES, &cookie, &host, requests).await?;

    // A borrower's pages also carry the "for your unit" recommendations.
    {
        let hash = jingshi::accounts::password::hash_password(PASSWORD)?;
        let mut conn = state.db.get()?;
        let officer = jingshi::accounts::NewUser {
            username: "officer",
            password_hash: &hash,
            roles: &[jingshi::accounts::Role::Borrower],
            unit: Some("yn-tax"),
            email: None,
        };
        let operator = jingshi::actor::Actor::operator("bench");
        jingshi::accounts::create_user(&mut conn, &operator, &officer, state.clock.moment())?;
    }
    let borrower = session_cookie(&base, "officer", PASSWORD).await?;
    println!("\nin-process, as a borrower of yn-tax:");
    in_process(
        &router,
        &[
            "/",
            "/search?q=%E5%85%AB%E9%A1%B9%E8%A7%84%E5%AE%9A",
            "/resources/demo-video-mooncake",
            "/resources/demo-textbook-sanctions",
        ],
        &borrower,
        &host,
        requests,
    )
    .await?;

    println!("\nover loopback HTTP (keep-alive, uncompressed):");
    println!(
        "{:<58} {:>8} {:>8} {:>8} {:>8}",
        "page", "p50", "p99", "max", "bytes"
    );
    for path in PAGES {
        let mut times = Vec::with_capacity(requests);
        let mut bytes = 0;
        for i in 0..requests + 5 {
            let started = Instant::now();
            let response = if *path == "/login" {
                anonymous.get(format!("{base}{path}")).send().await?
            } else {
                client.get(format!("{base}{path}")).send().await?
            };
            let status = response.status();
            let body = response.bytes().await?;
            let took = started.elapsed();
            anyhow::ensure!(status.is_success(), "{path} answered {status}");
            if i >= 5 {
                times.push(took);
            }
            bytes = body.len();
        }
        report(path, times, bytes);
    }

    let _ = stop.send(());
    let _ = server.await;
    Ok(())
}
