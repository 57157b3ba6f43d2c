//! File streaming: one large video served to 8 parallel clients over loopback, by the
//! release `jingshi` server (a child process, so its memory is its own) and by Debian's
//! nginx serving the same stored file, side by side, for a 256 MiB and a 1 GiB file.
//!
//! ```sh
//! cargo build --release && cargo run --release --example stream_bench [-- SIZES_MIB]
//! ```
//!
//! SIZES_MIB is a comma-separated list (default `256,1024`). Each file is a valid MP4
//! header followed by zeros (sparse at the source), registered as the video of an `open`
//! resource through the real file store and catalogue; the server is then started on
//! that data folder. Memory is the server's VmRSS from /proc (nginx: master + workers),
//! sampled every 20 ms while the clients download.

// Benchmarks and tools: a failed step ends the run with its message.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use jingshi::actor::Actor;
use jingshi::catalog::curation::CurationCommand;
use jingshi::clock::Clock;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use jingshi::catalog::{self, ResourceInput, write::NewFile};
use jingshi::config::{DataDir, Settings};
use jingshi::content::{Extraction, FileStore};
use jingshi::db::Database;

const CLIENTS: usize = 8;
const PASSWORD: &str = "bench-password-1";
const MIB: u64 = 1024 * 1024;
/// The start of a real MP4 (`ftyp` box), so the store accepts the file as video.
const MP4_HEADER: &[u8] = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41";

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// VmRSS of a process in KiB (0 once it is gone).
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The process and its children (nginx's workers).
fn family(pid: u32) -> Vec<u32> {
    let mut pids = vec![pid];
    if let Ok(children) = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")) {
        pids.extend(
            children
                .split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok()),
        );
    }
    pids
}

fn family_rss_kib(pid: u32) -> u64 {
    family(pid).into_iter().map(rss_kib).sum()
}

/// Builds a data folder with one `open` video resource of `size` bytes; returns the
/// stored file's id and path.
fn prepare(data: &Path, size: u64) -> anyhow::Result<(String, PathBuf)> {
    let settings = Settings {
        admin_password: Some(PASSWORD.to_owned()),
        ..Settings::new(DataDir::new(data))
    };
    let db = Database::open(&settings.data.database())?;
    let store = FileStore::open(settings.data.store())?;
    jingshi::bootstrap::first_start(&db, &store, &settings, &jingshi::clock::Clock::system())?;

    let source = data.join("bench-source.mp4");
    let mut file = std::fs::File::create(&source)?;
    file.write_all(MP4_HEADER)?;
    file.set_len(size)?;
    drop(file);
    let blob = store.put_path(&source, "基准测试视频.mp4")?;
    std::fs::remove_file(&source)?;

    let mut conn = db.get()?;
    let (bench, at) = (Actor::operator("bench"), Clock::system().moment());
    let input = ResourceInput {
        kind: "video".into(),
        title: "流媒体基准测试视频".into(),
        access: Some("open".into()),
        status: Some("published".into()),
        ..Default::default()
    };
    let created = catalog::curation::curate(&mut conn, &bench, CurationCommand::Create(input), at)?;
    let file = NewFile {
        blob: &blob,
        original_name: "基准测试视频.mp4",
        extraction: &Extraction::NotApplicable,
        duration: None,
    };
    let file_id = catalog::curation::attach_upload(&mut conn, &bench, &created.id, file, at)?;
    Ok((file_id, store.path_of(&blob.sha256)?))
}

struct Run {
    seconds: f64,
    bytes: u64,
    idle_kib: u64,
    peak_kib: u64,
    after_kib: u64,
}

/// Downloads `url` with `CLIENTS` parallel clients while sampling the memory of `pid`.
async fn download(
    url: &str,
    cookie: Option<&str>,
    size: u64,
    pid: u32,
    rss: fn(u32) -> u64,
) -> anyhow::Result<Run> {
    let idle_kib = rss(pid);
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(idle_kib));
    let sampler = {
        let (done, peak) = (done.clone(), peak.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let url = url.to_owned();
        let cookie = cookie.map(str::to_owned);
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut request = client.get(&url);
            if let Some(cookie) = cookie {
                request = request.header("cookie", cookie);
            }
            let mut response = request.send().await?;
            ensure!(
                response.status() == 200,
                "{url} answered {}",
                response.status()
            );
            let mut received = 0u64;
            while let Some(chunk) = response.chunk().await? {
                received += chunk.len() as u64;
            }
            Ok::<_, anyhow::Error>(received)
        }));
    }
    let mut bytes = 0;
    for client in clients {
        let received = client.await??;
        ensure!(received == size, "short download: {received} of {size}");
        bytes += received;
    }
    let seconds = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    sampler.await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(Run {
        seconds,
        bytes,
        idle_kib,
        peak_kib: peak.load(Ordering::Relaxed),
        after_kib: rss(pid),
    })
}

async fn wait_http(url: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(response) = client.get(url).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        ensure!(
            started.elapsed() < Duration::from_secs(60),
            "{url} not ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_port(port: u16) -> anyhow::Result<()> {
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        ensure!(
            started.elapsed() < Duration::from_secs(30),
            "port {port} not open"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Stops a child process of ours (SIGTERM by its id, then waits).
fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Starts nginx on `port` serving the folder of `file`; `None` when nginx is missing.
fn start_nginx(work: &Path, file: &Path, port: u16) -> anyhow::Result<Option<(Child, String)>> {
    let Some(nginx) = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
    else {
        return Ok(None);
    };
    let root = file.parent().context("stored file has a folder")?;
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .context("stored file name")?;
    let dir = work.join("nginx");
    std::fs::create_dir_all(&dir)?;
    let user = if running_as_root() { "user root;" } else { "" };
    let d = dir.display();
    let config = format!(
        "{user}
worker_processes auto;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    default_type video/mp4;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
",
        root = root.display()
    );
    let conf = dir.join("nginx.conf");
    std::fs::write(&conf, config)?;
    let child = Command::new(nginx)
        .arg("-c")
        .arg(&conf)
        .arg("-p")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("start nginx")?;
    Ok(Some((child, format!("http://127.0.0.1:{port}/{name}"))))
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn print_run(server: &str, size: u64, run: &Run) {
    let throughput = run.bytes as f64 / run.seconds / MIB as f64;
    println!(
        "{:<8} {:>9} {:>9.2} {:>12.0} {:>10} {:>10} {:>10}",
        server,
        size / MIB,
        run.seconds,
        throughput,
        mib(run.idle_kib),
        mib(run.peak_kib),
        mib(run.after_kib),
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let sizes: Vec<u64> = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "256,1024".to_owned())
        .split(',')
        .map(|s| s.trim().parse::<u64>().map(|m| m * MIB))
        .collect::<Result<_, _>>()
        .context("SIZES_MIB is a comma-separated list of numbers")?;
    let binary = target_dir().join("release/jingshi");
    if !binary.is_file() {
        bail!(
            "{} is missing: run `cargo build --release` first",
            binary.display()
        );
    }
    println!(
        "{CLIENTS} parallel clients over loopback, whole-file GETs; RSS in MiB (idle before, peak during, after)\n"
    );
    println!(
        "{:<8} {:>9} {:>9} {:>12} {:>10} {:>10} {:>10}",
        "server", "size MiB", "seconds", "MiB/s total", "idle RSS", "peak RSS", "after RSS"
    );
    for size in sizes {
        let work = tempfile::tempdir()?;
        let data = work.path().join("data");
        let (file_id, stored) = {
            let data = data.clone();
            tokio::task::spawn_blocking(move || prepare(&data, size)).await??
        };

        // jingshi, as a child process on the prepared data folder.
        let port = free_port()?;
        let server = Command::new(&binary)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--data"])
            .arg(&data)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("start jingshi")?;
        let base = format!("http://127.0.0.1:{port}");
        wait_http(&format!("{base}/healthz")).await?;
        let signed_in = reqwest::Client::new()
            .post(format!("{base}/api/v1/session"))
            .header("origin", &base)
            .json(&serde_json::json!({"username": "admin", "password": PASSWORD}))
            .send()
            .await?;
        ensure!(signed_in.status() == 200, "sign-in failed");
        let cookie = signed_in
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .context("session cookie")?
            .to_owned();
        // Warm the page cache so both servers read the file from memory.
        {
            let mut f = std::fs::File::open(&stored)?;
            std::io::copy(&mut f, &mut std::io::sink())?;
        }
        let url = format!("{base}/api/v1/files/{file_id}");
        let run = download(&url, Some(&cookie), size, server.id(), rss_kib).await;
        stop(server);
        print_run("jingshi", size, &run?);

        // nginx on the same stored file.
        let port = free_port()?;
        match start_nginx(work.path(), &stored, port)? {
            Some((nginx, url)) => {
                wait_port(port).await?;
                let run = download(&url, None, size, nginx.id(), family_rss_kib).await;
                stop(nginx);
                print_run("nginx", size, &run?);
            }
            None => println!("nginx    (not installed: apt-get install -y nginx to compare)"),
        }
    }
    Ok(())
}
