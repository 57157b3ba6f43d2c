//! What the database spends its time on. Every connection reports each finished
//! statement here: one slower than `JINGSHI_SLOW_SQL_MS` (default 250 ms) is logged,
//! and a process that asked to record keeps a tally per distinct statement (the
//! query-plan test checks that each statement of the hot paths uses an index).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use rusqlite::trace::{TraceEvent, TraceEventCodes};
use rusqlite::{Connection, StatementStatus};

/// Statements slower than this are logged unless the environment says otherwise.
const DEFAULT_SLOW: Duration = Duration::from_millis(250);

/// One distinct statement's runs while recording.
#[derive(Debug, Clone, Default)]
pub struct StatementTally {
    pub sql: String,
    pub runs: u64,
    pub total: Duration,
    pub slowest: Duration,
    /// Rows stepped through by full table scans (`SQLITE_STMTSTATUS_FULLSCAN_STEP`).
    pub full_scan_steps: u64,
}

static RECORDING: AtomicBool = AtomicBool::new(false);
static TALLIES: Mutex<BTreeMap<String, StatementTally>> = Mutex::new(BTreeMap::new());

/// Starts keeping a tally of every statement any connection of this process runs.
pub fn start_recording() {
    tallies().clear();
    RECORDING.store(true, Ordering::SeqCst);
}

/// Stops recording and hands over what was recorded, by statement text.
pub fn take_recorded() -> Vec<StatementTally> {
    RECORDING.store(false, Ordering::SeqCst);
    std::mem::take(&mut *tallies()).into_values().collect()
}

fn tallies() -> std::sync::MutexGuard<'static, BTreeMap<String, StatementTally>> {
    TALLIES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn slow_bound() -> Duration {
    static BOUND: OnceLock<Duration> = OnceLock::new();
    *BOUND.get_or_init(|| {
        std::env::var("JINGSHI_SLOW_SQL_MS")
            .ok()
            .and_then(|ms| ms.trim().parse::<u64>().ok())
            .map_or(DEFAULT_SLOW, Duration::from_millis)
    })
}

/// Has `conn` report its finished statements here.
pub(super) fn watch(conn: &Connection) {
    conn.trace_v2(TraceEventCodes::SQLITE_TRACE_PROFILE, Some(on_event));
}

fn on_event(event: TraceEvent<'_>) {
    let TraceEvent::Profile(statement, took) = event else {
        return;
    };
    if took >= slow_bound() {
        tracing::warn!(
            target: "jingshi::db::slow",
            took_ms = took.as_millis() as u64,
            sql = %one_line(&statement.sql()),
            "slow SQL statement"
        );
    }
    if !RECORDING.load(Ordering::Relaxed) {
        return;
    }
    let sql = statement.sql();
    let full_scan_steps = statement.get_status(StatementStatus::FullscanStep).max(0) as u64;
    let mut all = tallies();
    let tally = all
        .entry(sql.to_string())
        .or_insert_with(|| StatementTally {
            sql: sql.to_string(),
            ..StatementTally::default()
        });
    tally.runs += 1;
    tally.total += took;
    tally.slowest = tally.slowest.max(took);
    tally.full_scan_steps += full_scan_steps;
}

/// Logs, every `period` until the process ends, the statements that took the most
/// time in it: for watching a running server's database (`JINGSHI_SQL_REPORT_SECS`),
/// for instance whether a statement grows slower as history piles up.
pub fn report_every(period: Duration) {
    let spawned = std::thread::Builder::new()
        .name("sql-report".into())
        .spawn(move || {
            loop {
                let opened_before = super::connections_opened();
                start_recording();
                std::thread::sleep(period);
                let mut recorded = take_recorded();
                recorded.sort_by_key(|tally| std::cmp::Reverse(tally.total));
                let all: Duration = recorded.iter().map(|t| t.total).sum();
                let runs: u64 = recorded.iter().map(|t| t.runs).sum();
                tracing::info!(
                    target: "jingshi::db::report",
                    total_ms = all.as_millis() as u64,
                    runs,
                    connections_opened = super::connections_opened() - opened_before,
                    "SQL time in the last {} s",
                    period.as_secs()
                );
                for tally in recorded.iter().take(REPORTED) {
                    tracing::info!(
                        target: "jingshi::db::report",
                        total_ms = tally.total.as_millis() as u64,
                        runs = tally.runs,
                        mean_us = tally.total.as_micros() as u64 / tally.runs.max(1),
                        slowest_ms = tally.slowest.as_millis() as u64,
                        sql = %one_line(&tally.sql).chars().take(160).collect::<String>(),
                        "statement"
                    );
                }
            }
        });
    if let Err(err) = spawned {
        tracing::warn!(%err, "cannot start the SQL report");
    }
}

/// How many statements each report names.
const REPORTED: usize = 12;

/// The statement on one line with runs of white space made one space, for logs.
pub fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}
