//! The relevance suite: real searches over the real corpus (the laws and the discipline
//! commission's articles of `../shared/corpus`), each with the document an officer
//! expects and how high it must rank. Cases live in `tests/relevance/*.tsv`, one a line:
//! `query<TAB>expected id<TAB>best rank allowed`; ids are `law:laws/<path>` and
//! `ccdi:<article id>`, as the corpus loader names them. A hit counts for the copies and
//! older editions listed under it.
//!
//! The index is built once for the whole test binary (it takes a while in a debug
//! build) and searched as a librarian would, through `SearchIndex::search`.

use std::sync::OnceLock;

use jingshi::search::{Audience, Hit, SearchIndex, SearchRequest, SearchResults};

#[allow(dead_code)]
#[path = "../examples/search_bench/corpus.rs"]
mod corpus;

/// The corpus index, built on first use.
pub fn corpus_index() -> &'static SearchIndex {
    static INDEX: OnceLock<SearchIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let docs = corpus::load_library(&corpus::root()).expect("the shared corpus is readable");
        let index = SearchIndex::open_in_ram().expect("index");
        index
            .rebuild(docs.into_iter(), 1, &|_| {})
            .expect("indexed");
        index
    })
}

/// A librarian's search of the corpus, first page of `per_page` hits.
pub fn corpus_search(q: &str, per_page: usize) -> SearchResults {
    let req = SearchRequest {
        per_page,
        audience: Audience::librarian(),
        include_unpublished: true,
        ..SearchRequest::query(q)
    };
    corpus_index().search(&req).expect("search answers")
}

/// Whether `hit` is the document `id` or lists it as a copy or another edition: an
/// older edition is reached through its newest one's hit.
pub fn holds(hit: &Hit, id: &str) -> bool {
    hit.id == id
        || hit.duplicates.iter().any(|d| d.id == id)
        || hit
            .editions
            .iter()
            .any(|e| e.id == id || e.duplicates.iter().any(|d| d.id == id))
}

/// One case of a `.tsv` file.
struct Case {
    file: String,
    line: usize,
    query: String,
    expected: String,
    within: usize,
}

fn cases() -> Vec<Case> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/relevance");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/relevance")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("case file");
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let parts: Vec<&str> = line.split('\t').collect();
            assert_eq!(parts.len(), 3, "{file}:{}: query, id, rank", i + 1);
            out.push(Case {
                file: file.clone(),
                line: i + 1,
                query: parts[0].to_owned(),
                expected: parts[1].to_owned(),
                within: parts[2].parse().expect("a rank"),
            });
        }
    }
    out
}

/// Every case at once, so one run lists every regression, not just the first.
#[test]
fn every_case_ranks_its_document_high_enough() {
    let cases = cases();
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    // Per case file: cases, cases within their rank, sum of reciprocal ranks (top 10).
    let mut table: std::collections::BTreeMap<&str, (usize, usize, f64)> = Default::default();
    for case in &cases {
        let results = corpus_search(&case.query, case.within.max(10));
        let rank = results.hits.iter().position(|h| holds(h, &case.expected));
        let row = table.entry(case.file.as_str()).or_default();
        row.0 += 1;
        row.1 += usize::from(rank.is_some_and(|r| r < case.within));
        row.2 += rank
            .filter(|r| *r < 10)
            .map_or(0.0, |r| 1.0 / (r as f64 + 1.0));
        match rank {
            Some(rank) if rank < case.within => {}
            found => failures.push(format!(
                "{}:{} `{}`: {} expected within {}, found at {:?}; top: {:?}",
                case.file,
                case.line,
                case.query,
                case.expected,
                case.within,
                found.map(|r| r + 1),
                results
                    .hits
                    .iter()
                    .take(3)
                    .map(|h| h.title.as_str())
                    .collect::<Vec<_>>()
            )),
        }
    }
    // `cargo test --test integration relevance:: -- --nocapture` prints the table.
    println!("| case file | cases | within rank | MRR@10 |\n|---|---|---|---|");
    for (file, (n, ok, rr)) in &table {
        println!("| {file} | {n} | {ok} | {:.3} |", rr / *n as f64);
    }
    assert!(
        failures.is_empty(),
        "{} of {} relevance cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The corpus documents as indexed (titles and bodies), for tests that check text
/// against the corpus.
pub fn corpus_docs() -> Vec<jingshi::search::SearchDoc> {
    corpus::load_library(&corpus::root()).expect("the shared corpus is readable")
}
