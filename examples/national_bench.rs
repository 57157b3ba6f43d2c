//! The figures of issue 22 on a national data set:
//! `cargo run --release --example national_bench -- DIR [--runs N] [--stats-runs N] [--row-budget SECS] [--no-reindex] [--only TEXT]`
//! against a folder written by `examples/national_data.rs`.
//!
//! First a full `jingshi --data DIR reindex` (wall time and the child's peak RSS), then
//! `jingshi serve` as a child process on a loopback port (time until `/healthz`
//! answers), then one client at a time over HTTP: a loan request, its approval and
//! renewal; 100 units asking at once for one licence-limited resource, each request
//! approved as it arrives (exactly as many approvals as licences); a busy unit's borrower's home page and loans; resource pages of popular
//! items (long histories, long waitlists) and ordinary ones; the librarian queue and
//! calendars; search with "available now"; the statistics of the last twelve months
//! and their CSV. Prints one table with p50, p99, the target of issue 22 and whether it
//! was met. Every answer must be 2xx: the others are counted and shown.
//!
//! The targets are picked from the database before the server starts (read-only): the
//! busiest unit's borrower, the resources with the longest waitlists, and resources
//! with a limited number of licences that the unit has no open loan of. The loans it
//! requests start 150 days ahead, past every generated booking, so each request,
//! approval and renewal is lawful and goes through the full capacity checks.

// Benchmarks and tools: a failed step ends the run with its message.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, bail};
use rusqlite::{Connection, OpenFlags};
use serde_json::{Value, json};

/// The password `national_data` gives every account.
const PASSWORD: &str = "National-bench-2026";
const LOAN_LEAD_DAYS: i64 = 150;
/// Each kind of request stops after this long by default (its row then shows fewer
/// answers), so that a server refusing every write for seconds does not hold the run
/// for hours; `--row-budget SECS` changes it.
const ROW_BUDGET: Duration = Duration::from_secs(180);
/// The budget of this run in seconds (`--row-budget`).
static BUDGET_SECS: AtomicU64 = AtomicU64::new(ROW_BUDGET.as_secs());

/// `--only TEXT`: time only the rows whose name holds TEXT (the others stay empty and
/// are left out of the table).
static ONLY: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn wanted(name: &str) -> bool {
    ONLY.get().is_none_or(|only| name.contains(only.as_str()))
}

fn row_budget() -> Duration {
    Duration::from_secs(BUDGET_SECS.load(Ordering::Relaxed))
}

/// How long the first sign-in is retried after `/healthz` answered.
const SIGN_IN_WAIT: Duration = Duration::from_secs(120);

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The measurements of one kind of request.
struct Row {
    name: String,
    target_ms: f64,
    samples: Vec<Duration>,
    failures: u64,
    failure_samples: Vec<String>,
}

impl Row {
    fn new(name: &str, target_ms: f64) -> Self {
        Self {
            name: name.to_owned(),
            target_ms,
            samples: Vec::new(),
            failures: 0,
            failure_samples: Vec::new(),
        }
    }
    fn record(&mut self, elapsed: Duration, outcome: Result<(), String>) {
        self.samples.push(elapsed);
        if let Err(err) = outcome {
            self.failures += 1;
            if self.failure_samples.len() < 3 {
                self.failure_samples.push(err);
            }
        }
    }
    fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((sorted.len() as f64) * p).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
    }
}

/// A small deterministic generator, so runs are comparable.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// What the requests are about, read from the database before the server starts.
struct Targets {
    unit: String,
    unit_loans: i64,
    loanable: Vec<String>,
    popular: Vec<(String, i64)>,
    ordinary: Vec<String>,
    queries: Vec<String>,
    /// A licence-limited resource that [`CONTENDERS`] units ask for at once, and its
    /// licences.
    contested: (String, i64),
    /// The units that ask for it (not the busiest one).
    contenders: Vec<String>,
}

/// How many units ask for the contested resource at once.
const CONTENDERS: usize = 100;

fn pick_targets(db: &Path, runs: usize) -> anyhow::Result<Targets> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    // The busiest unit: the worst case for its borrower's pages.
    let (unit, unit_loans): (String, i64) = conn.query_row(
        "SELECT unit_code, count(*) FROM loans GROUP BY unit_code ORDER BY 2 DESC LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut stmt = conn.prepare(
        "SELECT r.id FROM resources r
          WHERE r.status = 'published' AND r.kind != 'base' AND r.licences > 0
            -- Computed once (a correlated NOT EXISTS read the unit's loans per resource).
            AND r.id NOT IN (SELECT l.resource_id FROM loans l WHERE l.unit_code = ?1
                               AND l.status IN ('requested', 'waitlisted', 'approved', 'active', 'overdue'))
            AND EXISTS (SELECT 1 FROM loans l WHERE l.resource_id = r.id)
            -- Nobody waiting, or the renewal is (lawfully) refused.
            AND NOT EXISTS (SELECT 1 FROM loans w WHERE w.resource_id = r.id AND w.status = 'waitlisted')
          ORDER BY r.id LIMIT ?2",
    )?;
    let mut loanable = stmt
        .query_map(rusqlite::params![unit, runs as i64 + 1], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    let contested = loanable.pop().context("no loanable resource")?;
    let licences: i64 = conn.query_row(
        "SELECT licences FROM resources WHERE id = ?1",
        [&contested],
        |r| r.get(0),
    )?;
    // Units with an open loan of it already would be refused (one open loan per unit).
    let mut stmt = conn.prepare(
        "SELECT code FROM units WHERE code != ?1 AND code NOT IN (
             SELECT unit_code FROM loans WHERE resource_id = ?3
                AND status IN ('requested', 'waitlisted', 'approved', 'active', 'overdue'))
         ORDER BY code LIMIT ?2",
    )?;
    let contenders = stmt
        .query_map(rusqlite::params![unit, CONTENDERS as i64, contested], |r| {
            r.get(0)
        })?
        .collect::<Result<Vec<String>, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT resource_id, count(*) FROM loans WHERE status = 'waitlisted'
          GROUP BY resource_id ORDER BY 2 DESC LIMIT 20",
    )?;
    let popular = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<(String, i64)>, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT id, title FROM resources WHERE status = 'published' AND kind != 'base'
          ORDER BY id",
    )?;
    let published = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<(String, String)>, _>>()?;
    let mut rng = Rng(0x2222_2026_1130);
    let mut ordinary = Vec::new();
    let mut queries = Vec::new();
    for _ in 0..runs {
        let (id, title) = &published[rng.below(published.len())];
        ordinary.push(id.clone());
        // A two-to-four-character word of a real title, each query different, so the
        // search's answer cache helps no more than it would in use.
        let han: Vec<char> = title
            .chars()
            .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
            .collect();
        let len = 2 + rng.below(3);
        if han.len() > len {
            let at = rng.below(han.len() - len);
            queries.push(han[at..at + len].iter().collect());
        }
    }
    if loanable.len() < runs || popular.is_empty() || queries.is_empty() {
        bail!(
            "the data set is too small: {} loanable resources for {runs} requests",
            loanable.len()
        );
    }
    Ok(Targets {
        unit,
        unit_loans,
        loanable,
        popular,
        ordinary,
        queries,
        contested: (contested, licences),
        contenders,
    })
}

fn client(base: &str) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, base.parse()?);
    Ok(reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .timeout(Duration::from_secs(60))
        .build()?)
}

/// A client that presents a session token written by [`seed_sessions`].
fn client_with_session(base: &str, token: &str) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, base.parse()?);
    headers.insert(
        reqwest::header::COOKIE,
        format!("jingshi_session={token}").parse()?,
    );
    Ok(reqwest::Client::builder()
        .default_headers(headers)
        .timeout(Duration::from_secs(60))
        .build()?)
}

/// Sessions for `usernames` written straight into the database before the server
/// starts, as a sign-in would write them (only the token's SHA-256 is stored). The
/// fallback when the server refuses every sign-in, so that the reads still get measured.
fn seed_sessions(db: &Path, usernames: &[&str]) -> anyhow::Result<Vec<String>> {
    use sha2::Digest;
    let conn = Connection::open(db)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    let now = jiff::Timestamp::now().as_second();
    let mut tokens = Vec::new();
    for username in usernames {
        let user_id: i64 = conn.query_row(
            "SELECT id FROM users WHERE username = ?1",
            [username],
            |r| r.get(0),
        )?;
        let token = hex::encode(rand::random::<[u8; 32]>());
        let csrf = hex::encode(rand::random::<[u8; 32]>());
        // Last seen an hour ahead: the server then does not "touch" the session (a write
        // once a minute), which a write lock held elsewhere would turn into a 500 on
        // every request after ten seconds' wait. The reads are measured without it.
        conn.execute(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?4 + 3600)",
            rusqlite::params![
                hex::encode(sha2::Sha256::digest(token.as_bytes())),
                user_id,
                csrf,
                now
            ],
        )?;
        tokens.push(token);
    }
    Ok(tokens)
}

async fn sign_in(base: &str, username: &str) -> anyhow::Result<reqwest::Client> {
    let client = client(base)?;
    let resp = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await?;
    if !resp.status().is_success() {
        bail!("{username} could not sign in: {}", resp.status());
    }
    Ok(client)
}

/// Sends the request and reads the whole answer; the outcome names a non-2xx answer.
async fn timed(request: reqwest::RequestBuilder, what: &str) -> (Duration, Result<Value, String>) {
    let began = Instant::now();
    let outcome = match request.send().await {
        Ok(resp) => {
            let status = resp.status();
            let is_json = resp
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json"));
            match resp.bytes().await {
                Ok(body) if status.is_success() => Ok(if is_json {
                    serde_json::from_slice(&body).unwrap_or(Value::Null)
                } else {
                    Value::Null
                }),
                Ok(body) => Err(format!(
                    "{what} → {status}: {}",
                    String::from_utf8_lossy(&body)
                        .chars()
                        .take(200)
                        .collect::<String>()
                )),
                Err(err) => Err(format!("{what}: {err}")),
            }
        }
        Err(err) => Err(format!("{what}: {err}")),
    };
    (began.elapsed(), outcome)
}

/// Times `runs` GETs of the URLs `url(i)` into a new row.
async fn time_gets(
    client: &reqwest::Client,
    name: &str,
    target_ms: f64,
    runs: usize,
    accept: Option<&str>,
    url: impl Fn(usize) -> String,
) -> Row {
    let mut row = Row::new(name, target_ms);
    let began = Instant::now();
    for i in 0..runs {
        if !wanted(name) {
            break;
        }
        if began.elapsed() > row_budget() {
            break;
        }
        let u = url(i);
        let mut request = client.get(&u);
        if let Some(accept) = accept {
            request = request.header(reqwest::header::ACCEPT, accept);
        }
        let (elapsed, outcome) = timed(request, &u).await;
        row.record(elapsed, outcome.map(|_| ()));
    }
    row
}

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A Tuesday at least `days` ahead: an open day, whatever the weekend rules.
fn tuesday_after(today: jiff::civil::Date, days: i64) -> anyhow::Result<jiff::civil::Date> {
    let mut day = today.checked_add(jiff::Span::new().days(days))?;
    while day.weekday() != jiff::civil::Weekday::Tuesday {
        day = day.tomorrow()?;
    }
    Ok(day)
}

/// `jingshi reindex` on the folder: wall time, and the peak RSS of the children waited
/// for so far (only this one: it runs before the server).
fn reindex(binary: &Path, dir: &Path) -> anyhow::Result<(f64, f64, String)> {
    let began = Instant::now();
    let output = Command::new(binary)
        .arg("--data")
        .arg(dir)
        .arg("reindex")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()?;
    let seconds = began.elapsed().as_secs_f64();
    if !output.status.success() {
        bail!("jingshi reindex failed: {}", output.status);
    }
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)?;
    // Linux reports ru_maxrss in KiB.
    let peak_mib = usage.max_rss() as f64 / 1024.0;
    let said = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    Ok((seconds, peak_mib, said))
}

/// Starts `jingshi serve` on the folder; answers the server and the time until
/// `/healthz` said 200.
async fn start_server(
    binary: &Path,
    dir: &Path,
    base: &str,
    addr: &str,
) -> anyhow::Result<(Server, f64)> {
    let began = Instant::now();
    let server = Server(
        Command::new(binary)
            .arg("--data")
            .arg(dir)
            .arg("serve")
            .arg("--addr")
            .arg(addr)
            .arg("--no-demo")
            .env("RUST_LOG", "warn,tantivy=error")
            // Every simulated unit connects from 127.0.0.1; in use each is its own
            // client, so the limit per address would refuse the contested step's 100.
            .env("JINGSHI_MAX_CONNECTIONS_PER_ADDRESS", "512")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(server_log())?)
            .spawn()?,
    );
    let probe = reqwest::Client::new();
    loop {
        if let Ok(resp) = probe.get(format!("{base}/healthz")).send().await
            && resp.status() == 200
        {
            break;
        }
        if began.elapsed() > Duration::from_secs(300) {
            bail!("the server did not become ready in 300 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok((server, began.elapsed().as_secs_f64()))
}

/// Request, approve and renew `runs` loans; three rows.
async fn loan_workflow(
    base: &str,
    borrower: &reqwest::Client,
    librarian: &reqwest::Client,
    targets: &Targets,
    runs: usize,
) -> anyhow::Result<Vec<Row>> {
    let today = jingshi::clock::Clock::system().today();
    let start = tuesday_after(today, LOAN_LEAD_DAYS)?;
    let end = start.checked_add(jiff::Span::new().days(7))?;
    let mut request_row = Row::new("POST /api/v1/loans (request)", 20.0);
    // Approvals and renewals need the requests made first.
    let workflow_wanted = ["POST /api/v1/loans (request)", "approve", "renew"]
        .iter()
        .any(|name| ONLY.get().is_none_or(|only| name.contains(only.as_str())));
    let mut ids = Vec::new();
    let began = Instant::now();
    for (i, resource) in targets.loanable.iter().take(runs).enumerate() {
        if began.elapsed() > row_budget() || !workflow_wanted {
            break;
        }
        let body = json!({
            "resource_id": resource, "format": "digital",
            "start": start.to_string(), "end": end.to_string(),
            "purpose": "专题警示教育大会", "audience": 40 + i % 200,
        });
        let url = format!("{base}/api/v1/loans");
        let (elapsed, outcome) = timed(borrower.post(&url).json(&body), &url).await;
        if let Some(id) = outcome.as_ref().ok().and_then(|loan| loan["id"].as_i64()) {
            ids.push(id);
        }
        request_row.record(elapsed, outcome.map(|_| ()));
    }
    // Only approved loans are renewed: renewing a request is (rightly) refused.
    let mut approved = Vec::new();
    let mut approve_row = Row::new("POST /api/v1/loans/{id}/approve", 20.0);
    let began = Instant::now();
    for id in ids.iter().take_while(|_| began.elapsed() <= row_budget()) {
        let url = format!("{base}/api/v1/loans/{id}/approve");
        let (elapsed, outcome) = timed(librarian.post(&url), &url).await;
        if outcome.is_ok() {
            approved.push(*id);
        }
        approve_row.record(elapsed, outcome.map(|_| ()));
    }
    let mut renew_row = Row::new("POST /api/v1/loans/{id}/renew", 20.0);
    let began = Instant::now();
    for id in approved
        .iter()
        .take_while(|_| began.elapsed() <= row_budget())
    {
        let url = format!("{base}/api/v1/loans/{id}/renew");
        let (elapsed, outcome) = timed(borrower.post(&url).json(&json!({})), &url).await;
        renew_row.record(elapsed, outcome.map(|_| ()));
    }
    Ok(vec![request_row, approve_row, renew_row])
}

/// [`CONTENDERS`] units ask at once for the same licence-limited resource on the same
/// days, far past every booking, and a librarian approves each request as it arrives:
/// exactly as many approvals as licences must succeed, the others answer 409, and the
/// loan list must then hold exactly that many approved loans. Each sample is one
/// request and its approval.
async fn contested_approvals(
    base: &str,
    librarian: &reqwest::Client,
    contenders: &[reqwest::Client],
    (resource, licences): &(String, i64),
) -> anyhow::Result<Row> {
    let name = format!("{CONTENDERS} concurrent requests + approvals, {licences} licence(s)");
    let mut row = Row::new(&name, 1_000.0);
    if !wanted(&name) {
        return Ok(row);
    }
    let today = jingshi::clock::Clock::system().today();
    let start = tuesday_after(today, LOAN_LEAD_DAYS + 70)?;
    let end = start.checked_add(jiff::Span::new().days(3))?;
    let mut tasks = Vec::new();
    for (i, borrower) in contenders.iter().enumerate() {
        let (borrower, librarian) = (borrower.clone(), librarian.clone());
        let body = json!({
            "resource_id": resource, "format": "digital",
            "start": start.to_string(), "end": end.to_string(),
            "purpose": "专题警示教育大会", "audience": 30 + i,
        });
        let base = base.to_owned();
        tasks.push(tokio::spawn(async move {
            let began = Instant::now();
            let created = borrower
                .post(format!("{base}/api/v1/loans"))
                .json(&body)
                .send()
                .await?;
            if created.status() != 201 {
                let said = format!("request answered {}", created.status());
                return anyhow::Ok((began.elapsed(), Err(said)));
            }
            let created: Value = created.json().await?;
            let id = created["id"].as_i64().context("no loan id")?;
            let approval = librarian
                .post(format!("{base}/api/v1/loans/{id}/approve"))
                .send()
                .await?
                .status()
                .as_u16();
            anyhow::Ok((began.elapsed(), Ok(approval)))
        }));
    }
    let mut approved = 0;
    for task in tasks {
        let (elapsed, status) = task.await??;
        let outcome = match status {
            Ok(200) => {
                approved += 1;
                Ok(())
            }
            Ok(409) => Ok(()),
            Ok(other) => Err(format!("approval answered {other}")),
            Err(said) => Err(said),
        };
        row.record(elapsed, outcome);
    }
    let expected = usize::try_from(*licences)?.min(contenders.len());
    let listed: Value = librarian
        .get(format!(
            "{base}/api/v1/loans?resource_id={resource}&status=approved&limit=1000"
        ))
        .send()
        .await?
        .json()
        .await?;
    let held = listed
        .as_array()
        .into_iter()
        .flatten()
        .filter(|loan| loan["start"] == start.to_string())
        .count();
    if approved != expected || held != expected {
        row.failures += 1;
        row.failure_samples.push(format!(
            "{approved} approvals answered and {held} loans approved for {expected} licences"
        ));
    }
    println!("contested {resource}: {approved} approved of {CONTENDERS} for {licences} licences");
    Ok(row)
}

fn print_table(rows: &[Row]) {
    println!(
        "\n{:<52} {:>5} {:>9} {:>9} {:>9}  {:<6} {:>6}",
        "request", "n", "p50 ms", "p99 ms", "target", "result", "non2xx"
    );
    for row in rows
        .iter()
        .filter(|r| wanted(&r.name) || !r.samples.is_empty())
    {
        let p99 = row.percentile(0.99);
        let pass = p99 < row.target_ms && row.failures == 0;
        println!(
            "{:<52} {:>5} {:>9.2} {:>9.2} {:>9}  {:<6} {:>6}",
            row.name,
            row.samples.len(),
            row.percentile(0.50),
            p99,
            format!("<{}", row.target_ms),
            if pass { "pass" } else { "FAIL" },
            row.failures
        );
    }
    for row in rows.iter().filter(|r| r.failures > 0) {
        for sample in &row.failure_samples {
            println!("  {}: {sample}", row.name);
        }
    }
}

/// Where the server's log goes (its errors are counted at the end).
fn server_log() -> PathBuf {
    std::env::temp_dir().join("national_bench-server.log")
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut dir: Option<PathBuf> = None;
    let mut runs = 200usize;
    // The issue asks for p50 and p99 over at least 200 requests of every row.
    let mut stats_runs = 200usize;
    let mut do_reindex = true;
    let mut binary = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/jingshi");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = args.next().context("--runs needs a number")?.parse()?,
            "--stats-runs" => {
                stats_runs = args
                    .next()
                    .context("--stats-runs needs a number")?
                    .parse()?;
            }
            "--no-reindex" => do_reindex = false,
            "--row-budget" => BUDGET_SECS.store(
                args.next().context("--row-budget needs seconds")?.parse()?,
                Ordering::Relaxed,
            ),
            "--only" => {
                let only = args.next().context("--only needs a text")?;
                ONLY.set(only).ok();
            }
            "--binary" => binary = args.next().context("--binary needs a path")?.into(),
            other if dir.is_none() => dir = Some(other.into()),
            other => bail!("unexpected argument {other}"),
        }
    }
    let dir =
        dir.context("usage: national_bench DIR [--runs N] [--stats-runs N] [--no-reindex]")?;
    let database = dir.join("content").join("jingshi.db");
    if !database.is_file() {
        bail!(
            "{} holds no database: write one with examples/national_data.rs",
            dir.display()
        );
    }
    let began = Instant::now();
    let targets = pick_targets(&database, runs)?;
    println!(
        "targets in {:.1} s: unit {} ({} loans), {} loanable resources, popular {} (up to {} waiting), {} queries",
        began.elapsed().as_secs_f64(),
        targets.unit,
        targets.unit_loans,
        targets.loanable.len(),
        targets.popular.len(),
        targets.popular.first().map(|p| p.1).unwrap_or(0),
        targets.queries.len()
    );

    let mut rows = Vec::new();
    let reindexed = if do_reindex {
        let (seconds, peak_mib, said) = reindex(&binary, &dir)?;
        println!("reindex: {said}");
        Some((seconds, peak_mib))
    } else {
        None
    };

    let seeded = seed_sessions(&database, &["admin", &format!("officer-{}", targets.unit)])?;
    let contender_names: Vec<String> = targets
        .contenders
        .iter()
        .map(|code| format!("officer-{code}"))
        .collect();
    let contender_tokens = seed_sessions(
        &database,
        &contender_names
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )?;
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let base = format!("http://{addr}");
    let (server, startup) = start_server(&binary, &dir, &base, &addr.to_string()).await?;
    let pid = server.0.id();
    println!(
        "server ready in {startup:.2} s (pid {pid}, RSS {:.0} MiB)",
        rss_mib(pid)
    );

    // `/healthz` answers before the first background sweep is done; a sign-in writes,
    // so it shows when the library can really be used.
    let began = Instant::now();
    let mut first_sign_in = Row::new("start-up: /healthz to first sign-in", 5_000.0);
    let signed_in = loop {
        match sign_in(&base, "admin").await {
            Ok(client) => break Some(client),
            Err(err) => {
                first_sign_in.failures += 1;
                if first_sign_in.failure_samples.len() < 3 {
                    first_sign_in.failure_samples.push(format!(
                        "after {:.1} s: {err}",
                        began.elapsed().as_secs_f64()
                    ));
                }
                if began.elapsed() > SIGN_IN_WAIT {
                    break None;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    };
    first_sign_in.samples.push(began.elapsed());
    let (librarian, borrower) = match signed_in {
        Some(librarian) => {
            println!(
                "first sign-in {:.2} s after /healthz ({} refused before)",
                began.elapsed().as_secs_f64(),
                first_sign_in.failures
            );
            let borrower = sign_in(&base, &format!("officer-{}", targets.unit)).await?;
            (librarian, borrower)
        }
        None => {
            println!(
                "no sign-in in {} s ({} refused): the reads below use the sessions written before the start",
                SIGN_IN_WAIT.as_secs(),
                first_sign_in.failures
            );
            (
                client_with_session(&base, &seeded[0])?,
                client_with_session(&base, &seeded[1])?,
            )
        }
    };

    rows.extend(loan_workflow(&base, &borrower, &librarian, &targets, runs).await?);
    let contenders = contender_tokens
        .iter()
        .map(|token| client_with_session(&base, token))
        .collect::<anyhow::Result<Vec<_>>>()?;
    rows.push(contested_approvals(&base, &librarian, &contenders, &targets.contested).await?);

    rows.push(
        time_gets(
            &borrower,
            "GET / (busiest unit's borrower)",
            50.0,
            runs,
            None,
            |_| format!("{base}/"),
        )
        .await,
    );
    rows.push(
        time_gets(
            &borrower,
            "GET /loans (busiest unit)",
            50.0,
            runs,
            None,
            |_| format!("{base}/loans"),
        )
        .await,
    );
    let popular = &targets.popular;
    rows.push(
        time_gets(
            &borrower,
            "GET /resources/{id} (popular, long waitlist)",
            50.0,
            runs,
            None,
            |i| format!("{base}/resources/{}", popular[i % popular.len()].0),
        )
        .await,
    );
    let ordinary = &targets.ordinary;
    rows.push(
        time_gets(
            &borrower,
            "GET /resources/{id} (ordinary)",
            50.0,
            runs,
            None,
            |i| format!("{base}/resources/{}", ordinary[i % ordinary.len()]),
        )
        .await,
    );
    rows.push(
        time_gets(&librarian, "GET /librarian/queue", 50.0, runs, None, |_| {
            format!("{base}/librarian/queue")
        })
        .await,
    );
    rows.push(
        time_gets(
            &librarian,
            "GET /api/v1/loans?status=requested",
            50.0,
            runs,
            None,
            |_| format!("{base}/api/v1/loans?status=requested"),
        )
        .await,
    );
    rows.push(
        time_gets(
            &librarian,
            "GET /librarian/resources/{id}/calendar (popular)",
            50.0,
            runs,
            None,
            |i| {
                format!(
                    "{base}/librarian/resources/{}/calendar",
                    popular[i % popular.len()].0
                )
            },
        )
        .await,
    );
    rows.push(
        time_gets(
            &librarian,
            "GET /api/v1/resources/{id}/calendar (popular)",
            50.0,
            runs,
            None,
            |i| {
                format!(
                    "{base}/api/v1/resources/{}/calendar",
                    popular[i % popular.len()].0
                )
            },
        )
        .await,
    );
    let queries = &targets.queries;
    rows.push(
        time_gets(
            &borrower,
            "GET /api/v1/search?q=…&available=true",
            20.0,
            runs,
            None,
            |i| {
                format!(
                    "{base}/api/v1/search?q={}&available=true",
                    encode(&queries[i % queries.len()])
                )
            },
        )
        .await,
    );
    let today = jingshi::clock::Clock::system().today();
    let from = today.checked_sub(jiff::Span::new().days(364))?;
    let period = format!("from={from}&to={today}");
    rows.push(
        time_gets(
            &librarian,
            "GET /stats (12 months, all units)",
            500.0,
            stats_runs,
            None,
            |_| format!("{base}/stats?{period}"),
        )
        .await,
    );
    rows.push(
        time_gets(
            &librarian,
            "GET /api/v1/stats/units CSV (12 months)",
            500.0,
            stats_runs,
            Some("text/csv"),
            |_| format!("{base}/api/v1/stats/units?{period}"),
        )
        .await,
    );
    let rss_end = rss_mib(pid);
    drop(server);

    let mut startup_row = Row::new("start-up: spawn to /healthz 200", 5_000.0);
    startup_row.record(Duration::from_secs_f64(startup), Ok(()));
    rows.push(startup_row);
    rows.push(first_sign_in);
    print_table(&rows);
    if let Some((seconds, peak_mib)) = reindexed {
        println!(
            "\nreindex: {seconds:.1} s (target < 180 s: {}), peak RSS {peak_mib:.0} MiB (target < 1536 MiB: {})",
            if seconds < 180.0 { "pass" } else { "FAIL" },
            if peak_mib < 1536.0 { "pass" } else { "FAIL" }
        );
    }
    println!(
        "server RSS at the end: {rss_end:.0} MiB; stats rows ran {stats_runs} times, the others {runs}"
    );
    let log = std::fs::read_to_string(server_log()).unwrap_or_default();
    println!(
        "server log {}: {} errors, {} of them \"database is locked\"",
        server_log().display(),
        log.lines().filter(|l| l.contains("ERROR")).count(),
        log.lines()
            .filter(|l| l.contains("database is locked"))
            .count()
    );
    let failures: u64 = rows.iter().map(|r| r.failures).sum();
    if failures > 0 {
        println!("non-2xx answers: {failures}");
        std::process::exit(1);
    }
    Ok(())
}
