//! Reading the shared corpora into `SearchDoc`s, and the synthetic catalogue.

use std::path::{Path, PathBuf};

use jingshi::search::{CueDoc, SearchDoc};

/// The shared corpus folder: `$JINGSHI_CORPUS` or `../shared/corpus` from the crate root.
pub fn root() -> PathBuf {
    std::env::var_os("JINGSHI_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            markdown_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "md")
            && path
                .file_name()
                .is_some_and(|n| n != "_index.md" && n != "README.md")
        {
            out.push(path);
        }
    }
    Ok(())
}

/// `(YYYY, MM, DD)` from the first `YYYY-MM-DD` or `YYYY年M月D日` in `s`.
fn date_in(s: &str) -> Option<(i32, i64, i64)> {
    let chars: Vec<char> = s.chars().collect();
    for i in 0..chars.len() {
        if chars.len() - i < 8 || !chars[i..i + 4].iter().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if i > 0 && chars[i - 1].is_ascii_digit() {
            continue;
        }
        let year: String = chars[i..i + 4].iter().collect();
        let rest: String = chars[i + 4..].iter().take(8).collect();
        let nums: Vec<i64> = rest
            .split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .take(2)
            .filter_map(|p| p.parse().ok())
            .collect();
        let year: i32 = year.parse().ok()?;
        if !(1949..=2030).contains(&year) {
            continue;
        }
        return Some((
            year,
            nums.first().copied().unwrap_or(0),
            nums.get(1).copied().unwrap_or(0),
        ));
    }
    None
}

fn with_date(doc: &mut SearchDoc, date: Option<(i32, i64, i64)>) {
    if let Some((y, m, d)) = date {
        doc.year = Some(y);
        doc.date_key = i64::from(y) * 10_000 + m.clamp(0, 12) * 100 + d.clamp(0, 31);
    }
}

fn base(id: String, kind: &str, title: String, body: String) -> SearchDoc {
    SearchDoc {
        machine_read: false,
        id,
        kind: kind.into(),
        title,
        body,
        access: "open".into(),
        status: "published".into(),
        // Shared with everyone, so a borrower's search (the default audience) finds it.
        scope: vec!["all".into()],
        ..Default::default()
    }
}

/// Laws (one document per Markdown file) and CCDI articles.
pub fn load_library(root: &Path) -> std::io::Result<Vec<SearchDoc>> {
    let mut files = Vec::new();
    markdown_files(&root.join("laws"), &mut files)?;
    files.sort();
    let mut docs = Vec::with_capacity(files.len() + 100);
    for path in files {
        let text = std::fs::read_to_string(&path)?;
        let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
        let title = first.trim_start_matches('#').trim().to_owned();
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        let sector = rel.split('/').nth(1).unwrap_or("").to_owned();
        let body = rest.replacen("<!-- INFO END -->", "", 1);
        let mut doc = base(format!("law:{rel}"), "textbook", title, body);
        doc.sectors = vec![sector];
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let head: String = rest.chars().take(200).collect();
        with_date(&mut doc, date_in(&name).or_else(|| date_in(&head)));
        docs.push(doc);
    }
    let articles = std::fs::read_to_string(root.join("ccdi/articles.jsonl"))?;
    for line in articles.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let s = |k: &str| v[k].as_str().unwrap_or("").to_owned();
        let mut doc = base(format!("ccdi:{}", s("id")), "case", s("title"), s("body"));
        doc.sectors = vec!["中央纪委国家监委网站".into()];
        with_date(&mut doc, date_in(&s("published")));
        docs.push(doc);
    }
    Ok(docs)
}

/// CMRC 2018 passages, questions and the passage each question was written on.
pub struct Cmrc {
    pub passages: Vec<SearchDoc>,
    pub questions: Vec<(String, String)>,
    pub answer: std::collections::HashMap<String, String>,
}

pub fn load_cmrc(root: &Path) -> std::io::Result<Cmrc> {
    let dir = root.join("cmrc2018");
    let mut passages = Vec::new();
    for line in std::fs::read_to_string(dir.join("passages.jsonl"))?.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let s = |k: &str| v[k].as_str().unwrap_or("").to_owned();
        passages.push(base(s("id"), "case", s("title"), s("text")));
    }
    let questions = std::fs::read_to_string(dir.join("queries.tsv"))?
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(q, t)| (q.to_owned(), t.to_owned()))
        .collect();
    let answer = std::fs::read_to_string(dir.join("qrels.tsv"))?
        .lines()
        .filter_map(|l| {
            let parts: Vec<&str> = l.split('\t').collect();
            (parts.len() >= 3).then(|| (parts[0].to_owned(), parts[2].to_owned()))
        })
        .collect();
    Ok(Cmrc {
        passages,
        questions,
        answer,
    })
}

/// A small deterministic generator (xorshift64*), so runs are comparable.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Paragraphs (lines of 20+ characters) of the laws and articles, to recombine.
pub fn paragraphs(library: &[SearchDoc]) -> Vec<String> {
    library
        .iter()
        .flat_map(|d| d.body.lines())
        .map(str::trim)
        .filter(|l| l.chars().count() >= 20 && !l.starts_with("<!--"))
        .map(str::to_owned)
        .collect()
}

const KINDS: [&str; 4] = ["video", "case", "confession", "textbook"];
const SECTORS: [&str; 6] = [
    "政府机关",
    "国有企业",
    "金融",
    "教育",
    "医疗卫生",
    "基层组织",
];
const VIOLATIONS: [&str; 6] = [
    "受贿",
    "贪污",
    "挪用公款",
    "违反八项规定",
    "滥用职权",
    "玩忽职守",
];

/// The `i`th synthetic resource: recombined paragraphs, clearly marked as synthetic.
pub fn synthetic_doc(i: usize, paras: &[String], rng: &mut Rng) -> SearchDoc {
    let pick = |rng: &mut Rng| paras[rng.below(paras.len())].as_str();
    let head: String = pick(rng).chars().take(18).collect();
    let kind = KINDS[i % KINDS.len()];
    let n = 3 + rng.below(8);
    let body: Vec<&str> = (0..n).map(|_| pick(rng)).collect();
    let mut doc = base(
        format!("syn:{i}"),
        kind,
        format!("【合成样本{i}】{head}"),
        body.join("\n"),
    );
    doc.summary = pick(rng).chars().take(100).collect();
    doc.tags = vec!["合成样本".into()];
    doc.sectors = vec![SECTORS[rng.below(SECTORS.len())].into()];
    doc.violations = vec![VIOLATIONS[rng.below(VIOLATIONS.len())].into()];
    let year = 2015 + rng.below(10) as i32;
    doc.year = Some(year);
    doc.date_key = i64::from(year) * 10_000 + 101 + rng.below(11) as i64 * 100;
    doc.access = if rng.below(3) == 0 { "loan" } else { "open" }.into();
    doc.borrow_count = rng.below(50) as u64;
    if kind == "video" {
        doc.cues = (0..20)
            .map(|k| CueDoc {
                file_id: format!("syn:{i}:v"),
                start_ms: k * 7_000,
                text: pick(rng).chars().take(30).collect(),
            })
            .collect();
    }
    doc
}
