//! Related-resources benchmark: `cargo run --release --example related_bench`.
//!
//! Indexes the laws + CCDI articles of `../shared/corpus` (or `$JINGSHI_CORPUS`) in a
//! temporary folder, then times `SearchIndex::related` (6 resources, a borrower's
//! audience) for every one of them: a first pass (stored documents read from the index)
//! and a second (from the stored-document cache). The same for a 200-document sample
//! (every 8th document) to show how the cost grows with the catalogue. Prints figures;
//! it is not a test.
//!
//! The corpus gives each law its folder as its sector and each article one sector; a
//! violation type is added to a document whose title or opening names it, so that both
//! kinds of label take part.

// Benchmarks and tools: a failed step ends the run with its message.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "search_bench/corpus.rs"]
mod corpus;

use std::time::{Duration, Instant};

use anyhow::Context;
use jingshi::search::{Audience, SearchDoc, SearchIndex};

/// Related resources asked for, as the resource page shows them.
const SHOWN: usize = 6;
/// Violation types recognised in titles and openings.
const VIOLATIONS: [&str; 8] = [
    "受贿",
    "行贿",
    "贪污",
    "挪用公款",
    "滥用职权",
    "玩忽职守",
    "八项规定",
    "违规收送礼品礼金",
];
/// Characters of the body searched for a violation type.
const OPENING: usize = 2_000;

fn main() -> anyhow::Result<()> {
    let root = corpus::root();
    println!("corpus: {}", root.display());
    let mut docs = corpus::load_library(&root).context("reading the corpus")?;
    label_violations(&mut docs);
    let labelled = docs.iter().filter(|d| !d.violations.is_empty()).count();
    println!(
        "{} documents ({} with a violation type, every one with a sector)",
        docs.len(),
        labelled
    );
    let audience = Audience::borrower(Some("yn-tax"), Some("税务"));
    run("laws + CCDI, all", &docs, &audience)?;
    let sample: Vec<SearchDoc> = docs.iter().step_by(8).take(200).cloned().collect();
    run("sample (every 8th)", &sample, &audience)?;
    Ok(())
}

/// Adds the violation types a document's title or opening names.
fn label_violations(docs: &mut [SearchDoc]) {
    for doc in docs {
        let opening: String = doc.body.chars().take(OPENING).collect();
        doc.violations = VIOLATIONS
            .iter()
            .filter(|v| doc.title.contains(*v) || opening.contains(*v))
            .map(|v| (*v).to_owned())
            .collect();
        doc.scope = vec!["all".into()];
    }
}

fn run(name: &str, docs: &[SearchDoc], audience: &Audience) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let index = SearchIndex::open(dir.path())?.index;
    let started = Instant::now();
    index.rebuild(docs.iter().cloned(), 1, &|_| {})?;
    index.wait_for_merges()?;
    println!(
        "\n== {name}: {} documents, indexed in {:.1} s, {} segments ==",
        docs.len(),
        started.elapsed().as_secs_f64(),
        index.segment_count()
    );
    for pass in [
        "first pass (stored documents read from the index)",
        "second pass (cached)",
    ] {
        let mut times = Vec::with_capacity(docs.len());
        let mut slowest: Vec<(Duration, &SearchDoc)> = Vec::new();
        let (mut found, mut by_labels, mut full) = (0usize, 0usize, 0usize);
        for doc in docs {
            let started = Instant::now();
            let related = index.related(&doc.id, audience, SHOWN)?;
            let took = started.elapsed();
            times.push(took);
            slowest.push((took, doc));
            assert!(related.iter().all(|r| r.id != doc.id), "never itself");
            found += related.len();
            by_labels += related.iter().filter(|r| !r.shared.is_empty()).count();
            full += usize::from(related.len() == SHOWN);
        }
        times.sort();
        println!("{pass}:");
        println!(
            "  count {}  p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms  mean {:.3} ms",
            times.len(),
            ms(percentile(&times, 0.50)),
            ms(percentile(&times, 0.99)),
            ms(times.last().copied().unwrap_or_default()),
            ms(times.iter().sum::<Duration>()) / times.len().max(1) as f64,
        );
        slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
        for (took, doc) in slowest.iter().take(3) {
            println!(
                "  slow: {:.3} ms 《{}》 ({} characters, {} labels)",
                ms(*took),
                doc.title,
                doc.body.chars().count(),
                doc.sectors.len() + doc.violations.len()
            );
        }
        println!(
            "  {:.2} related per document ({} lists full), {:.0}% sharing a label",
            found as f64 / docs.len().max(1) as f64,
            full,
            100.0 * by_labels as f64 / found.max(1) as f64
        );
    }
    let example = &docs[docs.len() / 2];
    println!("  e.g. 《{}》:", example.title);
    for r in index.related(&example.id, audience, SHOWN)? {
        println!("    {} [{}] {}", r.title, r.kind, r.shared.join("、"));
    }
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
