//! `--availability N`: the cost of "available now" (the filter and the facet count) on the
//! laws + CCDI library (small) and on N synthetic resources (large). One resource in
//! [`BUSY_EVERY`] has no free slot today; the same ones in every run, so figures of
//! different versions compare.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use jingshi::search::{SearchDoc, SearchIndex, SearchRequest};

use super::corpus;

/// Every `BUSY_EVERY`th resource is fully booked today (2 %).
pub const BUSY_EVERY: usize = 50;
/// Queries timed: the empty query (lists everything, the largest facet pass), a few
/// words with many and with few matches.
const QUERIES: &[&str] = &["", "八项规定", "挪用公款", "受贿罪", "监察法 留置"];

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

fn one(name: &str, mut docs: Vec<SearchDoc>, rounds: usize) -> anyhow::Result<()> {
    for (i, doc) in docs.iter_mut().enumerate() {
        doc.available = i % BUSY_EVERY != 0;
    }
    let count = docs.len();
    let dir = tempfile::tempdir()?;
    let index = SearchIndex::open(dir.path())?.index;
    index.set_result_cache_bytes(0);
    index.rebuild(docs.into_iter(), 1, &|_| {})?;
    index.wait_for_merges()?;
    println!(
        "\n== availability, {name}: {count} resources, {} busy today ==",
        count.div_ceil(BUSY_EVERY)
    );
    println!(
        "{:<24} {:>8} {:>8} | {:>10} {:>10}",
        "query (p50 ms)", "matches", "free", "facet only", "available"
    );
    let (mut all_facet, mut all_filter) = (Vec::new(), Vec::new());
    for q in QUERIES {
        let plain = SearchRequest {
            per_page: 10,
            ..SearchRequest::query(*q)
        };
        let filtered = SearchRequest {
            available: Some(true),
            ..plain.clone()
        };
        let answer = index.search(&plain)?;
        let free = index.search(&filtered)?.total;
        anyhow::ensure!(
            answer.facets.available == free,
            "the facet count and the filter disagree for {q:?}"
        );
        let mut facet = Vec::with_capacity(rounds);
        let mut filter = Vec::with_capacity(rounds);
        for round in 0..rounds + 2 {
            let a = super::timed(|| index.search(&plain))?;
            let b = super::timed(|| index.search(&filtered))?;
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
