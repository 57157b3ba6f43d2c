//! `--availability N`: the cost of "available now" (the filter and the facet count) on the
//! laws + CCDI library (small) and on N synthetic resources (large). One resource in
//! [`BUSY_EVERY`] has no free slot today; the same ones in every run, so figures of
//! different versions compare.
//!
//! Availability is judged at query time: each search first asks the loans module which
//! resources are fully booked today (`loans::unavailable_on`, over a real SQLite database
//! with the catalogue's holdings and a loans table), then searches with that set. The
//! figures include both parts.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use jiff::civil::{Date, date};
use jingshi::db::Database;
use jingshi::search::{SearchDoc, SearchIndex, SearchRequest, Unavailable};
use rusqlite::params;

use super::corpus;

/// Every `BUSY_EVERY`th resource is fully booked today (2 %).
pub const BUSY_EVERY: usize = 50;
/// Queries timed: the empty query (lists everything, the largest facet pass), a few
/// words with many and with few matches.
const QUERIES: &[&str] = &["", "八项规定", "挪用公款", "受贿罪", "监察法 留置"];
/// "Today" of the benchmark.
const TODAY: Date = date(2027, 3, 1);

pub fn run(root: &Path, n: usize, rounds: usize) -> anyhow::Result<()> {
    let library = corpus::load_library(root).context("reading the corpus")?;
    let paras = corpus::paragraphs(&library);
    anyhow::ensure!(!paras.is_empty(), "no paragraphs in the corpus");
    one("small: laws + CCDI", library, rounds)?;
    let mut rng = corpus::Rng::new(42);
    let docs: Vec<SearchDoc> = (0..n)
        .map(|i| corpus::synthetic_doc(i, &paras, &mut rng))
        .collect();
    one(&format!("large: {n} synthetic"), docs, rounds)
}

/// A database with the resources `r0…`: every [`BUSY_EVERY`]th has one licence and no
/// copy, taken by a loan covering today; every 7th has two licences and one loan today
/// (busy, not full); every 3rd a loan next month; the rest unlimited licences.
/// Returns the number of loans.
fn database(path: &Path, count: usize) -> anyhow::Result<(Database, usize)> {
    let db = Database::open(path)?;
    let mut conn = db.get()?;
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO units (code, name, created_at) VALUES ('yn-tax', '税务局', '')",
        [],
    )?;
    let mut loans = 0;
    {
        let mut resource = tx.prepare(
            "INSERT INTO resources (id, kind, title, licences, created_at, updated_at)
             VALUES (?1, 'case', ?1, ?2, '', '')",
        )?;
        let mut loan = tx.prepare(
            "INSERT INTO loans (resource_id, unit_code, format, start_date, end_date,
                requested_end, status, purpose, audience, created_at, updated_at)
             VALUES (?1, 'yn-tax', 'digital', ?2, ?3, ?3, 'approved', '测试', 10, '', '')",
        )?;
        let day = |offset: i64| {
            TODAY
                .checked_add(jiff::Span::new().days(offset))
                .map(|d| d.to_string())
        };
        for i in 0..count {
            let id = format!("r{i}");
            let licences = if i % BUSY_EVERY == 0 {
                Some(1)
            } else if i % 7 == 0 {
                Some(2)
            } else {
                None
            };
            resource.execute(params![id, licences])?;
            if i % BUSY_EVERY == 0 || i % 7 == 0 {
                loan.execute(params![id, day(-2)?, day(3)?])?;
                loans += 1;
            }
            if i % 3 == 0 {
                loan.execute(params![id, day(30)?, day(32)?])?;
                loans += 1;
            }
        }
    }
    tx.commit()?;
    drop(conn);
    Ok((db, loans))
}

fn one(name: &str, mut docs: Vec<SearchDoc>, rounds: usize) -> anyhow::Result<()> {
    for (i, doc) in docs.iter_mut().enumerate() {
        doc.id = format!("r{i}");
    }
    let count = docs.len();
    let dir = tempfile::tempdir()?;
    let (db, loans) = database(&dir.path().join("jingshi.db"), count)?;
    let conn = db.get()?;
    let index = SearchIndex::open(&dir.path().join("index"))?.index;
    index.set_result_cache_bytes(0);
    index.rebuild(docs.into_iter(), 1, &|_| {})?;
    index.wait_for_merges()?;
    let busy = Unavailable::new(jingshi::loans::unavailable_on(&conn, TODAY)?);
    anyhow::ensure!(
        busy.ids().len() == count.div_ceil(BUSY_EVERY),
        "expected every {BUSY_EVERY}th resource to be busy, found {}",
        busy.ids().len()
    );
    println!(
        "\n== availability, {name}: {count} resources, {loans} loans, {} busy today ==",
        busy.ids().len()
    );
    let mut sql = Vec::with_capacity(rounds);
    for round in 0..rounds + 2 {
        let took = super::timed(|| jingshi::loans::unavailable_on(&conn, TODAY))?;
        if round >= 2 {
            sql.push(took);
        }
    }
    summary(
        "loans::unavailable_on (SQL) alone, once per loan or catalogue change",
        &mut sql,
    );
    println!(
        "{:<24} {:>8} {:>8} | {:>10} {:>10}",
        "query (p50 ms)", "matches", "free", "facet only", "available"
    );
    let (mut all_facet, mut all_filter) = (Vec::new(), Vec::new());
    let booked = jingshi::indexer::BookedOut::default();
    for q in QUERIES {
        let plain = SearchRequest {
            per_page: 10,
            ..SearchRequest::query(*q)
        };
        let filtered = SearchRequest {
            available: Some(true),
            ..plain.clone()
        };
        // As the server does: the day's set (computed once, then reused until a loan or
        // the catalogue changes), then the search.
        let search = |request: &SearchRequest| -> anyhow::Result<u64> {
            let request = SearchRequest {
                unavailable: booked.on(&conn, TODAY)?,
                ..request.clone()
            };
            Ok(index.search(&request)?.facets.available)
        };
        let answer = index.search(&SearchRequest {
            unavailable: busy.clone(),
            ..plain.clone()
        })?;
        let free = index
            .search(&SearchRequest {
                unavailable: busy.clone(),
                ..filtered.clone()
            })?
            .total;
        anyhow::ensure!(
            answer.facets.available == free,
            "the facet count and the filter disagree for {q:?}"
        );
        let mut facet = Vec::with_capacity(rounds);
        let mut filter = Vec::with_capacity(rounds);
        for round in 0..rounds + 2 {
            let a = super::timed(|| search(&plain))?;
            let b = super::timed(|| search(&filtered))?;
            if round >= 2 {
                facet.push(a);
                filter.push(b);
            }
        }
        println!(
            "{:<24} {:>8} {:>8} | {:>10.3} {:>10.3}",
            if q.is_empty() { "(empty)" } else { q },
            answer.total,
            free,
            super::ms(super::percentile(&mut facet, 0.5)),
            super::ms(super::percentile(&mut filter, 0.5)),
        );
        all_facet.extend(facet);
        all_filter.extend(filter);
    }
    summary("page with the available facet", &mut all_facet);
    summary("page with available=true", &mut all_filter);
    Ok(())
}

fn summary(name: &str, samples: &mut [Duration]) {
    println!(
        "{name:<40} p50 {:>8.3} ms   p99 {:>8.3} ms   ({} samples)",
        super::ms(super::percentile(samples, 0.5)),
        super::ms(super::percentile(samples, 0.99)),
        samples.len()
    );
}
