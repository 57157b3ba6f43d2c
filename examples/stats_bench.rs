//! Statistics benchmark: `cargo run --release --example stats_bench [-- RUNS [--keep DIR]]`.
//! Prints figures; it is not a test.
//!
//! Builds a data folder on disk (SQLite in WAL mode, as in production) with 100 units
//! in 20 sectors (10 of them without any activity), 300 published resources and
//! 100,000 loans — about 10% starting in the previous year — with reports on half of
//! the returned and expired ones. The rows are written directly with SQL: going
//! through the loan workflow for 100,000 loans would measure the workflow, not the
//! statistics. Then, `RUNS` times (default 50):
//! - the statistics of the year for all units (`stats::overview`) and the three SVG
//!   charts, which is what the page computes;
//! - the per-unit CSV export;
//! - `GET /stats` through the real server, signed in as a librarian (query, charts and
//!   the HTML page);
//! - the "for your unit" recommendations of one unit, and the home page that shows
//!   them to a unit's borrower.
//!
//! `--keep DIR` builds the folder in DIR and leaves it there, to look at the page with
//! `jingshi serve --data DIR` (admin password `bench-password`).

// Benchmarks and tools: a failed step ends the run with its message.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use askama::Template;
use jingshi::accounts::{Role, SessionUser};
use jingshi::app::{self, AppState};
use jingshi::config::{DataDir, Settings};
use jingshi::db::Database;
use jingshi::stats::{self, Scope, StatsPeriod, chart};
use jingshi::web::pages::stats::{MonthChartSvg, SectorChartSvg, UnitChartSvg};
use rusqlite::params;
use serde_json::json;

const UNITS: usize = 100;
const IDLE_UNITS: usize = 10;
const RESOURCES: usize = 300;
const LOANS: usize = 100_000;
const YEAR: i16 = 2026;
const PASSWORD: &str = "bench-password";

const SECTORS: [&str; 20] = [
    "税务",
    "海关",
    "烟草",
    "金融",
    "气象",
    "粮食和物资储备",
    "通信",
    "新闻",
    "科研",
    "消防救援",
    "矿山安全",
    "应急管理",
    "市场监管",
    "邮政",
    "铁路",
    "民航",
    "电力",
    "统计",
    "审计",
    "地震",
];
const KINDS: [&str; 4] = ["video", "case", "confession", "textbook"];
const VIOLATIONS: [&str; 8] = [
    "受贿",
    "贪污",
    "挪用公款",
    "违反中央八项规定精神",
    "滥用职权",
    "违规收送礼品礼金",
    "利用职务便利为他人谋取利益",
    "公款吃喝",
];
const REGIONS: [&str; 5] = ["云南省", "昆明市", "玉溪市", "曲靖市", "大理白族自治州"];

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

fn day(year: i16, ordinal: i64) -> jiff::civil::Date {
    jiff::civil::date(year, 1, 1)
        .checked_add(jiff::Span::new().days(ordinal))
        .unwrap_or(jiff::civil::date(year, 12, 31))
}

/// Writes units, resources, loans and reports in one transaction.
fn build(db: &Database) -> anyhow::Result<()> {
    let mut conn = db.get()?;
    let tx = conn.transaction()?;
    let now = jiff::Timestamp::now().to_string();
    let mut rng = Lcg(20_260_101);
    tx.execute("DELETE FROM units", [])?;
    for u in 0..UNITS {
        let sector = SECTORS[u % SECTORS.len()];
        tx.execute(
            "INSERT INTO units (code, name, sector, region, created_at) VALUES (?1, ?2, ?3, '', ?4)",
            params![
                format!("u{u:03}"),
                format!("{sector}系统第{}单位", u / SECTORS.len() + 1),
                sector,
                now
            ],
        )?;
    }
    for r in 0..RESOURCES {
        let id = format!("bench-{r:03}");
        tx.execute(
            "INSERT INTO resources (id, kind, title, region, date, year, access, status, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'loan', 'published', ?7, ?7)",
            params![
                id,
                KINDS[r % KINDS.len()],
                format!("基准测试资源 {r}：某单位干部违纪违法案剖析"),
                REGIONS[r % REGIONS.len()],
                format!("{}", 2015 + r % 11),
                2015 + (r % 11) as i64,
                now
            ],
        )?;
        for (position, s) in (0..1 + r % 3).enumerate() {
            tx.execute(
                "INSERT OR IGNORE INTO resource_labels (resource_id, facet, position, value) VALUES (?1, 'sector', ?2, ?3)",
                params![id, position as i64, SECTORS[(r + s * 7) % SECTORS.len()]],
            )?;
        }
        for (position, v) in (0..2 + r % 2).enumerate() {
            tx.execute(
                "INSERT OR IGNORE INTO resource_labels (resource_id, facet, position, value) VALUES (?1, 'violation', ?2, ?3)",
                params![id, position as i64, VIOLATIONS[(r + v * 3) % VIOLATIONS.len()]],
            )?;
        }
    }
    {
        let mut loan = tx.prepare(
            "INSERT INTO loans (resource_id, unit_code, requested_by_name, format, start_date, end_date,
                                requested_end, status, purpose, audience, reject_reason, created_at, updated_at)
             VALUES (?1, ?2, 'bench', 'digital', ?3, ?4, ?4, ?5, '专题警示教育大会', 100, ?6, ?7, ?7)",
        )?;
        let mut report = tx.prepare(
            "INSERT INTO loan_reports (loan_id, held_on, participants, feedback, reported_by, reported_at)
             VALUES (?1, ?2, ?3, '反响良好', 'bench', ?4)",
        )?;
        for _ in 0..LOANS {
            let unit = format!("u{:03}", rng.next((UNITS - IDLE_UNITS) as u64));
            let resource = format!("bench-{:03}", rng.next(RESOURCES as u64));
            // One loan in ten starts in the year before.
            let year = if rng.next(10) == 0 { YEAR - 1 } else { YEAR };
            let start = day(year, rng.next(360) as i64);
            let end = start
                .checked_add(jiff::Span::new().days(rng.next(7) as i64))
                .unwrap_or(start);
            let status = match rng.next(100) {
                0..5 => "approved",
                5..10 => "active",
                10..60 => "returned",
                60..70 => "expired",
                70..80 => "requested",
                80..88 => "rejected",
                88..95 => "cancelled",
                _ => "waitlisted",
            };
            let reason = (status == "rejected").then_some("时间冲突");
            loan.execute(params![
                resource,
                unit,
                start.to_string(),
                end.to_string(),
                status,
                reason,
                now
            ])?;
            if matches!(status, "returned" | "expired") && rng.next(2) == 0 {
                let held = start
                    .checked_add(jiff::Span::new().days(rng.next(3) as i64))
                    .unwrap_or(start);
                report.execute(params![
                    tx.last_insert_rowid(),
                    held.to_string(),
                    20 + rng.next(280) as i64,
                    now
                ])?;
            }
        }
    }
    tx.commit()?;
    Ok(())
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples.get(index).copied().unwrap_or_default()
}

fn print(label: &str, samples: &mut [Duration]) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p50 = percentile(samples, 0.50);
    let p99 = percentile(samples, 0.99);
    let max = samples.iter().max().copied().unwrap_or_default();
    println!(
        "{label:<38} p50 {:>7.1} ms   p99 {:>7.1} ms   max {:>7.1} ms",
        ms(p50),
        ms(p99),
        ms(max)
    );
}

/// A client with its own session, signed in as `username` (password `PASSWORD`).
async fn signed_in(
    headers: &reqwest::header::HeaderMap,
    base: &str,
    username: &str,
) -> anyhow::Result<reqwest::Client> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers.clone())
        .build()?;
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut runs = 50usize;
    let mut keep: Option<PathBuf> = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--keep" => keep = Some(args.next().context("--keep needs a folder")?.into()),
            n => runs = n.parse().context("RUNS must be a number")?,
        }
    }
    let temp = tempfile::tempdir()?;
    let root = keep.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let data = DataDir::new(&root);
    if data.database().exists() {
        bail!("{} already holds a database", root.display());
    }

    let started = Instant::now();
    let db = Database::open(&data.database())?;
    build(&db)?;
    let conn = db.get()?;
    let loans: i64 = conn.query_row("SELECT count(*) FROM loans", [], |r| r.get(0))?;
    let reports: i64 = conn.query_row("SELECT count(*) FROM loan_reports", [], |r| r.get(0))?;
    println!(
        "built {UNITS} units, {RESOURCES} resources, {loans} loans, {reports} reports in {:.1} s ({})",
        started.elapsed().as_secs_f64(),
        data.database().display()
    );

    let period = StatsPeriod::year_of(jiff::civil::date(YEAR, 6, 1));
    // The committee's view: every list whole.
    let librarian = SessionUser {
        user_id: 0,
        username: "bench".to_owned(),
        display_name: String::new(),
        roles: vec![Role::Librarian],
        unit: None,
        unit_name: None,
        unit_sector: None,
        csrf_token: String::new(),
    };
    let (mut query, mut svg, mut total, mut csv) = (vec![], vec![], vec![], vec![]);
    let mut svg_bytes = 0;
    for _ in 0..runs {
        let began = Instant::now();
        let overview = stats::overview(&conn, period, &Scope::All, &librarian)?;
        let queried = Instant::now();
        let charts = [
            UnitChartSvg {
                chart: &chart::unit_bars(&overview.report.units, 40),
            }
            .render()?,
            MonthChartSvg {
                chart: &chart::monthly_trend(&overview.months),
            }
            .render()?,
            SectorChartSvg {
                chart: &chart::sector_kind_table(&overview.sector_kind),
            }
            .render()?,
        ];
        let drawn = Instant::now();
        svg_bytes = charts.iter().map(String::len).sum();
        query.push(queried - began);
        svg.push(drawn - queried);
        total.push(drawn - began);
        let began = Instant::now();
        let report = stats::units_report(&conn, period, &Scope::All)?;
        let bytes = stats::units_csv(&report);
        csv.push(began.elapsed());
        if report.units.len() != UNITS || bytes.is_empty() {
            bail!("unexpected report: {} units", report.units.len());
        }
    }
    let check = stats::overview(&conn, period, &Scope::All, &librarian)?;
    println!(
        "year {YEAR}: {} requests, {} approved loans, {} sessions, {} participants; {} gap units; charts {} KB",
        check.report.totals.requests,
        check.report.totals.loans,
        check.report.totals.sessions,
        check.report.totals.participants,
        check.report.totals.gap_units,
        svg_bytes / 1024
    );
    // "For your unit" reads every loan of the unit's sector peers.
    let mut recommend = Vec::new();
    for run in 0..runs {
        let unit = format!("u{:03}", run % (UNITS - IDLE_UNITS));
        let began = Instant::now();
        let shown = jingshi::recommend::for_unit(&conn, &unit, 6, None)?;
        recommend.push(began.elapsed());
        if shown.is_empty() {
            bail!("no recommendation for {unit}");
        }
    }
    drop(conn);
    print("statistics query (all units, a year)", &mut query);
    print("three SVG charts", &mut svg);
    print("query + charts", &mut total);
    print("CSV export (query + CSV)", &mut csv);
    print("recommendations for one unit", &mut recommend);

    // The page through the real server.
    let settings = Settings {
        admin_password: Some(PASSWORD.to_owned()),
        ..Settings::new(data.clone())
    };
    let state = tokio::task::spawn_blocking(move || AppState::open(settings)).await??;
    state.clock.set_date(jiff::civil::date(YEAR, 6, 1));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr: SocketAddr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, format!("http://{addr}").parse()?);
    let base = format!("http://{addr}");
    let probe = reqwest::Client::new();
    for _ in 0..200 {
        if probe
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let client = signed_in(&headers, &base, "admin").await?;
    let mut page = Vec::new();
    let mut page_bytes = 0;
    for _ in 0..runs {
        let began = Instant::now();
        let resp = client.get(format!("{base}/stats")).send().await?;
        if !resp.status().is_success() {
            bail!("GET /stats answered {}", resp.status());
        }
        page_bytes = resp.bytes().await?.len();
        page.push(began.elapsed());
    }
    print("GET /stats over HTTP (signed in)", &mut page);
    println!("page size {} KB", page_bytes / 1024);

    // The home page of a unit's borrower: recommendations, notifications, news.
    let created = client
        .post(format!("{base}/api/v1/users"))
        .json(&json!({"username": "officer", "password": PASSWORD,
                      "roles": ["borrower"], "unit": "u001"}))
        .send()
        .await?;
    if created.status() != reqwest::StatusCode::CREATED {
        bail!("creating a borrower answered {}", created.status());
    }
    let borrower = signed_in(&headers, &base, "officer").await?;
    let mut home = Vec::new();
    for _ in 0..runs {
        let began = Instant::now();
        let resp = borrower.get(format!("{base}/")).send().await?;
        if !resp.status().is_success() {
            bail!("GET / answered {}", resp.status());
        }
        resp.bytes().await?;
        home.push(began.elapsed());
    }
    print("GET / over HTTP (a unit's borrower)", &mut home);
    let _ = stop.send(());
    let _ = server.await;
    if let Some(dir) = keep {
        println!("kept {}", dir.display());
    }
    Ok(())
}
