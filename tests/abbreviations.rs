//! The shipped abbreviation dictionary checked against real text, and query-time
//! expansion on the real corpus: every expansion occurs in the corpus (laws and the
//! commission's articles) or the demo catalogue; no abbreviation is a substring trap;
//! expanded searches find what the abbreviation means.

use std::collections::HashMap;
use std::path::Path;

use aho_corasick::AhoCorasick;
use jingshi::search::{Synonyms, normalize};

use crate::relevance::{corpus_docs, corpus_search};

const SHIPPED: &str = include_str!("../src/search/dict/abbreviations.txt");

/// Abbreviations the segmenter finds cut inside a longer word, each read by a person
/// and found to mean the same thing there: the longer word is a name that holds the
/// abbreviation (中央纪委 → 纪委, 荆州市政府 → 市政府, 中国证监会 → 证监会, 国家科委 →
/// 科委, 交警大队 → 交警, 公车私用 → 公车, 土地出让金 → 土地出让).
const SAME_MEANING_INSIDE: &[&str] = &[
    "交警",
    "全国人大",
    "公检法",
    "公车",
    "县政府",
    "市政府",
    "省政府",
    "土地出让",
    "教委",
    "科委",
    "最高检",
    "纪委",
    "证监会",
];

/// Real traps kept on purpose (国企 in 外国企业, 央行 in 中央行政, 八项规定 in
/// 第八项规定): officers type them all the time, and the expansion ranks the meant
/// documents first, which [`kept_traps_rank_their_meaning_first`] checks.
const KEPT_TRAPS: &[&str] = &["国企", "央行", "八项规定"];

/// The normalised texts of the corpus (title and body of each document) and of the
/// demo catalogue (its manifest and the files that are UTF-8 text).
fn texts() -> Vec<String> {
    let mut out: Vec<String> = corpus_docs()
        .into_iter()
        .map(|d| normalize(&format!("{}\n{}", d.title, d.body)))
        .collect();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("content/demo");
    let mut files = vec![demo.join("manifest.json")];
    for entry in std::fs::read_dir(demo.join("files")).expect("content/demo/files") {
        files.push(entry.expect("entry").path());
    }
    for file in files {
        if let Ok(text) = std::fs::read_to_string(&file) {
            out.push(normalize(&text));
        }
    }
    out
}

fn shipped() -> Vec<(String, Vec<String>)> {
    let synonyms = Synonyms::parse(SHIPPED).expect("the shipped file parses");
    synonyms
        .entries()
        .map(|(a, e)| (a.to_owned(), e.to_vec()))
        .collect()
}

/// Byte offsets of every occurrence of every pattern, overlapping, by pattern.
fn occurrences(texts: &[String], patterns: &[String]) -> HashMap<String, Vec<(usize, usize)>> {
    let automaton = AhoCorasick::new(patterns).expect("automaton");
    let mut found: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    for (t, text) in texts.iter().enumerate() {
        for m in automaton.find_overlapping_iter(text.as_str()) {
            found
                .entry(patterns[m.pattern().as_usize()].clone())
                .or_default()
                .push((t, m.start()));
        }
    }
    found
}

#[test]
fn the_shipped_dictionary_is_large_and_every_expansion_occurs_in_real_text() {
    let entries = shipped();
    let lines = SHIPPED
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count();
    assert!(lines >= 170, "{lines} entries");
    assert_eq!(lines, entries.len(), "one abbreviation a line");
    let texts = texts();
    let expansions: Vec<String> = entries.iter().flat_map(|(_, e)| e.clone()).collect();
    let found = occurrences(&texts, &expansions);
    let missing: Vec<String> = entries
        .iter()
        .flat_map(|(a, e)| e.iter().map(move |x| (a, x)))
        .filter(|(_, x)| !found.contains_key(*x))
        .map(|(a, x)| format!("{a} → {x}"))
        .collect();
    assert!(
        missing.is_empty(),
        "not in the corpus nor the demo: {missing:?}"
    );
}

/// An abbreviation is a trap when most places the corpus holds it are not the
/// abbreviation at all but a piece of two other words (行诉 in 进行诉讼, 政协 in
/// 行政协议): a search for it still finds those, expansion or not. Judged with the
/// jieba segmenter on a window around each occurrence: the occurrence must start and
/// end at word boundaries. Occurrences inside one of the entry's own expansions (央企 in
/// 中央企业) are what the abbreviation means and do not count.
#[test]
fn no_abbreviation_is_a_substring_trap() {
    const WINDOW: usize = 6;
    const MAX_SAMPLES: usize = 300;
    let entries = shipped();
    let texts = texts();
    let abbreviations: Vec<String> = entries.iter().map(|(a, _)| a.clone()).collect();
    let found = occurrences(&texts, &abbreviations);
    let jieba = jieba_rs::Jieba::new();
    let mut traps = Vec::new();
    for (abbreviation, expansions) in &entries {
        let Some(places) = found.get(abbreviation) else {
            continue;
        };
        let (mut counted, mut cut) = (0usize, Vec::new());
        for &(t, at) in places.iter().take(MAX_SAMPLES) {
            let text = &texts[t];
            let end = at + abbreviation.len();
            let inside_expansion = expansions.iter().any(|x| {
                x.match_indices(abbreviation.as_str())
                    .any(|(k, _)| at >= k && text.get(at - k..at - k + x.len()) == Some(x.as_str()))
            });
            if inside_expansion {
                continue;
            }
            let from = text[..at]
                .char_indices()
                .rev()
                .take(WINDOW)
                .last()
                .map_or(at, |(i, _)| i);
            let to = text[end..]
                .char_indices()
                .nth(WINDOW)
                .map_or(text.len(), |(i, _)| end + i);
            let mut boundaries = vec![from];
            let mut pos = from;
            for word in jieba.cut(&text[from..to], false) {
                pos += word.word.len();
                boundaries.push(pos);
            }
            counted += 1;
            if !(boundaries.contains(&at) && boundaries.contains(&end)) {
                cut.push(text[from..to].to_owned());
            }
        }
        let reviewed = SAME_MEANING_INSIDE.contains(&abbreviation.as_str())
            || KEPT_TRAPS.contains(&abbreviation.as_str());
        if cut.len() * 3 > counted && !reviewed {
            traps.push(format!(
                "{abbreviation}: {} of {counted}, e.g. {:?}",
                cut.len(),
                &cut[..cut.len().min(3)]
            ));
        }
    }
    assert!(traps.is_empty(), "substring traps:\n{}", traps.join("\n"));
}

/// The traps kept on purpose: searching them, each of the first five hits holds one of
/// the expansions, so 外国企业 or 中央行政 does not push the meant documents down.
#[test]
fn kept_traps_rank_their_meaning_first() {
    let entries: HashMap<String, Vec<String>> = shipped().into_iter().collect();
    for trap in KEPT_TRAPS {
        let expansions = &entries[*trap];
        let results = corpus_search(trap, 5);
        assert_eq!(results.hits.len(), 5, "{trap}");
        for hit in &results.hits {
            let doc = corpus_docs_by_id(&hit.id);
            assert!(
                expansions.iter().any(|x| doc.contains(x.as_str())),
                "{trap}: {} holds none of {expansions:?}",
                hit.title
            );
        }
    }
}

fn corpus_docs_by_id(id: &str) -> String {
    use std::sync::OnceLock;
    static DOCS: OnceLock<HashMap<String, String>> = OnceLock::new();
    DOCS.get_or_init(|| {
        corpus_docs()
            .into_iter()
            .map(|d| (d.id, normalize(&format!("{}\n{}", d.title, d.body))))
            .collect()
    })
    .get(id)
    .cloned()
    .unwrap_or_default()
}
/// 刑诉法 finds the code of criminal procedure through its expansion, marks the
/// expansion in the title and says so; quoted, it means only the literal text; as an
/// exclusion, it excludes the expansion too.
#[test]
fn expansion_applies_to_plain_words_and_exclusions_but_not_to_quoted_ones() {
    let law = "law:laws/诉讼与非诉讼程序法/刑事诉讼法(2018-10-26).md";
    let plain = corpus_search("刑诉法", 5);
    assert_eq!(plain.hits[0].id, law);
    assert!(
        plain.hits[0].title_html.contains("<mark>刑事诉讼法</mark>"),
        "{}",
        plain.hits[0].title_html
    );
    assert_eq!(
        plain.expansion_notice.as_deref(),
        Some("已同时搜索：刑事诉讼法")
    );
    assert_eq!(plain.expansions.len(), 1);
    assert!(!plain.fallback);

    let quoted = corpus_search("\"刑诉法\"", 5);
    assert!(quoted.expansions.is_empty() && quoted.expansion_notice.is_none());
    assert!(
        !quoted.hits.iter().any(|h| h.id == law),
        "only the literal text"
    );

    let excluded = corpus_search("诉讼法 -刑诉法", 50);
    assert!(excluded.total > 0);
    assert!(
        excluded
            .hits
            .iter()
            .all(|h| !corpus_docs_by_id(&h.id).contains("刑事诉讼法")),
        "an excluded abbreviation excludes its expansion"
    );
    assert_eq!(
        excluded.expansion_notice.as_deref(),
        Some("已同时排除：刑事诉讼法")
    );
}

/// An expanded word weighs as one word: the best of its forms counts, not their sum,
/// so 两高 盗窃 ranks the two courts' theft interpretation above documents that merely
/// name both courts.
#[test]
fn an_expanded_word_scores_as_its_best_form() {
    let both = corpus_search("两高 盗窃", 3);
    assert!(
        both.hits[0].title.contains("盗窃"),
        "{}",
        both.hits[0].title
    );
    let expanded = corpus_search("刑诉法 解释", 3);
    let full = corpus_search("刑事诉讼法 解释", 3);
    let ids = |r: &jingshi::search::SearchResults| -> Vec<String> {
        r.hits.iter().map(|h| h.id.clone()).collect()
    };
    assert_eq!(
        ids(&expanded),
        ids(&full),
        "as if the full name had been typed"
    );
}
