//! Pinyin completions over the real corpus: what an officer types without switching to a
//! Chinese input method, and the title or term the search box must offer for it, as a
//! borrower of a unit (every corpus document is shared with everyone).

use jingshi::search::{Audience, TERM_KIND};

use crate::relevance::corpus_index;

/// Typed pinyin, the completion expected among the first eight.
const CASES: &[(&str, &str)] = &[
    ("jcf", "监察法"),
    ("jianchafa", "监察法"),
    ("jiancha", "监察"),
    ("bxgd", "八项规定"),
    ("baxiangguiding", "八项规定"),
    ("baxiang", "八项规定"),
    ("xsssf", "刑事诉讼法"),
    ("xingshisusongfa", "刑事诉讼法"),
    ("zwcff", "政务处分法"),
    ("gongzhirenyuan", "公职人员政务处分法"),
    ("sf", "四风"),
    ("xzfy", "行政复议法"),
    // 行 read two ways.
    ("yinhang", "银行"),
    ("xingzheng", "行政"),
];

#[test]
fn typed_pinyin_offers_the_title_or_term_meant() {
    let index = corpus_index();
    let borrower = Audience::borrower(Some("yn-tax"), Some("税务"));
    let mut failures = Vec::new();
    for (typed, expected) in CASES {
        let got = index.suggest(typed, &borrower, 8).expect("suggest");
        let titles: Vec<&str> = got.iter().map(|s| s.title.as_str()).collect();
        if !titles.iter().any(|t| t.contains(expected)) {
            failures.push(format!("{typed}: {expected} not in {titles:?}"));
        }
        // A title completion names its resource; a word has no resource of its own.
        for s in &got {
            assert_eq!(s.id.is_empty(), s.kind == TERM_KIND, "{typed}: {s:?}");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
