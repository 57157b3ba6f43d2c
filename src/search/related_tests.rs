//! Related resources over a real index in RAM: shared labels before likeness of words,
//! never the resource itself, never unpublished, only what the audience may find, and
//! the same order however the index was written.

use super::*;

fn doc(id: &str, title: &str, body: &str, violations: &[&str], sectors: &[&str]) -> SearchDoc {
    SearchDoc {
        machine_read: false,
        id: id.into(),
        kind: "case".into(),
        title: title.into(),
        body: body.into(),
        violations: violations.iter().map(|v| (*v).to_owned()).collect(),
        sectors: sectors.iter().map(|s| (*s).to_owned()).collect(),
        access: "open".into(),
        status: "published".into(),
        scope: vec!["all".into()],
        year: Some(2023),
        ..Default::default()
    }
}

/// Text about customs smuggling, the theme of the source and of its look-alike.
const SMUGGLING: &str =
    "海关关员走私放行，伪造报关单据。走私货物经报关单据查验放行，海关关员收受好处。";

/// The source `src` (受贿; 海关 and 税务) and around it: two labels shared, one shared,
/// none but like words, nothing in common, and the unpublished and the out-of-scope.
fn scene(reverse: bool) -> SearchIndex {
    let mut docs = vec![
        doc(
            "src",
            "海关关员走私受贿案",
            SMUGGLING,
            &["受贿"],
            &["海关", "税务"],
        ),
        doc("two", "某税务局长案", "收受礼金。", &["受贿"], &["税务"]),
        doc(
            "one-a",
            "某医院院长案",
            "医疗器械采购。",
            &["受贿"],
            &["医疗卫生"],
        ),
        doc("one-b", "某学校校长案", "基建工程发包。", &[], &["海关"]),
        doc(
            "words",
            "走私放行案通报",
            SMUGGLING,
            &["滥用职权"],
            &["金融"],
        ),
        doc(
            "none",
            "八项规定精神学习",
            "月饼礼品公款吃喝。",
            &["违反八项规定"],
            &["教育"],
        ),
        doc("filler-1", "专题学习材料一", "学习党章党规。", &[], &[]),
        doc("filler-2", "专题学习材料二", "学习监察法。", &[], &[]),
        doc("filler-3", "专题学习材料三", "学习政务处分法。", &[], &[]),
    ];
    let mut draft = doc(
        "draft",
        "海关受贿草稿",
        SMUGGLING,
        &["受贿"],
        &["海关", "税务"],
    );
    draft.status = "draft".into();
    let mut withdrawn = doc(
        "withdrawn",
        "已撤回的海关受贿案",
        SMUGGLING,
        &["受贿"],
        &["海关"],
    );
    withdrawn.status = "withdrawn".into();
    // A contribution of yn-tax shared with the 税务 sector.
    let mut scoped = doc(
        "scoped",
        "税务系统受贿案",
        SMUGGLING,
        &["受贿"],
        &["海关", "税务"],
    );
    scoped.scope = vec!["sector:税务".into(), "unit:yn-tax".into()];
    docs.extend([draft, withdrawn, scoped]);
    if reverse {
        docs.reverse();
    }
    let index = SearchIndex::open_in_ram().expect("index in RAM");
    // One document a commit: several segments, as a live index has.
    for (seq, d) in docs.into_iter().enumerate() {
        index.apply(vec![d], &[], seq as i64 + 1).expect("apply");
    }
    index
}

fn related_ids(index: &SearchIndex, id: &str, audience: &Audience, limit: usize) -> Vec<String> {
    index
        .related(id, audience, limit)
        .expect("related")
        .into_iter()
        .map(|r| r.id)
        .collect()
}

fn customs_officer() -> Audience {
    Audience::borrower(Some("kunming-customs"), Some("海关"))
}

#[test]
fn shared_labels_first_then_like_words_never_itself() {
    let index = scene(false);
    let found = index
        .related("src", &customs_officer(), 6)
        .expect("related");
    let ids: Vec<&str> = found.iter().map(|r| r.id.as_str()).collect();
    // Two labels, then one label each (the more alike in words first: neither shares
    // a word with the source, so by id), then words alone.
    assert_eq!(ids, ["two", "one-a", "one-b", "words"]);
    assert_eq!(found[0].shared, ["受贿", "税务"]);
    assert_eq!(found[1].shared, ["受贿"]);
    assert_eq!(found[2].shared, ["海关"]);
    assert!(found[3].shared.is_empty(), "related by its words alone");
    assert_eq!(found[0].title, "某税务局长案");
    assert_eq!(
        (found[0].kind.as_str(), found[0].year),
        ("case", Some(2023))
    );
    assert!(!ids.contains(&"none"), "nothing in common is not related");
}

#[test]
fn within_the_same_labels_the_more_alike_in_words_comes_first() {
    let index = index_of_related(vec![
        doc("src", "海关关员走私受贿案", SMUGGLING, &["受贿"], &[]),
        doc("a-plain", "某局长受贿案", "收受礼金。", &["受贿"], &[]),
        doc("b-alike", "另一起走私案", SMUGGLING, &["受贿"], &[]),
        doc("c-plain", "某处长受贿案", "收受购物卡。", &["受贿"], &[]),
        doc("f1", "学习材料一", "学习党章。", &[], &[]),
        doc("f2", "学习材料二", "学习党规。", &[], &[]),
    ]);
    assert_eq!(
        related_ids(&index, "src", &Audience::default(), 6),
        ["b-alike", "a-plain", "c-plain"]
    );
}

fn index_of_related(docs: Vec<SearchDoc>) -> SearchIndex {
    let index = SearchIndex::open_in_ram().expect("index in RAM");
    index.apply(docs, &[], 1).expect("apply");
    index
}

#[test]
fn never_a_draft_or_withdrawn_resource_not_even_for_a_librarian() {
    let index = scene(false);
    for audience in [
        Audience::librarian(),
        customs_officer(),
        Audience::default(),
    ] {
        let ids = related_ids(&index, "src", &audience, 24);
        assert!(
            !ids.iter().any(|id| id == "draft" || id == "withdrawn"),
            "{audience:?}: {ids:?}"
        );
        assert!(!ids.iter().any(|id| id == "src"), "{audience:?}: itself");
    }
    // A draft's own page (a librarian's) still lists the published ones.
    let of_draft = related_ids(&index, "draft", &Audience::librarian(), 24);
    assert!(of_draft.contains(&"src".to_owned()), "{of_draft:?}");
    assert!(
        !of_draft.iter().any(|id| id == "draft" || id == "withdrawn"),
        "{of_draft:?}"
    );
}

#[test]
fn another_units_scoped_contribution_only_where_its_scope_reaches() {
    let index = scene(false);
    let customs = related_ids(&index, "src", &customs_officer(), 24);
    assert!(!customs.contains(&"scoped".to_owned()), "{customs:?}");
    let no_unit = related_ids(&index, "src", &Audience::default(), 24);
    assert!(!no_unit.contains(&"scoped".to_owned()), "{no_unit:?}");
    // The contributor's sector and the contributor itself find it, first (three
    // labels shared); so does the committee.
    for audience in [
        Audience::borrower(Some("yn-tax-kunming"), Some("税务")),
        Audience::borrower(Some("yn-tax"), Some("税务")),
        Audience::librarian(),
    ] {
        let ids = related_ids(&index, "src", &audience, 24);
        assert_eq!(
            ids.first().map(String::as_str),
            Some("scoped"),
            "{audience:?}"
        );
    }
}

#[test]
fn the_same_catalogue_answers_the_same_list_however_it_was_written() {
    let forward = scene(false);
    let backward = scene(true);
    for id in ["src", "two", "one-a", "words", "none", "scoped"] {
        for audience in [customs_officer(), Audience::librarian()] {
            assert_eq!(
                related_ids(&forward, id, &audience, 6),
                related_ids(&backward, id, &audience, 6),
                "{id} for {audience:?}"
            );
        }
    }
}

#[test]
fn limits_and_unknown_ids() {
    let index = scene(false);
    assert_eq!(
        related_ids(&index, "src", &customs_officer(), 2),
        ["two", "one-a"]
    );
    assert!(related_ids(&index, "src", &customs_officer(), 0).is_empty());
    let capped = index
        .related("src", &Audience::librarian(), usize::MAX)
        .expect("related");
    assert!(capped.len() <= MAX_RELATED);
    for id in ["missing", "", "../x", "<script>", "src\"", "*"] {
        assert!(
            related_ids(&index, id, &Audience::librarian(), 6).is_empty(),
            "{id}"
        );
    }
}

#[test]
fn a_resource_with_neither_labels_nor_words_has_no_related() {
    let index = index_of_related(vec![
        doc("bare", "", "", &[], &[]),
        doc("other", "某局长受贿案", "收受礼金。", &["受贿"], &["税务"]),
    ]);
    assert!(related_ids(&index, "bare", &Audience::librarian(), 6).is_empty());
}

#[test]
fn video_cues_count_as_its_text() {
    let mut video = doc("video", "警示教育片", "", &[], &[]);
    video.kind = "video".into();
    video.cues = vec![
        CueDoc {
            file_id: "f".into(),
            start_ms: 0,
            text: "我在海关工作时走私放行。".into(),
        },
        CueDoc {
            file_id: "f".into(),
            start_ms: 3_000,
            text: "伪造报关单据，走私放行，悔不当初。".into(),
        },
    ];
    let index = index_of_related(vec![
        video,
        doc("alike", "通报", SMUGGLING, &[], &[]),
        doc("f1", "学习材料一", "学习党章。", &[], &[]),
        doc("f2", "学习材料二", "学习党规。", &[], &[]),
        doc("f3", "学习材料三", "学习法规。", &[], &[]),
    ]);
    assert_eq!(
        related_ids(&index, "video", &Audience::librarian(), 6),
        ["alike"]
    );
}
