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

/// The statement on one line with runs of white space made one space, for logs.
pub fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}
