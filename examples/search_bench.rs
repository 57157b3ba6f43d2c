//! Search benchmark: `cargo run --release --example search_bench [-- --rounds N]`, or
//! `-- --loan-only` with every library document lent only (each hit then answered
//! locked: summary passage and a count of body matches), `-- --synthetic 100000` for the
//! synthetic catalogue, or `-- --availability 100000` for
//! the cost of "available now" on the library and a synthetic catalogue. Prints figures;
//! it is not a test.
//!
//! Over `../shared/corpus` (or `$JINGSHI_CORPUS`): index time for the laws + CCDI articles,
//! query latency of our engine and of an SQLite FTS5 + jieba baseline side by side in this
//! process, and CMRC 2018 retrieval quality (MRR@10, Recall@10, zero-hit rate) for both.

// Benchmarks and tools: a failed step ends the run with its message.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

#[path = "search_bench/availability.rs"]
mod availability;
#[path = "search_bench/corpus.rs"]
mod corpus;
#[path = "search_bench/fts.rs"]
mod fts;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use jingshi::search::{RESULT_CACHE_BYTES, SearchDoc, SearchIndex, SearchRequest};

/// The fixed query list: domain terms, single characters, substrings that are no jieba
/// word, bracketed document numbers, several words, natural questions.
const QUERIES: &[&str] = &[
    "八项规定",
    "挪用公款",
    "贿",
    "人民共和国",
    "受贿罪",
    "刑法修正案(十一)",
    "监察法 留置",
    "四风",
    "政务处分",
    "风腐同查",
    "违规收送礼品礼金",
    "滥用职权 玩忽职守",
    "中央八项规定精神 月饼",
    "国家工作人员 利用职务上的便利 收受财物",
    "贪污贿赂 数额较大",
    "党员领导干部 违规经商",
    "纪检监察机关 审查调查",
    "公职人员 饮酒 驾驶",
    "\"民共和\"",
    "挪用公款罪的立案标准是什么",
    "国有企业管理人员受到处分后多久不得晋升",
    "监察机关可以对哪些人员采取留置措施",
];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<usize>().ok())
    };
    let rounds = arg("--rounds").unwrap_or(30);
    let root = corpus::root();
    println!("corpus: {}", root.display());
    if let Some(n) = arg("--synthetic") {
        return synthetic(&root, n, rounds);
    }
    if let Some(n) = arg("--availability") {
        return availability::run(&root, n, rounds);
    }
    library(&root, rounds, args.iter().any(|a| a == "--loan-only"))?;
    cmrc(&root)?;
    println!("\npeak RSS (VmHWM): {}", peak_rss());
    Ok(())
}

/// Passes over the query list for the overall latency figures.
const PASSES: usize = 3;

fn library(root: &Path, rounds: usize, loan_only: bool) -> anyhow::Result<()> {
    let mut docs = corpus::load_library(root).context("reading the corpus")?;
    if loan_only {
        println!("every document lent only");
        for doc in &mut docs {
            doc.access = "loan".into();
        }
    }
    let chars: usize = docs
        .iter()
        .map(|d| d.body.chars().count() + d.title.chars().count())
        .sum();
    println!(
        "\n== laws + CCDI: {} documents, {:.1} M characters ==",
        docs.len(),
        chars as f64 / 1e6
    );

    let dir = tempfile::tempdir()?;
    let opened = SearchIndex::open(dir.path())?;
    let index = opened.index;
    // Every round after the first would come from the answer cache: time the search
    // itself, and the cache apart at the end.
    index.set_result_cache_bytes(0);
    let docs_copy = docs.clone();
    let cpu = cpu_seconds();
    let started = Instant::now();
    index.rebuild(docs_copy.into_iter(), 1, &|_| {})?;
    let ours_secs = started.elapsed().as_secs_f64();
    let ours_cpu = cpu_seconds() - cpu;
    // Merges run in the background after the commit; let them finish before timing queries.
    let started = Instant::now();
    index.wait_for_merges()?;
    println!(
        "ours : indexed in {:.2} s ({:.0} docs/s, {:.2} s of CPU), on disk; merges then took \
         {:.2} s; index size {}, {} segments",
        ours_secs,
        docs.len() as f64 / ours_secs,
        ours_cpu,
        started.elapsed().as_secs_f64(),
        human(dir_size(dir.path())),
        index.segment_count(),
    );
    let cpu = cpu_seconds();
    let started = Instant::now();
    let fts = fts::Fts::build(&docs)?;
    let fts_secs = started.elapsed().as_secs_f64();
    println!(
        "FTS5 : indexed in {:.2} s ({:.0} docs/s, {:.2} s of CPU), in memory, jieba \
         segmentation included",
        fts_secs,
        docs.len() as f64 / fts_secs,
        cpu_seconds() - cpu,
    );

    let title_of: HashMap<&str, &str> = docs
        .iter()
        .map(|d| (d.id.as_str(), d.title.as_str()))
        .collect();
    println!(
        "\n{:<40} {:>7} {:>5} {:>7} | {:>8} {:>8} | {:>8} {:>8}",
        "query (p50 ms per engine)", "ours", "", "FTS5", "page", "top-10", "page", "top-10"
    );
    let mut passes = vec![Samples::default(); PASSES];
    let mut base_page = Vec::new();
    for q in QUERIES {
        let request = SearchRequest {
            per_page: 10,
            ..SearchRequest::query(*q)
        };
        let r = index.search(&request)?;
        let fts_count = fts.count(&fts.expression(q, " "))?;
        let mut s = measure(&index, Some(&fts), q, rounds)?;
        // FTS5's snippet() re-reads whole documents and takes up to seconds on long laws:
        // a few rounds, apart from the rest so it does not disturb their timings.
        // These take milliseconds to seconds, far longer than a scheduler slice, so they
        // are timed plainly.
        let mut p = Vec::new();
        for round in 0..(rounds / 10).max(2) + 1 {
            let started = Instant::now();
            fts.page(q)?;
            if round >= 1 {
                p.push(started.elapsed());
            }
        }
        println!(
            "{:<40} {:>7} {:>5} {:>7} | {:>8.3} {:>8.3} | {:>8.3} {:>8.3}",
            q,
            r.total,
            if r.fallback { "(OR)" } else { "" },
            fts_count,
            ms(percentile(&mut s.page, 0.5)),
            ms(percentile(&mut s.ids, 0.5)),
            ms(percentile(&mut p, 0.5)),
            ms(percentile(&mut s.fts, 0.5)),
        );
        passes[0].extend(s);
        base_page.extend(p);
    }
    println!("(counts: matching documents; `(OR)`: no document has every word, ranked OR answer)");
    for pass in passes.iter_mut().skip(1) {
        for q in QUERIES {
            pass.extend(measure(&index, Some(&fts), q, rounds)?);
        }
    }
    println!(
        "\nall queries, {rounds} rounds each, {PASSES} passes (engines interleaved per query):"
    );
    best_of(
        "ours, page: search() = count + facets + 10 hits with snippets",
        passes.iter().map(|p| p.page.clone()).collect(),
    );
    best_of(
        "FTS5, page: count + 10 rows with highlight() + snippet()",
        vec![base_page],
    );
    best_of(
        "ours, top-10 ids + count",
        passes.iter().map(|p| p.ids.clone()).collect(),
    );
    best_of(
        "FTS5, top-10 rowids by bm25",
        passes.iter().map(|p| p.fts.clone()).collect(),
    );
    println!("{}", preemption_note());
    index.set_result_cache_bytes(RESULT_CACHE_BYTES);
    let mut cached = Vec::new();
    for q in QUERIES {
        cached.extend(measure(&index, None, q, rounds)?.page);
    }
    best_of(
        "ours, page answered from the answer cache (server default)",
        vec![cached],
    );
    index.set_result_cache_bytes(0);

    // Where each engine ranks the amendment for the query typed with ASCII brackets.
    let target = "中华人民共和国刑法修正案（十一）";
    let rank = |ids: &[String]| {
        ids.iter()
            .position(|id| title_of.get(id.as_str()) == Some(&target))
            .map_or("not in top 50".to_owned(), |p| format!("#{}", p + 1))
    };
    let q = "刑法修正案(十一)";
    println!(
        "\n{q}: {target} ranks ours {}, FTS5 {}",
        rank(&index.search_ids(q, 50)?.1),
        rank(&fts.search(q, 50)?),
    );
    Ok(())
}

fn cmrc(root: &Path) -> anyhow::Result<()> {
    let data = corpus::load_cmrc(root).context("reading cmrc2018")?;
    println!(
        "\n== CMRC 2018: {} passages, {} questions ==",
        data.passages.len(),
        data.questions.len()
    );
    let started = Instant::now();
    let index = SearchIndex::open_in_ram()?;
    index.rebuild(data.passages.clone().into_iter(), 1, &|_| {})?;
    println!("ours : indexed in {:.2} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    let fts = fts::Fts::build(&data.passages)?;
    println!("FTS5 : indexed in {:.2} s", started.elapsed().as_secs_f64());

    let mut ours = Metrics::default();
    let mut base = Metrics::default();
    for (qid, question) in &data.questions {
        let Some(answer) = data.answer.get(qid) else {
            continue;
        };
        // The first run gives the answer; the timed one runs warm, as the other timings.
        let (_, ids) = index.search_ids(question, 10)?;
        let took = timed(|| index.search_ids(question, 10))?;
        ours.add(&ids, answer, took);
        let ids = fts.top(&fts.expression(question, " OR "), 10)?;
        let took = timed(|| fts.top(&fts.expression(question, " OR "), 10))?;
        base.add(&ids, answer, took);
    }
    ours.print("ours (AND, then ranked OR)");
    base.print("FTS5 + jieba (OR of tokens, bm25)");
    Ok(())
}

#[derive(Default)]
struct Metrics {
    n: usize,
    rr: f64,
    recall: usize,
    zero: usize,
    times: Vec<Duration>,
}

impl Metrics {
    fn add(&mut self, ids: &[String], answer: &str, took: Duration) {
        self.n += 1;
        self.times.push(took);
        if ids.is_empty() {
            self.zero += 1;
        }
        if let Some(p) = ids.iter().take(10).position(|id| id == answer) {
            self.rr += 1.0 / (p + 1) as f64;
            self.recall += 1;
        }
    }

    fn print(&mut self, name: &str) {
        let n = self.n.max(1) as f64;
        println!(
            "{name:<36} MRR@10 {:.4}  Recall@10 {:.4}  zero-hit {} ({:.2}%)  p50 {:.3} ms  p99 {:.3} ms",
            self.rr / n,
            self.recall as f64 / n,
            self.zero,
            100.0 * self.zero as f64 / n,
            ms(percentile(&mut self.times, 0.5)),
            ms(percentile(&mut self.times, 0.99)),
        );
    }
}

fn synthetic(root: &Path, n: usize, rounds: usize) -> anyhow::Result<()> {
    let library = corpus::load_library(root).context("reading the corpus")?;
    let paras = corpus::paragraphs(&library);
    drop(library);
    anyhow::ensure!(!paras.is_empty(), "no paragraphs in the corpus");
    println!(
        "\n== synthetic catalogue: {n} documents recombined from {} paragraphs ==",
        paras.len()
    );
    let dir = tempfile::tempdir()?;
    let index = SearchIndex::open(dir.path())?.index;
    index.set_result_cache_bytes(0);
    let text_bytes = std::cell::Cell::new(0usize);
    let mut rng = corpus::Rng::new(42);
    let docs = (0..n).map(|i| {
        let d: SearchDoc = corpus::synthetic_doc(i, &paras, &mut rng);
        text_bytes.set(text_bytes.get() + d.body.len() + d.summary.len() + d.title.len());
        d
    });
    let cpu = cpu_seconds();
    let started = Instant::now();
    let last = std::cell::Cell::new(Instant::now());
    index.rebuild(docs, 1, &|done| {
        if last.get().elapsed() > Duration::from_secs(15) {
            last.set(Instant::now());
            eprintln!(
                "  … {done} documents, {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
    })?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "indexed {n} documents ({} of text, generation included) in {:.1} s ({:.0} docs/s, \
         {:.1} s of CPU); index size {}",
        human(text_bytes.get() as u64),
        secs,
        n as f64 / secs,
        cpu_seconds() - cpu,
        human(dir_size(dir.path()))
    );
    let segments = index.segment_count();
    let started = Instant::now();
    index.wait_for_merges()?;
    println!(
        "{segments} segments after the commit, {} after waiting {:.1} s for merges; index size {}",
        index.segment_count(),
        started.elapsed().as_secs_f64(),
        human(dir_size(dir.path()))
    );
    println!(
        "\n{:<40} {:>7} {:>5} | {:>8} {:>8}",
        "query (p50 ms)", "matches", "", "page", "top-10"
    );
    let mut all = Samples::default();
    for q in QUERIES {
        let request = SearchRequest {
            per_page: 10,
            ..SearchRequest::query(*q)
        };
        let r = index.search(&request)?;
        let mut s = measure(&index, None, q, rounds)?;
        println!(
            "{:<40} {:>7} {:>5} | {:>8.3} {:>8.3}",
            q,
            r.total,
            if r.fallback { "(OR)" } else { "" },
            ms(percentile(&mut s.page, 0.5)),
            ms(percentile(&mut s.ids, 0.5)),
        );
        all.extend(s);
    }
    let (mut full, mut lean) = (all.page, all.ids);
    report(
        "ours, page: search() = count + facets + 10 hits with snippets",
        &mut full,
    );
    report("ours, top-10 ids + count", &mut lean);
    println!("{}", preemption_note());
    println!("peak RSS (VmHWM): {}", peak_rss());
    Ok(())
}

/// Latency samples of one query (or one pass): our page, our top-10 ids, FTS5 top-10.
#[derive(Clone, Default)]
struct Samples {
    page: Vec<Duration>,
    ids: Vec<Duration>,
    fts: Vec<Duration>,
}

impl Samples {
    fn extend(&mut self, other: Samples) {
        self.page.extend(other.page);
        self.ids.extend(other.ids);
        self.fts.extend(other.fts);
    }
}

/// `rounds` timings of `q` per engine, engines interleaved, after two warm-up rounds.
fn measure(
    index: &SearchIndex,
    fts: Option<&fts::Fts>,
    q: &str,
    rounds: usize,
) -> anyhow::Result<Samples> {
    let request = SearchRequest {
        per_page: 10,
        ..SearchRequest::query(q)
    };
    let mut s = Samples::default();
    for round in 0..rounds + 2 {
        let page = timed(|| index.search(&request))?;
        let ids = timed(|| index.search_ids(q, 10))?;
        let base = match fts {
            Some(fts) => Some(timed(|| fts.search(q, 10))?),
            None => None,
        };
        if round >= 2 {
            s.page.push(page);
            s.ids.push(ids);
            s.fts.extend(base);
        }
    }
    Ok(s)
}

/// Timings repeated because the thread was preempted, and timings kept although it was.
static RETRIED: AtomicU64 = AtomicU64::new(0);
static KEPT_PREEMPTED: AtomicU64 = AtomicU64::new(0);

/// How long `f` took when it ran without another process taking the CPU: this 2-core
/// machine is shared, and a preemption adds a scheduler slice (~4 ms) that says nothing
/// about the engine, so a preempted run is repeated (up to 5 times, then kept). Every
/// engine is timed the same way, and no sample is dropped.
fn timed<T, E>(mut f: impl FnMut() -> Result<T, E>) -> anyhow::Result<Duration>
where
    anyhow::Error: From<E>,
{
    let mut tries = 0;
    loop {
        let before = preemptions();
        let started = Instant::now();
        let result = f();
        let took = started.elapsed();
        result?;
        if preemptions() == before {
            return Ok(took);
        }
        tries += 1;
        if tries == 5 {
            KEPT_PREEMPTED.fetch_add(1, Ordering::Relaxed);
            return Ok(took);
        }
        RETRIED.fetch_add(1, Ordering::Relaxed);
    }
}

/// What the preemption guard did, for the record.
fn preemption_note() -> String {
    format!(
        "({} timings repeated because another process preempted the benchmark thread, {} kept \
         after 5 tries)",
        RETRIED.load(Ordering::Relaxed),
        KEPT_PREEMPTED.load(Ordering::Relaxed)
    )
}

/// Involuntary context switches of this thread so far (0 where /proc is missing).
fn preemptions() -> u64 {
    std::fs::read_to_string("/proc/thread-self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("nonvoluntary_ctxt_switches:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The pass with the lowest p99, and every pass's p50/p99.
fn best_of(name: &str, passes: Vec<Vec<Duration>>) {
    let mut stats: Vec<(Duration, Duration)> = passes
        .into_iter()
        .map(|mut v| (percentile(&mut v, 0.5), percentile(&mut v, 0.99)))
        .collect();
    let all: Vec<String> = stats
        .iter()
        .map(|(p50, p99)| format!("{:.3}/{:.3}", ms(*p50), ms(*p99)))
        .collect();
    stats.sort_by_key(|s| s.1);
    let (p50, p99) = stats.first().copied().unwrap_or_default();
    println!(
        "{name:<60} p50 {:>7.3} ms  p99 {:>7.3} ms  (passes, p50/p99 ms: {})",
        ms(p50),
        ms(p99),
        all.join(", ")
    );
}

fn report(name: &str, samples: &mut [Duration]) {
    println!(
        "{name:<60} p50 {:>8.3} ms   p99 {:>8.3} ms   ({} samples)",
        ms(percentile(samples, 0.5)),
        ms(percentile(samples, 0.99)),
        samples.len()
    );
}

fn percentile(samples: &mut [Duration], q: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort_unstable();
    let i = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1;
    samples[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn human(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

/// CPU time (user + system) of the whole process so far, in seconds: with other processes
/// on the machine, wall time alone says little about the indexer.
fn cpu_seconds() -> f64 {
    // Fields 14 and 15 of /proc/self/stat, in clock ticks (100 a second on Linux); the
    // command name (field 2) may hold spaces, so count from the closing parenthesis.
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = &s[s.rfind(')')? + 2..];
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(0.0)
}

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}
