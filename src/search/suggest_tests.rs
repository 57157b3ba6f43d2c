//! Completions by pinyin over a real index in RAM: full pinyin, initials and prefixes of
//! titles, words and dictionary terms; polyphones; never a title or word the audience
//! may not find; dictionary changes and new segments picked up.

use super::*;

fn doc(id: &str, title: &str, tags: &[&str], status: &str, scope: &[&str]) -> SearchDoc {
    SearchDoc {
        machine_read: false,
        id: id.into(),
        kind: "case".into(),
        title: title.into(),
        body: "正文。".into(),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        access: "open".into(),
        status: status.into(),
        scope: scope.iter().map(|s| (*s).to_owned()).collect(),
        year: Some(2023),
        ..Default::default()
    }
}

fn open(id: &str, title: &str) -> SearchDoc {
    doc(id, title, &[], "published", &["all"])
}

fn scene() -> SearchIndex {
    let index = SearchIndex::open_in_ram().expect("index");
    let docs = vec![
        open("law", "中华人民共和国监察法"),
        open("procedure", "中华人民共和国刑事诉讼法"),
        open("bank", "某银行行长受贿案"),
        open("admin", "行政执法人员受贿警示录"),
        open("bribe", "受贿罪案例选编"),
        doc(
            "tagged",
            "警示教育专题片",
            &["公款吃喝"],
            "published",
            &["all"],
        ),
        SearchDoc {
            machine_read: false,
            violations: vec!["滥用职权".into()],
            ..open("labelled", "某局长案")
        },
        doc("draft", "张三违纪草稿", &[], "draft", &["all"]),
        doc("unit", "甲单位内部通报", &[], "published", &["unit:u1"]),
    ];
    index
        .rebuild(docs.into_iter(), 1, &|_| {})
        .expect("rebuild");
    index
}

fn borrower() -> Audience {
    Audience::borrower(Some("u2"), None)
}

fn titles(index: &SearchIndex, q: &str, audience: &Audience) -> Vec<String> {
    index
        .suggest(q, audience, 8)
        .expect("suggest")
        .into_iter()
        .map(|s| s.title)
        .collect()
}

fn has(index: &SearchIndex, q: &str, want: &str) -> bool {
    titles(index, q, &borrower()).iter().any(|t| t == want)
}

#[test]
fn full_pinyin_initials_and_prefixes_find_dictionary_terms() {
    let index = scene();
    for q in [
        "baxiangguiding",
        "bxgd",
        "baxiang",
        "ba xiang",
        "BaXiang",
        "ba'xiang'gui",
    ] {
        assert!(
            has(&index, q, "八项规定"),
            "{q}: {:?}",
            titles(&index, q, &borrower())
        );
    }
    let s = index.suggest("bxgd", &borrower(), 8).expect("suggest");
    let first = &s[0];
    assert_eq!(
        (first.title.as_str(), first.kind.as_str(), first.id.as_str()),
        ("八项规定", TERM_KIND, ""),
        "{s:?}"
    );
}

#[test]
fn words_of_titles_and_tags_and_short_law_names() {
    let index = scene();
    assert_eq!(titles(&index, "shouhui", &borrower())[0], "受贿");
    for q in ["jianchafa", "jcf", "jianchaf"] {
        assert!(
            has(&index, q, "监察法"),
            "{q}: {:?}",
            titles(&index, q, &borrower())
        );
        assert!(
            has(&index, q, "中华人民共和国监察法"),
            "{q}: the law by its short name"
        );
    }
    assert!(has(&index, "zhrmghgjcf", "中华人民共和国监察法"));
    assert!(has(&index, "gongkuanchihe", "公款吃喝"), "a tag");
    assert!(has(&index, "lyzq", "滥用职权"), "a violation type");
    let s = index.suggest("zhonghuarenmingongheguojianchafa", &borrower(), 8);
    let s = s.expect("suggest");
    assert_eq!(
        (s[0].id.as_str(), s[0].kind.as_str()),
        ("law", "case"),
        "{s:?}"
    );
}

#[test]
fn typed_past_the_stored_keys_is_checked_in_full() {
    let index = scene();
    let q = "zhonghuarenmingongheguoxingshisusongfa";
    assert!(q.len() > 32);
    let s = index.suggest(q, &borrower(), 8).expect("suggest");
    assert_eq!(s[0].id, "procedure", "{s:?}");
    let s = index
        .suggest("zhonghuarenmingongheguojianchafaxyz", &borrower(), 8)
        .expect("suggest");
    assert!(s.iter().all(|s| s.id != "law"), "{s:?}");
    assert!(has(&index, "xingshisusongfa", "中华人民共和国刑事诉讼法"));
}

#[test]
fn polyphones_read_every_way() {
    let index = scene();
    assert!(has(&index, "xingzheng", "行政"));
    assert!(has(&index, "yinhang", "银行"));
    assert!(has(&index, "hangzhang", "行长"));
}

#[test]
fn never_a_title_or_word_the_audience_may_not_find() {
    let index = scene();
    let leaks = |audience: &Audience| {
        let mut all = Vec::new();
        for q in [
            "zhangsan",
            "zsw",
            "zhangsanweijicaogao",
            "jiadanwei",
            "jdwnbtb",
            "neibu",
        ] {
            all.extend(titles(&index, q, audience));
        }
        all
    };
    let seen = leaks(&borrower());
    for secret in [
        "张三违纪草稿",
        "张三",
        "草稿",
        "甲单位内部通报",
        "甲单位",
        "内部",
    ] {
        assert!(
            !seen.iter().any(|t| t == secret),
            "{secret} leaked: {seen:?}"
        );
    }
    let own = leaks(&Audience::borrower(Some("u1"), None));
    assert!(own.iter().any(|t| t == "甲单位内部通报"), "{own:?}");
    assert!(!own.iter().any(|t| t == "张三违纪草稿"), "{own:?}");
    let librarian = leaks(&Audience::librarian());
    assert!(
        librarian.iter().any(|t| t == "张三违纪草稿"),
        "{librarian:?}"
    );
}

#[test]
fn deleted_and_new_documents_are_picked_up() {
    let index = scene();
    assert!(!has(&index, "lianzheng", "廉政"));
    index
        .apply(vec![open("new", "廉政教育读本")], &["bribe".to_owned()], 2)
        .expect("apply");
    assert!(has(&index, "lianzheng", "廉政教育读本"));
    assert!(has(&index, "lzjydb", "廉政教育读本"));
    assert!(!has(&index, "shouhuizui", "受贿罪案例选编"), "deleted");
}

#[test]
fn a_dictionary_change_is_picked_up() {
    let index = scene();
    // A term the shipped dictionary does not have.
    assert!(!has(&index, "qfxd", "清风行动"));
    let (_, current) = index.synonyms();
    let mut changed = Synonyms::clone(&current);
    changed.add("清风行动", "清风专项行动").expect("add");
    index.set_synonyms(changed);
    assert!(has(&index, "qfxd", "清风行动"));
    assert!(has(&index, "qingfengxingdong", "清风行动"));
    assert!(has(&index, "qfzxxd", "清风专项行动"));
    let mut removed = Synonyms::default();
    removed.add("两高", "最高人民法院").expect("add");
    index.set_synonyms(removed);
    assert!(!has(&index, "bxgd", "八项规定"));
    assert!(has(&index, "lianggao", "两高"));
}

#[test]
fn chinese_text_finds_titles_and_dictionary_terms() {
    let index = scene();
    let got = titles(&index, "八项", &borrower());
    assert!(got.iter().any(|t| t.starts_with("八项规定")), "{got:?}");
    let got = titles(&index, "受贿", &borrower());
    assert_eq!(got[0], "受贿罪案例选编", "titles first, as before: {got:?}");
    assert!(
        !titles(&index, "张三", &borrower())
            .iter()
            .any(|t| t.contains("张三"))
    );
}

#[test]
fn hostile_input_answers_little_and_never_fails() {
    let index = scene();
    for q in [
        "<script>alert(1)</script>".to_owned(),
        "../../etc/passwd".to_owned(),
        "\u{0}\u{7}ba\u{1b}xiang".to_owned(),
        "a".repeat(10_000),
        "ß∂ƒ©˙∆˚¬…".to_owned(),
        "b".to_owned(),
        "'''".to_owned(),
        "\"".to_owned(),
    ] {
        let s = index.suggest(&q, &borrower(), 8).expect("never an error");
        assert!(s.len() <= 8);
    }
}

#[test]
fn large_segments_are_built_in_a_thread_meanwhile_the_dictionary_answers() {
    let index = SearchIndex::open_in_ram().expect("index");
    index.pinyin.set_inline_max_docs(0);
    index
        .rebuild([open("big", "廉政教育读本")].into_iter(), 1, &|_| {})
        .expect("rebuild");
    // The first completion does not wait for the table: the dictionary still answers.
    assert!(has(&index, "bxgd", "八项规定"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !has(&index, "lzjydb", "廉政教育读本") {
        assert!(
            std::time::Instant::now() < deadline,
            "the table was never built"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
