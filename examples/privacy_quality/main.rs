//! How well the privacy check (脱敏检查, SPEC §9) finds personal data, and how fast.
//!
//!     cargo run --release --example privacy_quality [CORPUS_FOLDER]
//!
//! 1. Recall and precision per kind on a generated set of case-bulletin sentences about
//!    fictional people (`bulletins.rs`, fixed seed), each carrying what should be found.
//! 2. Findings per 100,000 characters on the laws corpus (`CORPUS_FOLDER/laws`, default
//!    `../shared/corpus` beside the repository), which holds no private people's data:
//!    every finding there is counted as false, and the first ones are listed.
//! 3. Scanning speed on 1 MB of corpus text and on 1 MB of the generated set.

mod bulletins;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use jingshi::privacy::{Finding, FindingKind, scan};

/// Sentences in the generated set.
const SAMPLES: usize = 600;
/// Sentences of the numbers' set.
const NUMBER_SAMPLES: usize = 3000;
const MB: usize = 1024 * 1024;

#[derive(Default, Clone, Copy)]
struct Counts {
    truth: usize,
    found: usize,
    hit: usize,
}

impl Counts {
    fn recall(&self) -> f64 {
        ratio(self.hit, self.truth)
    }
    fn precision(&self) -> f64 {
        ratio(self.hit, self.found)
    }
    fn add(&mut self, o: Counts) {
        self.truth += o.truth;
        self.found += o.found;
        self.hit += o.hit;
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

fn main() {
    let corpus = std::env::args().nth(1).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
        PathBuf::from,
    );
    let started = Instant::now();
    scan("预热：加载分词词典。");
    println!(
        "词典加载（首次扫描）: {:.2} s\n",
        started.elapsed().as_secs_f64()
    );

    generated_set();
    let laws = read_laws(&corpus.join("laws"));
    if laws.is_empty() {
        eprintln!(
            "在 {} 下没有找到法律语料；请把语料文件夹作为参数传入",
            corpus.join("laws").display()
        );
        std::process::exit(2);
    }
    laws_corpus(&laws);
    speed(&laws);
}

/// What the scanner found in a set of samples, against what each holds.
#[derive(Default)]
struct Evaluation {
    per_kind: BTreeMap<FindingKind, Counts>,
    misses: Vec<String>,
    false_finds: Vec<String>,
}

fn evaluate(samples: &[bulletins::Sample]) -> Evaluation {
    let mut ev = Evaluation::default();
    for s in samples {
        let found = scan(&s.text);
        check_offsets(&s.text, &found);
        let mut open: Vec<(FindingKind, String)> = s.truth.clone();
        for f in &found {
            let c = ev.per_kind.entry(f.kind).or_default();
            c.found += 1;
            if let Some(at) = open.iter().position(|(k, t)| *k == f.kind && *t == f.text) {
                open.swap_remove(at);
                c.hit += 1;
            } else {
                ev.false_finds
                    .push(format!("[{}] {} ← {}", f.kind.as_str(), f.text, s.text));
            }
        }
        for (kind, _) in &s.truth {
            ev.per_kind.entry(*kind).or_default().truth += 1;
        }
        for (kind, text) in open {
            ev.misses.push(format!(
                "[{}] {text} ← {} (模板 {})",
                kind.as_str(),
                s.text,
                s.template
            ));
        }
    }
    ev
}

fn print_table(ev: &Evaluation) {
    println!("| 类别 | 应找到 | 找到 | 正确 | 召回率 | 精确率 | 目标 |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    let row = |name: &str, c: Counts, target: &str| {
        println!(
            "| {name} | {} | {} | {} | {:.1}% | {:.1}% | {target} |",
            c.truth,
            c.found,
            c.hit,
            c.recall() * 100.0,
            c.precision() * 100.0
        );
    };
    let mut phones = Counts::default();
    for kind in FindingKind::ALL {
        let c = ev.per_kind.get(&kind).copied().unwrap_or_default();
        if matches!(kind, FindingKind::Mobile | FindingKind::Landline) {
            phones.add(c);
        }
        let target = match kind {
            FindingKind::IdNumber | FindingKind::BankCard => "召回 100%，精确 ≥ 99%",
            FindingKind::PersonName => "召回 ≥ 90%，精确 ≥ 85%",
            _ => "",
        };
        row(&format!("{} {}", kind.label(), kind.as_str()), c, target);
    }
    row("电话合计（手机+固话）", phones, "召回 100%，精确 ≥ 99%");
    list("\n漏掉的（前 25 条）", &ev.misses, 25);
    list("\n误报的（前 25 条）", &ev.false_finds, 25);
}

fn generated_set() {
    let samples = bulletins::generate(SAMPLES);
    let with_data = samples.iter().filter(|s| !s.truth.is_empty()).count();
    println!(
        "## 1. 生成的测试集：{} 句典型案例通报式的句子（{} 句含个人信息，{} 句不含），种子 18\n",
        samples.len(),
        with_data,
        samples.len() - with_data
    );
    print_table(&evaluate(&samples));
    let numbers = bulletins::numbers(NUMBER_SAMPLES);
    println!(
        "\n## 1b. 号码：{} 句，各种写法的有效与无效号码（校验位错误、嵌在更长的数字串里），种子 1818\n",
        numbers.len()
    );
    print_table(&evaluate(&numbers));
}

fn list(title: &str, lines: &[String], limit: usize) {
    println!("{title}：共 {} 条", lines.len());
    for l in lines.iter().take(limit) {
        println!("  {l}");
    }
}

/// Offsets are characters of the scanned text, and `text` is what lies between them.
fn check_offsets(text: &str, found: &[Finding]) {
    let chars: Vec<char> = text.chars().collect();
    let mut last_end = 0;
    for f in found {
        let between: String = chars[f.start..f.end].iter().collect();
        assert_eq!(between, f.text, "offsets of {f:?} in {text}");
        assert!(
            f.start >= last_end,
            "overlapping or unsorted findings in {text}"
        );
        last_end = f.end;
    }
}

/// Every Markdown file under the laws folder, with its path.
fn read_laws(folder: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut todo = vec![folder.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("无法读取 {}", dir.display());
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                out.push((path, text));
            }
        }
    }
    out.sort();
    out
}

/// The folder of published court cases in the laws corpus: their parties and judges
/// are named.
const CASES_FOLDER: &str = "案例";

fn laws_corpus(laws: &[(PathBuf, String)]) {
    let mut chars = 0usize;
    let mut in_cases = 0usize;
    let mut per_kind: BTreeMap<FindingKind, usize> = BTreeMap::new();
    let mut shown = Vec::new();
    let mut total = 0;
    for (path, text) in laws {
        chars += text.chars().count();
        let text_chars: Vec<char> = text.chars().collect();
        let is_case = path.components().any(|c| c.as_os_str() == CASES_FOLDER);
        for f in scan(text) {
            total += 1;
            in_cases += usize::from(is_case);
            *per_kind.entry(f.kind).or_default() += 1;
            let from = f.start.saturating_sub(12);
            let to = (f.end + 12).min(text_chars.len());
            let context: String = text_chars[from..to].iter().collect();
            let file = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            shown.push(format!(
                "[{}] {} ← …{}… ({file})",
                f.kind.as_str(),
                f.text,
                context.replace('\n', " ")
            ));
        }
    }
    println!(
        "\n## 2. 法律语料（不含个人信息）：{} 个文件，{} 字\n",
        laws.len(),
        chars
    );
    println!(
        "发现 {total} 处，每 10 万字 {:.2} 处（目标 < 1）",
        total as f64 * 100_000.0 / chars.max(1) as f64
    );
    for (kind, n) in &per_kind {
        println!("  {}: {n}", kind.label());
    }
    println!(
        "  其中 {in_cases} 处在 {CASES_FOLDER}/ 下：已公开的裁判案例，写有当事人和审判人员的真实姓名\
         （多数是找对了的人名），仍都算作误报计入上面的比率"
    );
    list("\n发现的（前 20 条）", &shown, 20);
}

fn speed(laws: &[(PathBuf, String)]) {
    println!("\n## 3. 速度\n");
    let mut corpus_mb = String::with_capacity(MB + 64);
    for (_, text) in laws {
        for c in text.chars() {
            if corpus_mb.len() + c.len_utf8() > MB {
                break;
            }
            corpus_mb.push(c);
        }
        if corpus_mb.len() + 4 > MB {
            break;
        }
    }
    let mut generated = String::with_capacity(MB + 256);
    let samples = bulletins::generate(SAMPLES);
    'fill: loop {
        for s in &samples {
            if generated.len() + s.text.len() > MB {
                break 'fill;
            }
            generated.push_str(&s.text);
        }
    }
    for (name, text) in [("法律语料", corpus_mb), ("生成的测试集（重复）", generated)]
    {
        let cpu_before = thread_cpu_seconds();
        let started = Instant::now();
        let found = scan(&text);
        let secs = started.elapsed().as_secs_f64();
        let cpu = cpu_before.zip(thread_cpu_seconds()).map(|(a, b)| b - a);
        let mb = text.len() as f64 / MB as f64;
        let cpu = cpu.map_or_else(String::new, |c| {
            format!("（其中 CPU 时间 {:.3} s）", c / mb)
        });
        println!(
            "{name}: {:.2} MB（{} 字），{:.2} MB/s，每 MB {:.3} s{cpu}，发现 {} 处（目标每 MB < 1 s）",
            mb,
            text.chars().count(),
            mb / secs,
            secs / mb,
            found.len()
        );
    }
}

/// The CPU time this thread has used, from Linux's `/proc` (in clock ticks of 1/100 s):
/// on a busy machine the wall-clock time says more about the other processes.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // The fields after the command name in parentheses; utime and stime are the 14th
    // and 15th of the line.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}
