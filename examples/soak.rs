//! Soak: a mixed load on loopback against the real server binary for a while, then a
//! check that no day is overbooked.
//!
//! ```text
//! cargo build --release && cargo run --release --example soak -- [--secs 600] [--workers 8]
//! ```
//!
//! The server runs as a child process (`target/release/jingshi serve`) over a temporary
//! copy of `content/demo`. Several units' borrowers search, view pages, stream files
//! with Range and request loans while a librarian approves them. Reported: requests per
//! second and p99 latency per kind, error responses, the server's resident memory over
//! time, and whether any resource, format and day holds more loans than its capacity.
//! Only 127.0.0.1 is ever contacted; every loop ends at the deadline.

// Benchmarks and tools: a failed step ends the run with its message.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ADMIN_PASSWORD: &str = "soak-admin-password";
const USER_PASSWORD: &str = "soak-user-password";
const UNITS: [&str; 6] = [
    "yn-tax",
    "kunming-customs",
    "yn-tobacco",
    "yn-finance",
    "yn-grain",
    "yn-fire",
];
const QUERIES: [&str; 10] = [
    "受贿",
    "八项规定",
    "月饼",
    "\"违规收受\"",
    "税务 -海关",
    "忏悔",
    "公款吃喝",
    "留置",
    "教材",
    "张某",
];
const MAX_REQUESTS_PER_WORKER: u64 = 5_000_000;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    Search,
    Page,
    FileRange,
    LoanRequest,
    Approve,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Search => "search API",
            Kind::Page => "page view",
            Kind::FileRange => "file Range",
            Kind::LoanRequest => "loan request",
            Kind::Approve => "loan approval",
        }
    }
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    errors: u64,
    error_samples: Vec<String>,
}

type Tallies = Arc<Mutex<BTreeMap<Kind, Tally>>>;

fn record(tallies: &Tallies, kind: Kind, elapsed: Duration, error: Option<String>) {
    let mut all = tallies.lock().expect("tally lock");
    let tally = all.entry(kind).or_default();
    tally
        .latencies_us
        .push(elapsed.as_micros().min(u32::MAX as u128) as u32);
    if let Some(error) = error {
        tally.errors += 1;
        if tally.error_samples.len() < 5 {
            tally.error_samples.push(error);
        }
    }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Resident memory in KiB: (total, anonymous, file-backed such as the mmapped index).
fn rss_kib(pid: u32) -> (u64, u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("RssAnon:"), field("RssFile:"))
}

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

fn client(base: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        base.parse().expect("origin header"),
    );
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

async fn sign_in(base: &str, username: &str, password: &str) -> reqwest::Client {
    let client = client(base);
    let resp = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("sign-in");
    assert_eq!(resp.status(), 200, "sign-in of {username}");
    client
}

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A small deterministic generator, so that runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct Catalogue {
    resources: Vec<String>,
    loanable: Vec<(String, bool)>,
    /// (file id, size) of files anyone signed in may read.
    files: Vec<(String, u64)>,
}

async fn load_catalogue(base: &str, admin: &reqwest::Client) -> Catalogue {
    let search: Value = admin
        .get(format!("{base}/api/v1/search?per_page=100"))
        .send()
        .await
        .expect("search")
        .json()
        .await
        .expect("search json");
    let mut catalogue = Catalogue {
        resources: Vec::new(),
        loanable: Vec::new(),
        files: Vec::new(),
    };
    for hit in search["hits"].as_array().into_iter().flatten() {
        let id = hit["id"].as_str().unwrap_or_default().to_owned();
        let resource: Value = admin
            .get(format!("{base}/api/v1/resources/{id}"))
            .send()
            .await
            .expect("resource")
            .json()
            .await
            .expect("resource json");
        if resource["access"] == "open" {
            for file in resource["files"].as_array().into_iter().flatten() {
                if let (Some(fid), Some(size)) = (file["id"].as_str(), file["size"].as_u64()) {
                    catalogue.files.push((fid.to_owned(), size));
                }
            }
        }
        catalogue.resources.push(id.clone());
        // Bases are visited, not lent.
        if resource["kind"] == "base" {
            continue;
        }
        let has_copies = resource["copies"]
            .as_array()
            .is_some_and(|copies| !copies.is_empty());
        // Six units share every resource in this run, so the per-unit limit on open
        // loans would refuse most requests: lifted, loans pile up as in years of use.
        let resp = admin
            .put(format!("{base}/api/v1/resources/{id}/loan-settings"))
            .json(&json!({"max_open_per_unit": 1000, "max_days_digital": 92, "max_days_physical": 92}))
            .send()
            .await
            .expect("loan settings");
        assert_eq!(resp.status(), 200, "loan settings of {id}");
        catalogue.loanable.push((id, has_copies));
    }
    catalogue
}

struct Ctx {
    base: String,
    deadline: Instant,
    tallies: Tallies,
    catalogue: Catalogue,
}

fn unexpected(status: u16, ok: &[u16], what: &str) -> Option<String> {
    (!ok.contains(&status)).then(|| format!("{what} → {status}"))
}

async fn borrower_loop(ctx: Arc<Ctx>, client: reqwest::Client, seed: u64) {
    let mut rng = Rng(seed);
    let base = &ctx.base;
    for round in 0..MAX_REQUESTS_PER_WORKER {
        if Instant::now() >= ctx.deadline {
            break;
        }
        // Mostly reads, a loan request now and then.
        let kind = match round % 20 {
            0..=6 => Kind::Search,
            7..=12 => Kind::Page,
            13..=18 => Kind::FileRange,
            _ => Kind::LoanRequest,
        };
        let started = Instant::now();
        let error = match kind {
            Kind::Search => {
                let q = QUERIES[rng.below(QUERIES.len())];
                let url = format!("{base}/api/v1/search?q={}", encode(q));
                match client.get(&url).send().await {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let _ = resp.bytes().await;
                        unexpected(status, &[200], &url)
                    }
                    Err(err) => Some(format!("{url}: {err}")),
                }
            }
            Kind::Page => {
                let url = match rng.below(3) {
                    0 => format!("{base}/"),
                    1 => format!(
                        "{base}/search?q={}",
                        encode(QUERIES[rng.below(QUERIES.len())])
                    ),
                    _ => format!(
                        "{base}/resources/{}",
                        ctx.catalogue.resources[rng.below(ctx.catalogue.resources.len())]
                    ),
                };
                match client.get(&url).send().await {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let _ = resp.bytes().await;
                        unexpected(status, &[200], &url)
                    }
                    Err(err) => Some(format!("{url}: {err}")),
                }
            }
            Kind::FileRange => {
                let (id, size) = &ctx.catalogue.files[rng.below(ctx.catalogue.files.len())];
                let start = rng.next() % size.max(&1);
                let end = (start + 64 * 1024).min(size.saturating_sub(1));
                let url = format!("{base}/api/v1/files/{id}");
                match client
                    .get(&url)
                    .header("Range", format!("bytes={start}-{end}"))
                    .send()
                    .await
                {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let body = resp.bytes().await.map(|b| b.len() as u64).unwrap_or(0);
                        unexpected(status, &[206], &url).or_else(|| {
                            (body != end - start + 1)
                                .then(|| format!("{url}: {body} bytes for {start}-{end}"))
                        })
                    }
                    Err(err) => Some(format!("{url}: {err}")),
                }
            }
            _ => {
                let (id, has_copies) =
                    &ctx.catalogue.loanable[rng.below(ctx.catalogue.loanable.len())];
                let format = if *has_copies && rng.below(2) == 0 {
                    "physical"
                } else {
                    "digital"
                };
                let today = jingshi::clock::Clock::system().today();
                let start = today
                    .checked_add(jiff::Span::new().days(1 + rng.below(60) as i64))
                    .unwrap_or(today);
                let end = start
                    .checked_add(jiff::Span::new().days(rng.below(10) as i64))
                    .unwrap_or(start);
                let url = format!("{base}/api/v1/loans");
                let body = json!({
                    "resource_id": id, "format": format,
                    "start": start.to_string(), "end": end.to_string(),
                    "purpose": "专题警示教育大会", "audience": 30 + rng.below(200),
                });
                match client.post(&url).json(&body).send().await {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let text = resp.text().await.unwrap_or_default();
                        unexpected(status, &[201], &url).map(|e| format!("{e}: {text}"))
                    }
                    Err(err) => Some(format!("{url}: {err}")),
                }
            }
        };
        record(&ctx.tallies, kind, started.elapsed(), error);
    }
}

async fn approver_loop(ctx: Arc<Ctx>, client: reqwest::Client) {
    let base = &ctx.base;
    for _ in 0..MAX_REQUESTS_PER_WORKER {
        if Instant::now() >= ctx.deadline {
            break;
        }
        let listed: Value = match client
            .get(format!("{base}/api/v1/loans?status=requested"))
            .send()
            .await
        {
            Ok(resp) => resp.json().await.unwrap_or(Value::Null),
            Err(_) => Value::Null,
        };
        let ids: Vec<i64> = listed
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l["id"].as_i64())
            .take(20)
            .collect();
        if ids.is_empty() {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        for id in ids {
            if Instant::now() >= ctx.deadline {
                break;
            }
            let started = Instant::now();
            let url = format!("{base}/api/v1/loans/{id}/approve");
            let error = match client.post(&url).send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let text = resp.text().await.unwrap_or_default();
                    // 409: the holdings changed since the request (a lawful refusal).
                    unexpected(status, &[200, 409], &url).map(|e| format!("{e}: {text}"))
                }
                Err(err) => Some(format!("{url}: {err}")),
            };
            record(&ctx.tallies, Kind::Approve, started.elapsed(), error);
        }
    }
}

/// Days on which a resource and format hold more loans than its capacity.
fn overbooked_days(db: &Path) -> rusqlite::Result<Vec<String>> {
    let conn = rusqlite::Connection::open(db)?;
    let mut stmt = conn.prepare(
        "SELECT l.resource_id, l.format, l.start_date, l.end_date, r.licences,
                (SELECT count(*) FROM copies c WHERE c.resource_id = r.id AND c.in_circulation = 1)
           FROM loans l JOIN resources r ON r.id = l.resource_id
          WHERE l.status IN ('requested', 'approved', 'active', 'overdue')",
    )?;
    let mut use_per_day: BTreeMap<(String, String, String), (u32, Option<u32>)> = BTreeMap::new();
    let rows = stmt.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, Option<u32>>(4)?,
            row.get::<_, u32>(5)?,
        ))
    })?;
    for row in rows {
        let (resource, format, start, end, licences, copies) = row?;
        let capacity = if format == "digital" {
            licences
        } else {
            Some(copies)
        };
        let (Ok(mut day), Ok(end)) = (
            start.parse::<jiff::civil::Date>(),
            end.parse::<jiff::civil::Date>(),
        ) else {
            continue;
        };
        while day <= end {
            let entry = use_per_day
                .entry((resource.clone(), format.clone(), day.to_string()))
                .or_insert((0, capacity));
            entry.0 += 1;
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
    }
    Ok(use_per_day
        .into_iter()
        .filter(|(_, (used, cap))| cap.is_some_and(|cap| *used > cap))
        .map(|((r, f, d), (used, cap))| format!("{r} {f} {d}: {used} > {cap:?}"))
        .collect())
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut secs: u64 = 600;
    let mut workers: usize = 8;
    let mut binary = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/jingshi");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--secs" => secs = args.next().and_then(|v| v.parse().ok()).unwrap_or(secs),
            "--workers" => workers = args.next().and_then(|v| v.parse().ok()).unwrap_or(workers),
            "--binary" => binary = args.next().map(PathBuf::from).unwrap_or(binary),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let data = tempfile::tempdir()?;
    copy_tree(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("content/demo"),
        &data.path().join("content/demo"),
    )?;
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let base = format!("http://{addr}");
    let server = Server(
        Command::new(&binary)
            .arg("--data")
            .arg(data.path())
            .arg("serve")
            .arg("--addr")
            .arg(addr.to_string())
            .env("JINGSHI_ADMIN_PASSWORD", ADMIN_PASSWORD)
            // The SQL report (`JINGSHI_SQL_REPORT_SECS`, passed on) logs at info.
            .env("RUST_LOG", "warn,tantivy=error,jingshi::db::report=info")
            .stdout(Stdio::null())
            .spawn()?,
    );
    let pid = server.0.id();
    let probe = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(resp) = probe.get(format!("{base}/healthz")).send().await
            && resp.status() == 200
        {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err("server did not become ready".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let admin = sign_in(&base, "admin", ADMIN_PASSWORD).await;
    let mut borrowers = Vec::new();
    for (i, unit) in UNITS.iter().enumerate() {
        let username = format!("soak{i}");
        let resp = admin
            .post(format!("{base}/api/v1/users"))
            .json(&json!({"username": username, "password": USER_PASSWORD,
                          "roles": ["borrower"], "unit": unit}))
            .send()
            .await?;
        assert_eq!(resp.status(), 201, "create {username}");
        borrowers.push(sign_in(&base, &username, USER_PASSWORD).await);
    }
    let catalogue = load_catalogue(&base, &admin).await;
    println!(
        "soak: {secs} s, {workers} borrower workers + 1 approver, {} resources, {} open files, server pid {pid} on {addr}",
        catalogue.resources.len(),
        catalogue.files.len()
    );
    let rss_start = rss_kib(pid);
    let ctx = Arc::new(Ctx {
        base: base.clone(),
        deadline: Instant::now() + Duration::from_secs(secs),
        tallies: Arc::default(),
        catalogue,
    });
    let load_started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let client = borrowers[w % borrowers.len()].clone();
        tasks.push(tokio::spawn(borrower_loop(
            ctx.clone(),
            client,
            0x9E37_79B9_7F4A_7C15 ^ (w as u64 + 1),
        )));
    }
    tasks.push(tokio::spawn(approver_loop(ctx.clone(), admin.clone())));
    let mut rss_samples = vec![(0u64, rss_start)];
    // Memory and the requests answered so far, once a minute.
    let sampler = {
        let (deadline, tallies) = (ctx.deadline, ctx.tallies.clone());
        tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut answered = Vec::new();
            let mut minute = 0;
            while Instant::now() < deadline {
                tokio::time::sleep(Duration::from_secs(60).min(
                    deadline.saturating_duration_since(Instant::now()) + Duration::from_millis(1),
                ))
                .await;
                minute += 1;
                samples.push((minute * 60, rss_kib(pid)));
                let so_far: usize = tallies
                    .lock()
                    .expect("tally lock")
                    .values()
                    .map(|t| t.latencies_us.len())
                    .sum();
                answered.push((Instant::now(), so_far));
            }
            (samples, answered)
        })
    };
    for task in tasks {
        task.await?;
    }
    let (memory, answered) = sampler.await?;
    rss_samples.extend(memory);
    let elapsed = load_started.elapsed().as_secs_f64();
    let rss_end = rss_kib(pid);

    println!(
        "\n{:<14} {:>9} {:>8} {:>9} {:>9} {:>7}",
        "kind", "requests", "req/s", "p50 ms", "p99 ms", "errors"
    );
    let tallies = std::mem::take(&mut *ctx.tallies.lock().expect("tally lock"));
    let (mut total, mut errors) = (0usize, 0u64);
    let mut samples = Vec::new();
    for (kind, mut tally) in tallies {
        tally.latencies_us.sort_unstable();
        let n = tally.latencies_us.len();
        total += n;
        errors += tally.errors;
        println!(
            "{:<14} {:>9} {:>8.1} {:>9.2} {:>9.2} {:>7}",
            kind.name(),
            n,
            n as f64 / elapsed,
            percentile(&tally.latencies_us, 0.50),
            percentile(&tally.latencies_us, 0.99),
            tally.errors
        );
        samples.extend(tally.error_samples);
    }
    println!("{:<14} {:>9} {:>8.1}", "all", total, total as f64 / elapsed);
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "\nserver RSS: start {:.0} MiB (anon {:.0}, file {:.0}), end {:.0} MiB (anon {:.0}, file {:.0})",
        mib(rss_start.0),
        mib(rss_start.1),
        mib(rss_start.2),
        mib(rss_end.0),
        mib(rss_end.1),
        mib(rss_end.2)
    );
    println!(
        "per minute (s: total/anon MiB): {}",
        rss_samples
            .iter()
            .map(|(s, (total, anon, _))| format!("{s}:{:.0}/{:.0}", mib(*total), mib(*anon)))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut previous = (load_started, 0usize);
    let mut rates = Vec::new();
    for &(at, so_far) in &answered {
        let seconds = at.duration_since(previous.0).as_secs_f64().max(1e-3);
        rates.push(format!("{:.0}", (so_far - previous.1) as f64 / seconds));
        previous = (at, so_far);
    }
    println!("requests/s per minute: {}", rates.join(" "));
    println!("error responses: {errors}");
    for sample in &samples {
        println!("  e.g. {sample}");
    }
    drop(server);
    let overbooked = overbooked_days(&data.path().join("content/jingshi.db"))?;
    let conn = rusqlite::Connection::open(data.path().join("content/jingshi.db"))?;
    let mut stmt = conn.prepare("SELECT status, count(*) FROM loans GROUP BY status")?;
    let by_status: Vec<String> = stmt
        .query_map([], |r| {
            Ok(format!(
                "{} {}",
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?
            ))
        })?
        .collect::<Result<_, _>>()?;
    println!("loans afterwards: {}", by_status.join(", "));
    if overbooked.is_empty() {
        println!("overbooked days: none");
    } else {
        println!("overbooked days: {}", overbooked.len());
        for day in overbooked.iter().take(10) {
            println!("  {day}");
        }
    }
    if errors > 0 || !overbooked.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
