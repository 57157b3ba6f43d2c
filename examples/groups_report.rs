//! What grouping collapses on the shared corpus: `cargo run --example groups_report`
//! (`-- --pairs` also prints every same-title pair with its likeness; `-- --timing`
//! times uncached searches grouped and ungrouped instead, over the law-title queries and
//! a few library queries: relative figures, as a debug build is slow).
//!
//! Indexes the laws and CCDI articles as the relevance suite does, lists the groups of
//! copies and of editions the index forms, and for every pair of resources with the same
//! title the MinHash estimate of their likeness beside the exact Jaccard index of their
//! character 5-shingles (the measurement the duplicate threshold rests on). Then the same
//! for the CMRC 2018 passages, whose passages of one article share a title and must stay
//! apart. It is a report, not a test.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "search_bench/corpus.rs"]
mod corpus;

use std::collections::{BTreeMap, HashSet};

use jingshi::search::{DUPLICATE_LIKENESS, SearchDoc, SearchIndex, normalize, text_likeness};

/// Letters and digits of the normalised text (`丨` is punctuation), as grouping reads them.
fn letters(text: &str) -> Vec<char> {
    normalize(text)
        .chars()
        .filter(|&c| c.is_alphanumeric() && c != '丨')
        .collect()
}

fn shingles(doc: &SearchDoc) -> HashSet<String> {
    let mut chars = letters(&doc.body);
    for cue in &doc.cues {
        chars.extend(letters(&cue.text));
    }
    let width = 5.min(chars.len().max(1));
    chars.windows(width).map(|w| w.iter().collect()).collect()
}

fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    let both = a.intersection(b).count();
    let union = a.len() + b.len() - both;
    if union == 0 {
        0.0
    } else {
        both as f64 / union as f64
    }
}

fn date(doc: &SearchDoc) -> String {
    let k = doc.date_key;
    if k == 0 {
        "无日期".into()
    } else {
        format!("{:04}-{:02}-{:02}", k / 10_000, k / 100 % 100, k % 100)
    }
}

/// Prints the groups of `docs` and the likeness of every same-title pair; returns the
/// numbers of copy groups and edition groups.
fn report(name: &str, docs: Vec<SearchDoc>, pairs: bool) -> (usize, usize) {
    println!("\n== {name}: {} documents ==", docs.len());
    let index = SearchIndex::open_in_ram().unwrap();
    index.rebuild(docs.clone().into_iter(), 1, &|_| {}).unwrap();
    let by_id: BTreeMap<&str, &SearchDoc> = docs.iter().map(|d| (d.id.as_str(), d)).collect();
    let groups = index.collapsed_groups().unwrap();
    let editions = groups.iter().filter(|g| g.editions).count();
    let copies = groups.len() - editions;
    let hidden: usize = groups.iter().map(|g| g.members.len() - 1).sum();
    println!(
        "{} groups: {copies} of copies, {editions} of editions; {hidden} resources shown inside another's hit",
        groups.len()
    );
    for group in &groups {
        let title = by_id[group.members[0].id.as_str()].title.as_str();
        println!(
            "  [{}] {title}",
            if group.editions { "版本" } else { "相同" }
        );
        for m in &group.members {
            println!(
                "      {} {:<10} {}",
                m.copy_of,
                m.date.as_deref().unwrap_or("无日期"),
                m.id
            );
        }
    }
    pairs_report(&docs, pairs);
    (copies, editions)
}

/// The likeness of every pair of resources of one normalised title, by class.
fn pairs_report(docs: &[SearchDoc], pairs: bool) {
    // Every pair of one normalised title.
    let mut by_title: BTreeMap<String, Vec<&SearchDoc>> = BTreeMap::new();
    for d in docs {
        by_title
            .entry(letters(&d.title).into_iter().collect())
            .or_default()
            .push(d);
    }
    let mut rows: Vec<(String, f64, f64, String)> = Vec::new();
    for (title, list) in by_title.iter().filter(|(_, l)| l.len() >= 2) {
        let sets: Vec<HashSet<String>> = list.iter().map(|d| shingles(d)).collect();
        for i in 0..list.len() {
            for j in 0..i {
                let (a, b) = (list[i], list[j]);
                let class = if a.kind == "textbook"
                    && b.kind == "textbook"
                    && a.date_key > 0
                    && b.date_key > 0
                    && a.date_key != b.date_key
                {
                    "editions (textbook, different dates)"
                } else if a.date_key == b.date_key {
                    "same title, same date"
                } else {
                    "same title, other kind or undated"
                };
                let row = (
                    class.to_owned(),
                    text_likeness(a, b),
                    jaccard(&sets[i], &sets[j]),
                    format!("{title} {} {} | {} {}", date(a), a.id, date(b), b.id),
                );
                rows.push(row);
            }
        }
    }
    let mut classes: BTreeMap<&str, Vec<&(String, f64, f64, String)>> = BTreeMap::new();
    for row in &rows {
        classes.entry(row.0.as_str()).or_default().push(row);
    }
    println!("\nsame-title pairs (estimate = MinHash, exact = Jaccard of 5-shingles):");
    for (class, list) in &classes {
        let over = list.iter().filter(|r| r.1 >= DUPLICATE_LIKENESS).count();
        let exact: Vec<f64> = list.iter().map(|r| r.2).collect();
        let err = list
            .iter()
            .map(|r| (r.1 - r.2).abs())
            .fold(0.0_f64, f64::max);
        println!(
            "  {class}: {} pairs, exact Jaccard {:.3}..{:.3}, {} of them estimated ≥ {DUPLICATE_LIKENESS}; largest estimate error {err:.3}",
            list.len(),
            exact.iter().copied().fold(f64::INFINITY, f64::min),
            exact.iter().copied().fold(0.0_f64, f64::max),
            over,
        );
        // The pairs nearest the threshold from either side.
        let mut near: Vec<&&(String, f64, f64, String)> = list.iter().collect();
        near.sort_by(|a, b| b.2.partial_cmp(&a.2).unwrap());
        for row in near.iter().take(if pairs { usize::MAX } else { 4 }) {
            println!("      estimate {:.3} exact {:.3}  {}", row.1, row.2, row.3);
        }
    }
}

/// Uncached search latency with and without grouping, and the cost of working out the
/// groups of a new searcher generation.
fn timing(library: Vec<SearchDoc>) {
    use jingshi::search::{Audience, SearchRequest};
    use std::time::Instant;
    let mut queries: Vec<String> = library
        .iter()
        .filter(|d| d.id.starts_with("law:"))
        .filter_map(|d| d.id.rsplit('/').next())
        .map(|name| {
            let name = name.trim_end_matches(".md");
            let name = name.split('(').next().unwrap_or(name);
            name.trim_start_matches("中华人民共和国").to_owned()
        })
        .filter(|q| q.chars().count() >= 2)
        .collect();
    queries.sort();
    queries.dedup();
    for q in [
        "八项规定",
        "挪用公款",
        "贿",
        "人民共和国",
        "监察法 留置",
        "中央八项规定精神 月饼",
        "刑事诉讼法 解释",
        "",
    ] {
        queries.push(q.to_owned());
    }
    let index = SearchIndex::open_in_ram().unwrap();
    index.rebuild(library.into_iter(), 1, &|_| {}).unwrap();
    index.set_result_cache_bytes(0);
    let started = Instant::now();
    let groups = index.collapsed_groups().unwrap();
    println!(
        "groups of a new generation: {} in {:.1} ms",
        groups.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    for group in [false, true, false, true] {
        let mut samples = Vec::new();
        for q in &queries {
            let request = SearchRequest {
                group,
                audience: Audience::librarian(),
                ..SearchRequest::query(q.as_str())
            };
            let started = Instant::now();
            index.search(&request).unwrap();
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let at = |p: f64| {
            samples[((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1]
        };
        println!(
            "{} queries, {}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            samples.len(),
            if group { "grouped  " } else { "ungrouped" },
            at(0.5),
            at(0.99),
            at(1.0)
        );
    }
}

fn main() -> std::io::Result<()> {
    let pairs = std::env::args().any(|a| a == "--pairs");
    let root = corpus::root();
    let library = corpus::load_library(&root)?;
    if std::env::args().any(|a| a == "--timing") {
        timing(library);
        return Ok(());
    }
    let civil: Vec<String> = library
        .iter()
        .filter(|d| d.title == "中华人民共和国民法典")
        .map(|d| format!("{} {}", date(d), d.id))
        .collect();
    println!("民法典 parts and their dates: {civil:#?}");
    report("laws + CCDI articles", library, pairs);
    let cmrc = corpus::load_cmrc(&root)?;
    let (copies, editions) = report("CMRC 2018 passages", cmrc.passages, false);
    println!("CMRC: {copies} copy groups, {editions} edition groups (must be 0 and 0)");
    Ok(())
}
