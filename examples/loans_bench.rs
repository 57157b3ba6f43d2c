//! Loan benchmark: `cargo run --release --example loans_bench [-- SECONDS [CLIENTS]]`.
//! Prints figures; it is not a test.
//!
//! Starts the real server on a loopback port over a fresh data folder on disk (the
//! SQLite file in WAL mode, as in production), then runs `CLIENTS` (default 16)
//! closed-loop clients for `SECONDS` (default 10), wrk-style: each client files a
//! request as a borrower and approves it as a librarian, again and again. Requests
//! go to 40 resources with 3 licences each, over periods of 1–5 days within the next
//! four months, so some are waitlisted and their approval is refused (409) as it
//! should be. Afterwards every day of every loan is checked against capacity.

// Benchmarks and tools: a failed step ends the run with its message.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use jingshi::accounts::{self, NewUser, Role};
use jingshi::app::{self, AppState};
use jingshi::config::{DataDir, Settings};
use jingshi::loans::{Period, usage};
use serde_json::{Value, json};

const RESOURCES: usize = 40;
const LICENCES: u32 = 3;
const PASSWORD: &str = "bench-password";
const UNITS: &[&str] = &[
    "yn-tax",
    "kunming-customs",
    "yn-tobacco",
    "yn-finance",
    "yn-meteorology",
    "yn-grain",
    "yn-comms",
    "xinhua-yn",
];

fn client(addr: SocketAddr) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, format!("http://{addr}").parse()?);
    Ok(reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .build()?)
}

async fn login(
    addr: SocketAddr,
    username: &str,
    password: &str,
) -> anyhow::Result<reqwest::Client> {
    let client = client(addr)?;
    let resp = client
        .post(format!("http://{addr}/api/v1/session"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await?;
    if !resp.status().is_success() {
        bail!("sign-in of {username} failed: {}", resp.status());
    }
    Ok(client)
}

/// A small deterministic generator, so runs are comparable.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

#[derive(Default)]
struct Tally {
    create: Vec<Duration>,
    approve: Vec<Duration>,
    pair: Vec<Duration>,
    approved: u64,
    waitlisted: u64,
    refused: u64,
    errors: u64,
}

async fn run_client(
    addr: SocketAddr,
    borrower: reqwest::Client,
    librarian: reqwest::Client,
    seed: u64,
    until: Instant,
    today: jiff::civil::Date,
) -> Tally {
    let mut rng = Lcg(seed);
    let mut tally = Tally::default();
    let base = format!("http://{addr}/api/v1");
    while Instant::now() < until {
        let resource = format!("bench-film-{:02}", rng.next(RESOURCES as u64));
        let start = today
            .checked_add(jiff::Span::new().days(1 + rng.next(120) as i64))
            .unwrap_or(today);
        let end = start
            .checked_add(jiff::Span::new().days(rng.next(5) as i64))
            .unwrap_or(start);
        let began = Instant::now();
        let created = borrower
            .post(format!("{base}/loans"))
            .json(&json!({"resource_id": resource, "format": "digital",
                          "start": start.to_string(), "end": end.to_string(),
                          "purpose": "专题警示教育大会", "audience": 100}))
            .send()
            .await;
        let created: Value = match created {
            Ok(resp) if resp.status().as_u16() == 201 => match resp.json().await {
                Ok(body) => body,
                Err(_) => {
                    tally.errors += 1;
                    continue;
                }
            },
            _ => {
                tally.errors += 1;
                continue;
            }
        };
        let mid = Instant::now();
        tally.create.push(mid - began);
        if created["status"] == "waitlisted" {
            tally.waitlisted += 1;
        }
        let approved = librarian
            .post(format!("{base}/loans/{}/approve", created["id"]))
            .send()
            .await;
        let done = Instant::now();
        match approved.map(|r| r.status().as_u16()) {
            Ok(200) => tally.approved += 1,
            Ok(409) => tally.refused += 1,
            _ => tally.errors += 1,
        }
        tally.approve.push(done - mid);
        tally.pair.push(done - began);
    }
    tally
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

fn describe(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "  {name:<16} n={:<7} p50 {:>7.2} ms   p90 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms",
        samples.len(),
        percentile(&samples, 50.0),
        percentile(&samples, 90.0),
        percentile(&samples, 99.0),
        percentile(&samples, 100.0),
    );
}

/// Every day of every loan holding a licence stays within the licences.
fn check_capacity(state: &AppState) -> anyhow::Result<usize> {
    let conn = state.db.get()?;
    let mut stmt = conn.prepare(
        "SELECT resource_id, start_date, end_date FROM loans
         WHERE status IN ('requested', 'approved', 'active', 'overdue')",
    )?;
    let mut by_resource: HashMap<String, Vec<Period>> = HashMap::new();
    let rows = stmt.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (resource, start, end) = row?;
        by_resource.entry(resource).or_default().push(Period {
            start: start.parse()?,
            end: end.parse()?,
        });
    }
    let mut checked = 0;
    for (resource, periods) in &by_resource {
        let from = periods.iter().map(|p| p.start).min().context("a period")?;
        let to = periods.iter().map(|p| p.end).max().context("a period")?;
        let peak = usage(periods, from, to).into_iter().max().unwrap_or(0);
        if peak > LICENCES {
            bail!("{resource} has {peak} loans on one day, more than {LICENCES} licences");
        }
        checked += periods.len();
    }
    Ok(checked)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10);
    let clients: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(16);

    let dir = tempfile::tempdir()?;
    let settings = Settings {
        admin_password: Some(PASSWORD.to_owned()),
        ..Settings::new(DataDir::new(dir.path()))
    };
    let state = tokio::task::spawn_blocking(move || AppState::open(settings)).await??;
    let today = jiff::civil::date(2027, 3, 1);
    state.clock.set_date(today);
    {
        let mut conn = state.db.get()?;
        let hash = accounts::password::hash_password(PASSWORD)?;
        for i in 0..clients {
            let unit = UNITS[i % UNITS.len()];
            let username = format!("bench{i}");
            let user = NewUser {
                username: &username,
                password_hash: &hash,
                roles: &[Role::Borrower],
                unit: Some(unit),
                email: None,
            };
            let operator = jingshi::actor::Actor::operator("bench");
            accounts::create_user(&mut conn, &operator, &user, state.clock.moment())?;
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let serving = state.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app::serve(listener, serving, async {
            let _ = stopped.await;
        })
        .await
    });

    let admin = login(addr, "admin", PASSWORD).await?;
    for i in 0..RESOURCES {
        let resp = admin
            .post(format!("http://{addr}/api/v1/resources"))
            .json(&json!({"id": format!("bench-film-{i:02}"), "kind": "video",
                          "title": format!("基准测试警示片 {i}"), "access": "loan",
                          "status": "published", "licences": LICENCES}))
            .send()
            .await?;
        if resp.status().as_u16() != 201 {
            bail!("creating a resource failed: {}", resp.text().await?);
        }
    }
    let mut sessions = Vec::new();
    for i in 0..clients {
        sessions.push((
            login(addr, &format!("bench{i}"), PASSWORD).await?,
            login(addr, "admin", PASSWORD).await?,
        ));
    }

    println!(
        "loans_bench: {clients} clients × {seconds} s, create + approve over loopback; database {}",
        state.db.path().display()
    );
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = sessions
        .into_iter()
        .enumerate()
        .map(|(i, (borrower, librarian))| {
            tokio::spawn(run_client(
                addr,
                borrower,
                librarian,
                i as u64 + 1,
                until,
                today,
            ))
        })
        .collect();
    let mut total = Tally::default();
    for task in tasks {
        let tally = task.await?;
        total.create.extend(tally.create);
        total.approve.extend(tally.approve);
        total.pair.extend(tally.pair);
        total.approved += tally.approved;
        total.waitlisted += tally.waitlisted;
        total.refused += tally.refused;
        total.errors += tally.errors;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let pairs = total.pair.len() as f64;
    println!(
        "  {:.0} create+approve pairs/s ({:.0} HTTP requests/s); {} pairs in {elapsed:.1} s",
        pairs / elapsed,
        2.0 * pairs / elapsed,
        total.pair.len()
    );
    println!(
        "  approved {}, waitlisted at request {}, approval refused (409) {}, errors {}",
        total.approved, total.waitlisted, total.refused, total.errors
    );
    describe("create (POST)", total.create);
    describe("approve (POST)", total.approve);
    describe("create+approve", total.pair);
    let checked = {
        let state = state.clone();
        tokio::task::spawn_blocking(move || check_capacity(&state)).await??
    };
    println!("  capacity respected on every day of {checked} holding loans");

    let _ = stop.send(());
    server.await??;
    Ok(())
}
