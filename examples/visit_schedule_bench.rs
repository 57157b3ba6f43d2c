//! Scheduler benchmark: `cargo run --release --example visit_schedule_bench [-- RUNS]`.
//! Prints figures; it is not a test.
//!
//! A year of demand for three bases from 34 units, built from a fixed seed: each base
//! has 2–4 weekly sessions of 40–80 seats (some already holding a group) and a few
//! trial sessions (庭审旁听) calling one or two sectors; each unit asks each base 2–5
//! times a year for a group of 10–60, half of them willing to share, naming three
//! sessions of the target week and the next, with busier spring and autumn months.
//! `propose` runs per base over the whole year, the days it gives a unit at one base
//! being busy days at the next; the time is the median of RUNS (default 7) runs.

// Benchmarks and tools: a failed step ends the run with its message.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use jiff::ToSpan;
use jiff::civil::{Date, date};
use jingshi::visits::propose::{Holding, Pending, Proposal, SessionSlot, propose};

const UNITS: usize = 34;
const BASES: usize = 3;
const WEEKS: i64 = 52;
const SECTORS: [&str; 6] = ["法院", "检察", "税务", "海关", "金融", "交通"];

/// splitmix64: a fixed, dependency-free stream so every run sees the same year.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.range(1, 100) <= percent
    }
}

fn small(n: u64) -> u32 {
    u32::try_from(n).unwrap()
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap()
}

fn monday() -> Date {
    date(2026, 1, 5)
}

fn sessions_of_base(rng: &mut Rng, base: usize) -> Vec<SessionSlot> {
    let per_week = rng.range(2, 4);
    let mut weekdays: Vec<i64> = Vec::new();
    while weekdays.len() < usize::try_from(per_week).unwrap() {
        let d = signed(rng.range(0, 4));
        if !weekdays.contains(&d) {
            weekdays.push(d);
        }
    }
    weekdays.sort_unstable();
    let capacities: Vec<u32> = weekdays
        .iter()
        .map(|_| small(rng.range(4, 8) * 10))
        .collect();
    let mut id = i64::try_from(base).unwrap() * 100_000;
    let mut sessions = Vec::new();
    for week in 0..WEEKS {
        for (&d, &capacity) in weekdays.iter().zip(&capacities) {
            id += 1;
            let mut held = Vec::new();
            if rng.chance(20) {
                let unit = format!("u{}", rng.range(0, 33));
                held.push(Holding {
                    unit,
                    headcount: small(rng.range(10, 40)),
                    share: rng.chance(50),
                });
            }
            let date = monday().checked_add((week * 7 + d).days()).unwrap();
            sessions.push(SessionSlot {
                id,
                date,
                capacity,
                held,
                trial: false,
                sectors: Vec::new(),
            });
        }
        if rng.chance(8) {
            id += 1;
            let sectors = vec![SECTORS[usize::try_from(rng.range(0, 5)).unwrap()].to_owned()];
            let date = monday().checked_add((week * 7 + 3).days()).unwrap();
            let capacity = small(rng.range(30, 60));
            sessions.push(SessionSlot {
                id,
                date,
                capacity,
                held: Vec::new(),
                trial: true,
                sectors,
            });
        }
    }
    sessions
}

/// Weeks weighted towards spring (Mar–May) and autumn (Sep–Nov) education months.
fn target_week(rng: &mut Rng) -> i64 {
    loop {
        let week = signed(rng.range(0, 50));
        let busy = (9..22).contains(&week) || (35..48).contains(&week);
        if busy || rng.chance(50) {
            return week;
        }
    }
}

fn requests_for_base(rng: &mut Rng, sessions: &[SessionSlot], next_id: &mut i64) -> Vec<Pending> {
    let mut pending = Vec::new();
    for unit in 0..UNITS {
        let sector = SECTORS[unit % SECTORS.len()].to_owned();
        for _ in 0..rng.range(2, 5) {
            let week = target_week(rng);
            let from = monday().checked_add((week * 7).days()).unwrap();
            let to = from.checked_add(14.days()).unwrap();
            let window: Vec<&SessionSlot> = sessions
                .iter()
                .filter(|s| s.date >= from && s.date < to)
                .collect();
            let mut preferences: Vec<i64> = Vec::new();
            while preferences.len() < 3.min(window.len()) {
                let pick = window[usize::try_from(rng.next() % window.len() as u64).unwrap()].id;
                if !preferences.contains(&pick) {
                    preferences.push(pick);
                }
            }
            *next_id += 1;
            pending.push(Pending {
                visit_id: *next_id,
                unit: format!("u{unit}"),
                sector: sector.clone(),
                headcount: small(rng.range(10, 60)),
                share: rng.chance(50),
                preferences,
                visits_this_year: small(rng.range(0, 4)),
                earliest: from.checked_add(signed(rng.range(0, 2)).days()).unwrap(),
                busy_days: Vec::new(),
                requested_at: format!(
                    "2025-12-{:02}T{:02}:00:00Z",
                    rng.range(1, 28),
                    rng.range(8, 17)
                ),
            });
        }
    }
    pending
}

/// Runs the three bases in turn, each seeing the days the earlier ones gave.
fn run(bases: &[(Vec<SessionSlot>, Vec<Pending>)]) -> (Duration, Vec<Proposal>) {
    let mut taken: Vec<(String, Date)> = Vec::new();
    let mut spent = Duration::ZERO;
    let mut proposals = Vec::new();
    for (sessions, pending) in bases {
        let mut pending = pending.clone();
        for p in &mut pending {
            p.busy_days = taken
                .iter()
                .filter(|(u, _)| *u == p.unit)
                .map(|(_, d)| *d)
                .collect();
        }
        let start = Instant::now();
        let proposal = propose(sessions, &pending);
        spent += start.elapsed();
        for a in &proposal.assignments {
            let unit = pending
                .iter()
                .find(|p| p.visit_id == a.visit_id)
                .unwrap()
                .unit
                .clone();
            let date = sessions.iter().find(|s| s.id == a.session_id).unwrap().date;
            taken.push((unit, date));
        }
        proposals.push(proposal);
    }
    (spent, proposals)
}

fn main() {
    let runs: usize = std::env::args().nth(1).map_or(7, |a| a.parse().unwrap());
    let mut rng = Rng(17);
    let mut next_id = 0;
    let bases: Vec<(Vec<SessionSlot>, Vec<Pending>)> = (0..BASES)
        .map(|b| {
            let sessions = sessions_of_base(&mut rng, b);
            let pending = requests_for_base(&mut rng, &sessions, &mut next_id);
            (sessions, pending)
        })
        .collect();
    let mut times = Vec::new();
    let mut last = Vec::new();
    for _ in 0..runs.max(1) {
        let (spent, proposals) = run(&bases);
        times.push(spent);
        last = proposals;
    }
    times.sort_unstable();
    println!(
        "{UNITS} units x {BASES} bases x {WEEKS} weeks, median of {} runs",
        times.len()
    );
    for ((sessions, pending), proposal) in bases.iter().zip(&last) {
        let first = proposal
            .assignments
            .iter()
            .filter(|a| {
                pending.iter().any(|p| {
                    p.visit_id == a.visit_id && p.preferences.first() == Some(&a.session_id)
                })
            })
            .count();
        let trials = sessions.iter().filter(|s| s.trial).count();
        println!(
            "  base: {} sessions ({trials} trials), {} requests, {} satisfied ({first} first choice), {} unassigned",
            sessions.len(),
            pending.len(),
            proposal.assignments.len(),
            proposal.unassigned.len()
        );
    }
    let total: usize = bases.iter().map(|(_, p)| p.len()).sum();
    let satisfied: usize = last.iter().map(|p| p.assignments.len()).sum();
    println!("satisfied {satisfied} of {total} requests");
    println!(
        "propose, all three bases: median {:.2} ms (min {:.2}, max {:.2})",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3
    );
}
