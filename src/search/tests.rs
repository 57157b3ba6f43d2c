//! Tests over a real tantivy index (in RAM, or in a temporary directory for the life
//! cycle).
//!
//! Over 400 lines on purpose: the index's behaviour tests, sharing one set of fixtures.

use super::*;

fn doc(id: &str, kind: &str, title: &str, body: &str) -> SearchDoc {
    SearchDoc {
        machine_read: false,
        id: id.into(),
        kind: kind.into(),
        title: title.into(),
        body: body.into(),
        access: "open".into(),
        status: "published".into(),
        scope: vec!["all".into()],
        ..Default::default()
    }
}

fn index_of(docs: Vec<SearchDoc>) -> SearchIndex {
    let index = SearchIndex::open_in_ram().expect("index in RAM");
    index.apply(docs, &[], 1).expect("apply");
    index
}

fn search(index: &SearchIndex, q: &str) -> SearchResults {
    index
        .search(&SearchRequest::query(q))
        .unwrap_or_else(|e| panic!("search {q:?}: {e}"))
}

fn ids(r: &SearchResults) -> Vec<&str> {
    r.hits.iter().map(|h| h.id.as_str()).collect()
}

fn sample() -> SearchIndex {
    let mut a = doc(
        "a",
        "case",
        "某局长受贿案",
        "2023年，某局长利用职务上的便利收受他人财物，构成受贿罪。依据《中华人民共和国刑法》判处有期徒刑。",
    );
    a.sectors = vec!["政府机关".into()];
    a.violations = vec!["受贿".into()];
    a.year = Some(2023);
    a.date_key = 20230510;
    a.borrow_count = 3;
    let mut b = doc(
        "b",
        "textbook",
        "违反中央八项规定精神典型问题汇编",
        "中秋国庆期间违规收送月饼、礼品礼金，公款吃喝。中组发〔2023〕6号文件要求加强监督。",
    );
    b.sectors = vec!["国有企业".into(), "政府机关".into()];
    b.violations = vec!["违反八项规定".into()];
    b.year = Some(2021);
    b.date_key = 20210900;
    b.borrow_count = 10;
    b.access = "loan".into();
    let mut c = doc("c", "video", "警示教育片《贪欲之害》", "");
    c.summary = "一名国企负责人挪用公款的忏悔。".into();
    c.year = Some(2024);
    c.date_key = 20240101;
    c.violations = vec!["挪用公款".into()];
    c.cues = vec![
        CueDoc {
            file_id: "f1".into(),
            start_ms: 5_000,
            text: "我叫王某，曾任某国企总经理。".into(),
        },
        CueDoc {
            file_id: "f1".into(),
            start_ms: 65_500,
            text: "我挪用公款三百万元用于炒股。".into(),
        },
        CueDoc {
            file_id: "f1".into(),
            start_ms: 90_000,
            text: "悔不当初，挪用公款害了自己。".into(),
        },
    ];
    let mut d = doc(
        "d",
        "confession",
        "忏悔录：我的贪污之路",
        "我贪污公款，收受贿赂，教训深刻。",
    );
    d.status = "draft".into();
    d.year = Some(2022);
    d.date_key = 20220000;
    index_of(vec![a, b, c, d])
}

#[test]
fn every_verbatim_substring_is_found() {
    let index = sample();
    assert_eq!(ids(&search(&index, "人民共和国")), ["a"]);
    assert_eq!(ids(&search(&index, "贿")), ["a"]);
    assert_eq!(ids(&search(&index, "受贿")), ["a"]);
    let r = search(&index, "2023");
    let mut got = ids(&r);
    got.sort();
    assert_eq!(got, ["a", "b"]);
    assert!(
        r.hits
            .iter()
            .any(|h| h.snippet.contains("<mark>2023</mark>年"))
    );
    assert_eq!(ids(&search(&index, "局长利用职务")), ["a"]);
    assert_eq!(ids(&search(&index, "财物，构成受贿")), ["a"]);
    assert!(
        search(&index, "受贿罪行贿").fallback,
        "not verbatim anywhere"
    );
}

#[test]
fn normalisation_matches_width_brackets_and_traditional() {
    let index = sample();
    assert_eq!(ids(&search(&index, "中组发[2023]6号")), ["b"]);
    assert_eq!(ids(&search(&index, "中组发〔2023〕6号")), ["b"]);
    assert_eq!(ids(&search(&index, "中组发（２０２３）６号")), ["b"]);
    assert_eq!(ids(&search(&index, "禮品禮金")), ["b"]);
    let index = index_of(vec![
        doc("x", "case", "ＡＢＣ公司", "貪污案"),
        doc("y", "case", "其他", "无关"),
    ]);
    assert_eq!(ids(&search(&index, "abc")), ["x"]);
    assert_eq!(ids(&search(&index, "贪污")), ["x"]);
    let r = search(&index, "貪污");
    assert_eq!(ids(&r), ["x"]);
    assert!(
        r.hits[0].snippet.contains("<mark>貪污</mark>"),
        "{}",
        r.hits[0].snippet
    );
}

#[test]
fn phrases_and_exclusions() {
    let index = index_of(vec![
        doc("p", "case", "一", "违规收送月饼，礼品礼金"),
        doc("q", "case", "二", "月饼 礼品"),
        doc("r", "case", "三", "礼品很多，月饼也有"),
    ]);
    let r = search(&index, "月饼 礼品");
    assert_eq!(r.total, 3);
    let r = search(&index, "\"月饼 礼品\"");
    let mut got = ids(&r);
    got.sort();
    assert_eq!(got, ["p", "q"]);
    let r = search(&index, "月饼 -礼品礼金");
    let mut got = ids(&r);
    got.sort();
    assert_eq!(got, ["q", "r"]);
    let r = search(&index, "-\"月饼 礼品\"");
    assert_eq!(ids(&r), ["r"]);
}

#[test]
fn filters_and_facets() {
    let index = sample();
    // `b` has no free copy or licence on the request's day; `z` is no indexed resource.
    let busy = Unavailable::new(["b".to_owned(), "z".to_owned()]);
    let all = index
        .search(&SearchRequest {
            unavailable: busy.clone(),
            ..SearchRequest::query("")
        })
        .expect("empty query");
    assert_eq!(all.total, 3, "drafts are hidden");
    assert_eq!(ids(&all), ["c", "a", "b"], "newest first");
    assert_eq!(all.facets.kind.get("case"), Some(&1));
    assert_eq!(all.facets.kind.get("video"), Some(&1));
    assert_eq!(all.facets.sector.get("政府机关"), Some(&2));
    assert_eq!(all.facets.sector.get("国有企业"), Some(&1));
    assert_eq!(all.facets.violation.get("挪用公款"), Some(&1));
    assert_eq!(all.facets.year.get("2023"), Some(&1));
    assert_eq!(all.facets.access.get("loan"), Some(&1));
    assert_eq!(all.facets.available, 2);

    let req = |f: &dyn Fn(&mut SearchRequest)| {
        let mut r = SearchRequest {
            unavailable: busy.clone(),
            ..SearchRequest::query("")
        };
        f(&mut r);
        let res = index.search(&r).expect("search");
        let mut got: Vec<String> = res.hits.iter().map(|h| h.id.clone()).collect();
        got.sort();
        (got, res.facets)
    };
    assert_eq!(req(&|r| r.kind = Some("case".into())).0, ["a"]);
    let (got, facets) = req(&|r| r.sector = Some("政府机关".into()));
    assert_eq!(got, ["a", "b"]);
    assert_eq!(facets.kind.len(), 2);
    assert_eq!(facets.sector.get("国有企业"), Some(&1));
    assert_eq!(req(&|r| r.violation = Some("受贿".into())).0, ["a"]);
    assert_eq!(req(&|r| r.year_from = Some(2022)).0, ["a", "c"]);
    assert_eq!(req(&|r| r.year_to = Some(2023)).0, ["a", "b"]);
    let (got, _) = req(&|r| {
        r.year_from = Some(2021);
        r.year_to = Some(2021);
    });
    assert_eq!(got, ["b"]);
    assert_eq!(req(&|r| r.access = Some("loan".into())).0, ["b"]);
    assert_eq!(req(&|r| r.available = Some(false)).0, ["b"]);
    let (got, facets) = req(&|r| r.available = Some(true));
    assert_eq!(got, ["a", "c"]);
    assert_eq!(facets.available, 2);
    let (got, facets) = req(&|r| {
        r.available = Some(true);
        r.unavailable = Unavailable::default();
    });
    assert_eq!((got.len(), facets.available), (3, 3), "nothing booked");
    let (got, facets) = req(&|r| {
        r.available = Some(false);
        r.unavailable = Unavailable::default();
    });
    assert_eq!((got.len(), facets.available), (0, 0));
    assert_eq!(
        req(&|r| r.kind = Some(String::new())).0.len(),
        3,
        "empty = no filter"
    );

    let mut r = SearchRequest::query("");
    r.year_from = Some(2024);
    r.year_to = Some(2020);
    assert!(matches!(
        index.search(&r),
        Err(SearchError::Query(QueryError::YearRange { .. }))
    ));
}

#[test]
fn sorting_and_paging() {
    let index = sample();
    let mut r = SearchRequest::query("");
    r.sort = SortOrder::MostBorrowed;
    assert_eq!(ids(&index.search(&r).expect("sorted")), ["b", "a", "c"]);
    r.sort = SortOrder::Newest;
    r.per_page = 2;
    r.page = 2;
    let res = index.search(&r).expect("page 2");
    assert_eq!((res.total, ids(&res)), (3, vec!["b"]));
    r.per_page = 0;
    r.page = 0;
    let res = index.search(&r).expect("clamped");
    assert_eq!((res.per_page, res.page, res.hits.len()), (1, 1, 1));
    r.per_page = 1000;
    assert_eq!(index.search(&r).expect("clamped").per_page, MAX_PER_PAGE);
    r.page = usize::MAX;
    let res = index.search(&r).expect("deep page");
    assert_eq!((res.total, res.hits.len()), (3, 0));
}

#[test]
fn title_match_beats_a_passing_mention() {
    let long_body = format!(
        "{}另外提到挪用公款一次。{}",
        "本章介绍会议纪要和日常工作安排。".repeat(200),
        "其余内容与本案无关。".repeat(200)
    );
    let index = index_of(vec![
        doc("mention", "textbook", "年度工作汇编", &long_body),
        doc(
            "title",
            "case",
            "某出纳挪用公款案",
            "某出纳长期违规操作，造成损失。",
        ),
    ]);
    assert_eq!(ids(&search(&index, "挪用公款")), ["title", "mention"]);
    assert_eq!(ids(&search(&index, "挪用")), ["title", "mention"]);

    let index = index_of(vec![
        doc(
            "m1",
            "textbook",
            "刑法修正案（十）",
            "根据刑法修正案（十一）的规定……",
        ),
        doc(
            "m2",
            "textbook",
            "中华人民共和国刑法",
            "刑法修正案（十一）、刑法修正案（十二）",
        ),
        doc(
            "t",
            "textbook",
            "中华人民共和国刑法修正案（十一）",
            "为了惩治犯罪……",
        ),
    ]);
    assert_eq!(ids(&search(&index, "刑法修正案(十一)"))[0], "t");
}

#[test]
fn cue_hits_carry_start_times() {
    let index = sample();
    let r = search(&index, "挪用公款");
    let video = r.hits.iter().find(|h| h.id == "c").expect("video found");
    let cues: Vec<(f64, &str)> = video
        .cues
        .iter()
        .map(|c| (c.start, c.file_id.as_str()))
        .collect();
    assert_eq!(cues, [(65.5, "f1"), (90.0, "f1")]);
    assert_eq!(
        video.cues[0].text,
        "我<mark>挪用公款</mark>三百万元用于炒股。"
    );
    let r = search(&index, "总经理");
    assert_eq!(ids(&r), ["c"]);
    assert_eq!(r.hits[0].cues.len(), 1);
    assert_eq!(r.hits[0].cues[0].start, 5.0);
}

#[test]
fn malformed_queries_never_fail_the_server() {
    let index = sample();
    let long = "受贿".repeat(5_000);
    let queries = [
        "\"",
        "\"受贿",
        "受贿\"",
        "\"\"",
        "-",
        "--",
        "- 受贿",
        "-受贿",
        "title:受贿",
        "kind:video OR AND NOT ( ) [ ] { } * ? ~ ^ \\",
        "受贿\u{0}\u{7}\u{1b}[31m",
        "\u{200b}\u{feff}",
        "😀",
        "受贿😀",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        long.as_str(),
        "%s%n%x",
        "\u{10FFFF}",
        "ｔｉｔｌｅ：受贿",
        "\t\n\r",
    ];
    for q in queries {
        match index.search(&SearchRequest::query(q)) {
            Ok(r) => {
                for h in &r.hits {
                    assert!(!h.snippet.contains("<script"), "{q:?}: {}", h.snippet);
                    assert!(!h.title_html.contains("<script"), "{q:?}");
                }
            }
            Err(SearchError::Query(e)) => assert!(!e.to_string().is_empty()),
            Err(e) => panic!("{q:?} failed the server: {e}"),
        }
        assert!(
            index.suggest(q, &Audience::default(), 10).is_ok(),
            "suggest {q:?}"
        );
    }
    assert!(matches!(
        index.search(&SearchRequest::query(long.as_str())),
        Err(SearchError::Query(QueryError::TooLong { .. }))
    ));
    let r = search(&index, "title:受贿");
    assert!(r.fallback, "field syntax is text: no verbatim `title:受贿`");
    assert_eq!(ids(&search(&index, "受贿😀")), ["a"]);
    assert!("sort".parse::<SortOrder>().is_err());
}

#[test]
fn drafts_only_for_librarians() {
    let index = sample();
    assert!(search(&index, "忏悔录").hits.iter().all(|h| h.id != "d"));
    let mut r = SearchRequest::query("忏悔录");
    r.include_unpublished = true;
    let res = index.search(&r).expect("librarian search");
    assert_eq!(ids(&res), ["d"]);
    assert_eq!(res.hits[0].status, "draft");
    assert!(
        index
            .suggest("忏悔", &Audience::default(), 5)
            .expect("suggest")
            .is_empty()
    );
    assert_eq!(
        index
            .suggest("忏悔", &Audience::librarian(), 5)
            .expect("suggest")
            .len(),
        1
    );
}

#[test]
fn or_fallback_for_natural_questions() {
    let index = sample();
    let r = search(&index, "国企负责人为什么挪用公款炒股");
    assert!(r.fallback);
    assert!(r.notice.is_some());
    assert_eq!(ids(&r)[0], "c");
    assert!(
        r.hits[0].snippet.contains("挪用公款</mark>"),
        "{}",
        r.hits[0].snippet
    );
    let r = search(&index, "挪用公款");
    assert!(!r.fallback && r.notice.is_none());
    let r = search(&index, "鑫淼犇");
    assert!(!r.fallback);
    assert_eq!(r.total, 0);
}

#[test]
fn the_fallback_needs_meaningful_words_not_stopwords() {
    let index = sample();
    // "的" occurs in a, "我" in c's cues: before, both came back beside b.
    let r = search(&index, "我们今天的月饼的");
    assert!(r.fallback);
    assert_eq!(ids(&r), ["b"]);
    let r = search(&index, "我们 今天 的");
    assert_eq!(r.total, 0, "{:?}", ids(&r));
    assert!(!r.fallback && r.notice.is_none());
}

#[test]
fn snippets_and_titles_are_highlighted_and_escaped() {
    let index = index_of(vec![doc(
        "s",
        "case",
        "<违规>收受<礼金>",
        "某干部 & 家属<b>收受礼金</b>。",
    )]);
    let r = search(&index, "礼金");
    assert_eq!(
        r.hits[0].title_html,
        "&lt;违规&gt;收受&lt;<mark>礼金</mark>&gt;"
    );
    assert_eq!(
        r.hits[0].snippet,
        "某干部 &amp; 家属&lt;b&gt;收受<mark>礼金</mark>&lt;/b&gt;。"
    );
}

#[test]
fn json_field_names_follow_the_contract() {
    let index = sample();
    let r = search(&index, "挪用公款");
    let v = serde_json::to_value(&r).expect("json");
    for key in ["total", "hits", "facets", "took_ms"] {
        assert!(v.get(key).is_some(), "{key}");
    }
    for key in ["kind", "sector", "violation", "year"] {
        assert!(v["facets"].get(key).is_some(), "facets.{key}");
    }
    let hit = &v["hits"][0];
    for key in [
        "id", "kind", "title", "snippet", "year", "sectors", "access", "cues",
    ] {
        assert!(hit.get(key).is_some(), "hit.{key}");
    }
    let video = v["hits"]
        .as_array()
        .and_then(|h| h.iter().find(|h| h["id"] == "c"))
        .expect("video hit");
    assert!(video["cues"][0].get("start").is_some() && video["cues"][0].get("text").is_some());
}

#[test]
fn suggest_completes_titles() {
    let index = index_of(vec![
        doc("1", "case", "某局长受贿案", ""),
        doc("2", "textbook", "受贿罪司法解释汇编", ""),
        doc("3", "video", "警示教育片", ""),
    ]);
    let s = index
        .suggest("受贿", &Audience::default(), 10)
        .expect("suggest");
    let got: Vec<&str> = s.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(got, ["2", "1"], "titles starting with the prefix first");
    assert_eq!(s[0].kind, "textbook");
    assert!(
        index
            .suggest("", &Audience::default(), 10)
            .expect("empty")
            .is_empty()
    );
}

#[test]
fn apply_updates_deletes_and_is_idempotent() {
    let index = SearchIndex::open_in_ram().expect("index");
    assert_eq!((index.applied_seq(), index.doc_count()), (0, 0));
    let a = doc("a", "case", "旧标题", "旧内容");
    index.apply(vec![a.clone()], &[], 1).expect("apply 1");
    assert_eq!(ids(&search(&index, "旧内容")), ["a"]);
    let mut a2 = a.clone();
    a2.body = "新内容".into();
    index.apply(vec![a2.clone()], &[], 2).expect("apply 2");
    index.apply(vec![a2], &[], 2).expect("apply 2 again");
    assert_eq!(index.doc_count(), 1);
    let gone = search(&index, "旧内容");
    assert!(gone.fallback, "only a partial match is left");
    assert_eq!(ids(&search(&index, "新内容")), ["a"]);
    index.apply(vec![], &["a".to_owned()], 3).expect("delete");
    assert_eq!((index.applied_seq(), index.doc_count()), (3, 0));
    index
        .rebuild(
            vec![doc("x", "case", "甲", ""), doc("y", "case", "乙", "")].into_iter(),
            9,
            &|_| {},
        )
        .expect("rebuild");
    assert_eq!((index.applied_seq(), index.doc_count()), (9, 2));
}

#[test]
fn reopening_keeps_the_applied_sequence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opened = SearchIndex::open(dir.path()).expect("open");
    assert!(opened.needs_rebuild, "a new index must be filled");
    let progress = std::sync::atomic::AtomicU64::new(0);
    opened
        .index
        .rebuild(
            vec![doc("a", "case", "受贿案", "")].into_iter(),
            41,
            &|n| progress.store(n, std::sync::atomic::Ordering::SeqCst),
        )
        .expect("rebuild");
    assert_eq!(progress.load(std::sync::atomic::Ordering::SeqCst), 1);
    opened
        .index
        .apply(vec![doc("b", "case", "贪污案", "")], &[], 42)
        .expect("apply");
    drop(opened);

    let reopened = SearchIndex::open(dir.path()).expect("reopen");
    assert!(!reopened.needs_rebuild);
    assert_eq!(reopened.index.applied_seq(), 42);
    assert_eq!(reopened.index.doc_count(), 2);
    assert_eq!(ids(&search(&reopened.index, "贪污")), ["b"]);
}

#[test]
fn another_schema_version_or_corruption_means_rebuild() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = SearchIndex::open_versioned(dir.path(), "0-old".into()).expect("open old");
    old.index
        .apply(vec![doc("a", "case", "受贿案", "")], &[], 7)
        .expect("apply");
    drop(old);
    let opened = SearchIndex::open(dir.path()).expect("open");
    assert!(opened.needs_rebuild);
    assert_eq!(
        (opened.index.applied_seq(), opened.index.doc_count()),
        (0, 0)
    );
    opened
        .index
        .apply(vec![doc("a", "case", "受贿案", "")], &[], 8)
        .expect("apply");
    drop(opened);

    std::fs::write(dir.path().join("meta.json"), "{ not json").expect("corrupt");
    std::fs::write(dir.path().join("keep.txt"), "not ours").expect("other file");
    let opened = SearchIndex::open(dir.path()).expect("open corrupt");
    assert!(opened.needs_rebuild);
    assert_eq!(opened.index.doc_count(), 0);
    assert!(
        dir.path().join("keep.txt").exists(),
        "only index files are wiped"
    );
}

#[test]
fn a_second_writer_is_refused_not_corrupting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = SearchIndex::open(dir.path()).expect("open");
    first.index.apply(vec![], &[], 1).expect("first writer");
    let second = SearchIndex::open(dir.path()).expect("open twice for reading");
    assert!(matches!(
        second.index.apply(vec![], &[], 2),
        Err(SearchError::Locked)
    ));
    assert_eq!(second.index.applied_seq(), 1);
}

/// `body` without the quotation marks that stand between two letters of `alphabet`.
fn without_joining_marks(body: &str, alphabet: &[char]) -> String {
    let chars: Vec<char> = body.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let joins = c == '”'
            && out
                .chars()
                .next_back()
                .is_some_and(|p| alphabet.contains(&p))
            && chars[i + 1..]
                .iter()
                .find(|&&n| n != '”')
                .is_some_and(|n| alphabet.contains(n));
        if !joins {
            out.push(c);
        }
    }
    out
}

#[test]
fn and_and_exclusion_agree_with_a_substring_scan() {
    // Few distinct characters, so phrase terms co-occur in many documents without the
    // phrase: the case that drives tantivy's phrase scorers through their seek paths.
    let alphabet: Vec<char> = "甲乙丙丁戊".chars().collect();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    // Commas break words; quotation marks between two characters do not.
    let bodies: Vec<String> = (0..400)
        .map(|_| {
            (0..40)
                .map(|_| match next(12) {
                    0 => '，',
                    1 => '”',
                    _ => alphabet[next(alphabet.len())],
                })
                .collect()
        })
        .collect();
    let joined: Vec<String> = bodies
        .iter()
        .map(|b| without_joining_marks(b, &alphabet))
        .collect();
    let docs = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| doc(&format!("d{i}"), "case", &format!("文档{i}"), b))
        .collect();
    let index = index_of(docs);
    for _ in 0..150 {
        let mut words: Vec<(bool, String)> = Vec::new();
        for k in 0..1 + next(3) {
            let len = 1 + next(4);
            let word: String = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            words.push((k > 0 && next(3) == 0, word));
        }
        let q: Vec<String> = words
            .iter()
            .map(|(neg, w)| if *neg { format!("-{w}") } else { w.clone() })
            .collect();
        let q = q.join(" ");
        let mut expected: Vec<String> = joined
            .iter()
            .enumerate()
            .filter(|(_, b)| words.iter().all(|(neg, w)| b.contains(w.as_str()) != *neg))
            .map(|(i, _)| format!("d{i}"))
            .collect();
        expected.sort();
        let mut request = SearchRequest::query(q.as_str());
        request.per_page = MAX_PER_PAGE;
        let mut got = Vec::new();
        let mut page = 1;
        loop {
            request.page = page;
            let r = index.search(&request).expect("search");
            if expected.is_empty() {
                assert!(r.total == 0 || r.fallback, "{q}: {:?}", ids(&r));
                break;
            }
            assert!(!r.fallback, "{q}");
            assert_eq!(r.total as usize, expected.len(), "{q}");
            got.extend(r.hits.iter().map(|h| h.id.clone()));
            if got.len() >= expected.len() || r.hits.is_empty() {
                break;
            }
            page += 1;
        }
        if !expected.is_empty() {
            got.sort();
            assert_eq!(got, expected, "{q}");
        }
    }
}

#[test]
fn a_cached_answer_never_outlives_the_change_that_makes_it_stale() {
    let index = index_of(vec![doc(
        "x",
        "case",
        "某处长挪用公款案",
        "挪用公款用于个人消费。",
    )]);
    let first = search(&index, "挪用公款");
    assert_eq!(ids(&first), ["x"]);
    let again = search(&index, "挪用公款");
    assert_eq!(
        SearchResults {
            took_ms: 0.0,
            ..again
        },
        SearchResults {
            took_ms: 0.0,
            ..first
        }
    );
    index
        .apply(
            vec![doc("x", "case", "某科长挪用公款案", "挪用公款炒股。")],
            &[],
            2,
        )
        .expect("apply");
    let after = search(&index, "挪用公款");
    assert_eq!(after.hits[0].title, "某科长挪用公款案");
    assert!(
        after.hits[0].snippet.contains("炒股"),
        "{}",
        after.hits[0].snippet
    );
    index.apply(vec![], &["x".to_owned()], 3).expect("apply");
    assert_eq!(search(&index, "挪用公款").total, 0);
}

#[test]
fn a_rebuild_whose_source_fails_leaves_the_index_as_it_was() {
    let index = SearchIndex::open_in_ram().expect("index");
    index
        .rebuild(
            vec![doc("old", "case", "原有案例", "")].into_iter(),
            5,
            &|_| {},
        )
        .expect("rebuild");
    let source = vec![
        Ok(doc("new", "case", "新案例", "")),
        Err("the database went away"),
        Ok(doc("newer", "case", "更新的案例", "")),
    ];
    let failed = index.try_rebuild(source.into_iter(), 9, &|_| {});
    assert!(
        matches!(failed, Err(RebuildError::Source("the database went away"))),
        "{failed:?}"
    );
    assert_eq!((index.applied_seq(), index.doc_count()), (5, 1));
    assert_eq!(ids(&search(&index, "原有案例")), ["old"]);
    assert!(!ids(&search(&index, "新案例")).contains(&"new"));
}

#[test]
fn the_status_filter_narrows_a_librarians_list_and_hits_carry_a_length() {
    let mut draft = doc("draft", "video", "草稿警示片", "");
    draft.status = "draft".into();
    draft.duration = Some(754);
    let mut gone = doc("gone", "video", "撤回警示片", "");
    gone.status = "withdrawn".into();
    let index = index_of(vec![draft, gone, doc("shown", "video", "发布警示片", "")]);
    let mut r = SearchRequest::query("");
    r.include_unpublished = true;
    r.status = Some("draft".into());
    let res = index.search(&r).expect("librarian search");
    assert_eq!(ids(&res), ["draft"]);
    assert_eq!(res.hits[0].duration, Some(754));
    r.status = Some("published".into());
    let res = index.search(&r).expect("published only");
    assert_eq!((ids(&res), res.hits[0].duration), (vec!["shown"], None));
    // A borrower's search shows published resources only, whatever the status says.
    r.include_unpublished = false;
    r.status = Some("draft".into());
    assert_eq!(index.search(&r).expect("borrower search").total, 0);
}

#[test]
fn available_now_reads_each_new_segment_with_the_same_busy_set() {
    let index = index_of(vec![
        doc("a", "case", "甲", "警示"),
        doc("b", "case", "乙", "警示"),
    ]);
    // One set, as the server keeps it between loan writes, over index commits.
    let busy = Unavailable::new(["b".to_owned(), "d".to_owned()]);
    let run = |available: bool| {
        let found = index
            .search(&SearchRequest {
                unavailable: busy.clone(),
                available: Some(available),
                ..SearchRequest::query("警示")
            })
            .expect("search");
        let mut got: Vec<String> = found.hits.iter().map(|h| h.id.clone()).collect();
        got.sort();
        (got, found.facets.available)
    };
    assert_eq!(run(true), (vec!["a".to_owned()], 1));
    assert_eq!(run(false), (vec!["b".to_owned()], 0));
    // A new segment with new documents, and `b` indexed again (its old document
    // deleted from the first segment).
    index
        .apply(
            vec![
                doc("c", "case", "丙", "警示"),
                doc("d", "case", "丁", "警示"),
                doc("b", "case", "乙二", "警示"),
            ],
            &["a".to_owned()],
            2,
        )
        .expect("apply");
    assert_eq!(run(true), (vec!["c".to_owned()], 1));
    assert_eq!(run(false), (vec!["b".to_owned(), "d".to_owned()], 0));
}
