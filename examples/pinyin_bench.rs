//! Completion benchmark: `cargo run --release --example pinyin_bench [-- --synthetic N]
//! [--rounds R]`. Prints figures; it is not a test.
//!
//! Over `../shared/corpus` (or `$JINGSHI_CORPUS`), then over the corpus plus `N`
//! synthetic resources (default 100 000): the time to build the pinyin tables (the first
//! completion after the index changed pays it), the time of the first completion after
//! one resource is added (only the new segment's table is built), and p50/p99/max of
//! `SearchIndex::suggest` over a fixed list of typed inputs (full pinyin, initials,
//! prefixes, Chinese), each run `R` times (default 20) as a borrower.

// Benchmarks and tools: a failed step ends the run with its message.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

#[path = "search_bench/corpus.rs"]
#[allow(dead_code)]
mod corpus;

use std::time::{Duration, Instant};

use anyhow::Context;
use jingshi::search::{Audience, SearchDoc, SearchIndex};

/// What people type: full pinyin, initials, prefixes while typing, spaced and mixed
/// case, and Chinese.
const INPUTS: &[&str] = &[
    "baxiangguiding",
    "bxgd",
    "baxiang",
    "ba xiang",
    "b",
    "ba",
    "bax",
    "shouhui",
    "sh",
    "shou",
    "jianchafa",
    "jcf",
    "jianc",
    "xingshisusongfa",
    "xssf",
    "xingzheng",
    "yinhang",
    "zhonghuarenmingongheguo",
    "zhrmghg",
    "zhonghuarenmingongheguojianchafa",
    "tanwu",
    "tw",
    "nuoyonggongkuan",
    "nygk",
    "lanyongzhiquan",
    "lyzq",
    "wanhuzhishou",
    "whzs",
    "gongkuanchihe",
    "gkch",
    "sifeng",
    "yibashou",
    "zhongjiwei",
    "zjw",
    "jiweijianwei",
    "guoqi",
    "yangqi",
    "lianzheng",
    "lz",
    "jingshijiaoyu",
    "jsjy",
    "Xing Zheng Chu Fen",
    "xingzhengchufenfa",
    "dangjichufen",
    "djcf",
    "z",
    "x",
    "tianjiayuebing",
    "tjyb",
    "qqqqqq",
    "八项",
    "八项规定",
    "受贿",
    "监察法",
    "中华人民共和国",
    "纪委",
    "刑事",
    "月饼",
];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let synthetic = arg("--synthetic", 100_000);
    let rounds = arg("--rounds", 20).max(1);
    let root = corpus::root();
    let mut library = corpus::load_library(&root).context("reading the corpus")?;
    for doc in &mut library {
        doc.scope = vec!["all".into()];
    }
    println!("{} typed inputs, {rounds} rounds each", INPUTS.len());

    println!("\n== corpus: {} documents ==", library.len());
    let dir = tempfile::tempdir()?;
    let index = SearchIndex::open(dir.path())?.index;
    index.rebuild(library.iter().cloned(), 1, &|_| {})?;
    index.wait_for_merges()?;
    measure(&index, rounds)?;
    drop(index);

    let paras = corpus::paragraphs(&library);
    println!(
        "\n== corpus + {synthetic} synthetic documents ({} paragraphs) ==",
        paras.len()
    );
    let dir = tempfile::tempdir()?;
    let index = SearchIndex::open(dir.path())?.index;
    let mut rng = corpus::Rng::new(42);
    let docs = library
        .into_iter()
        .chain((0..synthetic).map(move |i| -> SearchDoc {
            let mut doc = corpus::synthetic_doc(i, &paras, &mut rng);
            // A third shared with everyone, the rest with one unit each, not the bench's.
            doc.scope = vec![if i % 3 == 0 {
                "all".into()
            } else {
                format!("unit:u{}", i % 50)
            }];
            doc
        }));
    let started = Instant::now();
    index.rebuild(docs, 1, &|_| {})?;
    index.wait_for_merges()?;
    println!(
        "indexed in {:.1} s, {} segments",
        started.elapsed().as_secs_f64(),
        index.segment_count()
    );
    measure(&index, rounds)?;
    Ok(())
}

fn measure(index: &SearchIndex, rounds: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    let (keys, bytes) = index.warm_suggestions()?;
    println!(
        "table build: {:.0} ms ({keys} keys, {:.1} MB held, {} segments)",
        started.elapsed().as_secs_f64() * 1000.0,
        bytes as f64 / 1e6,
        index.segment_count()
    );

    let borrower = Audience::borrower(Some("bench"), None);
    for q in ["bxgd", "shouhui", "jcf", "xingzheng", "八项"] {
        let s = index.suggest(q, &borrower, 8)?;
        let shown: Vec<&str> = s.iter().map(|s| s.title.as_str()).take(4).collect();
        println!("  {q:<10} → {}", shown.join(" | "));
    }

    let mut times = Vec::with_capacity(INPUTS.len() * rounds);
    for _ in 0..rounds {
        for q in INPUTS {
            let t = Instant::now();
            let s = index.suggest(q, &borrower, 8)?;
            times.push(t.elapsed());
            std::hint::black_box(s);
        }
    }
    times.sort_unstable();
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    let slowest = slowest_inputs(index, &borrower)?;
    println!(
        "suggest: p50 {} p99 {} max {} over {} calls; slowest inputs: {slowest}",
        ms(at(0.5)),
        ms(at(0.99)),
        ms(at(1.0)),
        times.len()
    );

    // One resource added: a new small segment, whose table alone is built.
    let mut doc = SearchDoc {
        machine_read: false,
        id: "bench:new".into(),
        kind: "case".into(),
        title: "廉政教育新读本".into(),
        status: "published".into(),
        scope: vec!["all".into()],
        ..Default::default()
    };
    doc.body = "正文。".into();
    index.apply(vec![doc], &[], index.applied_seq() + 1)?;
    let t = Instant::now();
    let s = index.suggest("lzjyxdb", &borrower, 8)?;
    println!(
        "first completion after adding one resource: {} (found: {})",
        ms(t.elapsed()),
        s.iter().any(|s| s.id == "bench:new")
    );
    Ok(())
}

/// The three inputs with the longest single run.
fn slowest_inputs(index: &SearchIndex, audience: &Audience) -> anyhow::Result<String> {
    let mut each = Vec::new();
    for q in INPUTS {
        let t = Instant::now();
        index.suggest(q, audience, 8)?;
        each.push((t.elapsed(), *q));
    }
    each.sort_unstable_by_key(|e| std::cmp::Reverse(e.0));
    Ok(each
        .iter()
        .take(3)
        .map(|(t, q)| format!("{q:?} {}", ms(*t)))
        .collect::<Vec<_>>()
        .join(", "))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
