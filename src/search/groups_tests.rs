//! Copies and editions over a real index in RAM: copies collapse into one hit, editions
//! group under the newest, recurring titles of different texts stay apart, and the
//! total, facets, paging and every sort order count groups.

use super::*;

/// Distinct texts, long enough to be told apart by their shingles.
const TEXTS: [&str; 4] = [
    "第一条 为了规范刑事诉讼程序，保障刑法的正确实施，惩罚犯罪，保护人民，根据宪法制定本解释。\
     第二条 人民法院审判案件，以事实为根据，以法律为准绳。",
    "第一条 为了正确审理民事案件，根据民事诉讼法的规定，结合审判实践，制定本解释。\
     第二条 专利纠纷案件由知识产权法院、最高人民法院确定的中级人民法院管辖。",
    "中秋国庆将至，各级纪检监察机关紧盯违规收送月饼礼品礼金、公款吃喝等问题，\
     坚决防止节日腐败，营造风清气正的节日氛围。",
    "某市纪委监委通报三起违反中央八项规定精神典型问题，涉及违规发放津贴补贴、\
     借培训之名公款旅游，相关责任人受到党纪政务处分。",
];

fn doc(id: &str, kind: &str, title: &str, body: &str, date_key: i64) -> SearchDoc {
    SearchDoc {
        machine_read: false,
        id: id.into(),
        kind: kind.into(),
        title: title.into(),
        body: body.into(),
        access: "open".into(),
        status: "published".into(),
        scope: vec!["all".into()],
        year: (date_key > 0).then_some((date_key / 10_000) as i32),
        date_key,
        sectors: vec!["政府机关".into()],
        ..Default::default()
    }
}

const INTERPRETATION: &str = "最高人民法院关于适用《中华人民共和国刑事诉讼法》的解释";
const COLUMN: &str = "网言网语丨风清气正过佳节";

/// Three editions of one interpretation (the 2021 one twice, one of the copies with
/// other punctuation), a recurring column title with two different articles, one of them
/// published twice, and unrelated resources.
fn scene() -> Vec<SearchDoc> {
    let amended = format!("{}第三条 新增条款。", TEXTS[0]);
    let mut docs = vec![
        doc("e2012", "textbook", INTERPRETATION, TEXTS[0], 20121220),
        doc("e2021", "textbook", INTERPRETATION, &amended, 20210126),
        doc(
            "e2021-copy",
            "textbook",
            "最高人民法院关于适用〈中华人民共和国刑事诉讼法〉的解释",
            &amended.replace('，', ","),
            20210126,
        ),
        doc("e2018", "textbook", INTERPRETATION, TEXTS[1], 20180101),
        doc("c2023", "case", COLUMN, TEXTS[2], 20230928),
        doc(
            "c2023-copy",
            "case",
            "网言网语 | 风清气正过佳节",
            TEXTS[2],
            20230928,
        ),
        doc("c2024", "case", COLUMN, TEXTS[3], 20240206),
        doc(
            "other",
            "case",
            "某局长受贿案",
            "收受他人财物，风清气正。解释。",
            20220501,
        ),
    ];
    docs[1].borrow_count = 1;
    docs[0].borrow_count = 9;
    docs[5].sectors = vec!["金融".into()];
    docs
}

fn index_of(docs: Vec<SearchDoc>) -> SearchIndex {
    let index = SearchIndex::open_in_ram().expect("index in RAM");
    index.apply(docs, &[], 1).expect("apply");
    index
}

fn request(q: &str) -> SearchRequest {
    SearchRequest {
        audience: Audience::librarian(),
        ..SearchRequest::query(q)
    }
}

fn ids(r: &SearchResults) -> Vec<&str> {
    r.hits.iter().map(|h| h.id.as_str()).collect()
}

fn dup_ids(hit: &Hit) -> Vec<&str> {
    hit.duplicates.iter().map(|d| d.id.as_str()).collect()
}

fn hit<'a>(r: &'a SearchResults, id: &str) -> &'a Hit {
    r.hits
        .iter()
        .find(|h| h.id == id)
        .unwrap_or_else(|| panic!("{id} among {:?}", ids(r)))
}

#[test]
fn copies_collapse_and_recurring_titles_stay_apart() {
    let index = index_of(scene());
    let r = index.search(&request("风清气正")).unwrap();
    // c2023 and its copy are one hit; the 2024 article of the same column is its own.
    assert_eq!(r.total, 3, "{:?}", ids(&r));
    let column: Vec<&Hit> = r.hits.iter().filter(|h| h.title.contains("佳节")).collect();
    assert_eq!(column.len(), 2);
    let with_copy = column.iter().find(|h| !h.duplicates.is_empty()).unwrap();
    let mut pair = vec![with_copy.id.as_str(), with_copy.duplicates[0].id.as_str()];
    pair.sort_unstable();
    assert_eq!(pair, ["c2023", "c2023-copy"]);
    assert!(with_copy.editions.is_empty() && with_copy.edition.is_none());
    let alone = column.iter().find(|h| h.duplicates.is_empty()).unwrap();
    assert_eq!(alone.id, "c2024");
    assert!(alone.editions.is_empty());
}

#[test]
fn editions_group_under_the_newest_with_the_others_listed() {
    let index = index_of(scene());
    let r = index.search(&request("刑事诉讼法 解释")).unwrap();
    assert_eq!(r.total, 1, "{:?}", ids(&r));
    let head = &r.hits[0];
    assert!(head.id.starts_with("e2021"), "{}", head.id);
    assert_eq!(head.edition.as_deref(), Some("2021-01-26"));
    assert_eq!(head.duplicates.len(), 1);
    let editions: Vec<(&str, &str)> = head
        .editions
        .iter()
        .map(|e| (e.date.as_str(), e.id.as_str()))
        .collect();
    assert_eq!(editions, [("2018-01-01", "e2018"), ("2012-12-20", "e2012")]);
    assert_eq!(head.editions[1].title, INTERPRETATION);

    // Only the matches group: a query the 2018 text alone holds finds it alone.
    let r = index.search(&request("知识产权法院")).unwrap();
    assert_eq!(ids(&r), ["e2018"]);
    assert!(r.hits[0].editions.is_empty());
}

#[test]
fn without_grouping_every_resource_is_listed() {
    let index = index_of(scene());
    let r = index
        .search(&SearchRequest {
            group: false,
            ..request("")
        })
        .unwrap();
    assert_eq!(r.total, 8);
    assert!(
        r.hits
            .iter()
            .all(|h| h.duplicates.is_empty() && h.editions.is_empty())
    );
    let grouped = index.search(&request("")).unwrap();
    // Editions (4 → 1) and the column's copies (2 → 1).
    assert_eq!(grouped.total, 4, "{:?}", ids(&grouped));
}

#[test]
fn total_and_facets_count_groups() {
    let index = index_of(scene());
    let r = index.search(&request("")).unwrap();
    assert_eq!(r.total, 4);
    assert_eq!(r.facets.kind.get("textbook"), Some(&1));
    assert_eq!(r.facets.kind.get("case"), Some(&3));
    assert_eq!(r.facets.available, 4);
    // A group counts once under each value one of its members has: choosing it finds
    // the group (or the member that has it).
    assert_eq!(r.facets.sector.get("政府机关"), Some(&4));
    assert_eq!(r.facets.sector.get("金融"), Some(&1));
    for (year, n) in [
        ("2012", 1),
        ("2018", 1),
        ("2021", 1),
        ("2023", 1),
        ("2024", 1),
    ] {
        assert_eq!(r.facets.year.get(year), Some(&n), "{year}");
    }
    let finance = index
        .search(&SearchRequest {
            sector: Some("金融".into()),
            ..request("")
        })
        .unwrap();
    assert_eq!(finance.total, 1);
    let y2012 = index
        .search(&SearchRequest {
            year_from: Some(2012),
            year_to: Some(2012),
            ..request("")
        })
        .unwrap();
    assert_eq!(ids(&y2012), ["e2012"]);

    // Available: a group is available when one of its members is.
    let busy = |ids: &[&str]| {
        index
            .search(&SearchRequest {
                unavailable: Unavailable::new(ids.iter().map(|s| (*s).to_owned())),
                ..request("")
            })
            .unwrap()
            .facets
            .available
    };
    assert_eq!(busy(&["c2023"]), 4);
    assert_eq!(busy(&["c2023", "c2023-copy"]), 3);
}

#[test]
fn pages_are_pages_of_groups_in_every_order() {
    let index = index_of(scene());
    for sort in [
        SortOrder::Relevance,
        SortOrder::Newest,
        SortOrder::MostBorrowed,
    ] {
        let all = index
            .search(&SearchRequest {
                sort,
                per_page: 10,
                ..request("")
            })
            .unwrap();
        let mut paged = Vec::new();
        for page in 1..=5 {
            let r = index
                .search(&SearchRequest {
                    sort,
                    page,
                    per_page: 1,
                    ..request("")
                })
                .unwrap();
            assert_eq!(r.total, 4);
            paged.extend(r.hits.into_iter().map(|h| h.id));
        }
        assert_eq!(paged, ids(&all), "{sort:?}");
    }
    let order = |sort| {
        let r = index
            .search(&SearchRequest {
                sort,
                ..request("")
            })
            .unwrap();
        ids(&r).iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()
    };
    // Newest: the group by its head's date (2021), after the 2024, 2023 and 2022 ones.
    let newest = order(SortOrder::Newest);
    assert_eq!(newest[0], "c2024");
    assert!(newest[1].starts_with("c2023"));
    assert_eq!(newest[2], "other");
    assert!(newest[3].starts_with("e2021"));
    // Most borrowed: by the head (borrowed once), not by the 2012 edition (nine times).
    let borrowed = order(SortOrder::MostBorrowed);
    assert!(borrowed[0].starts_with("e2021"), "{borrowed:?}");
}

#[test]
fn a_group_ranks_by_its_best_member_by_relevance() {
    // The old edition says the words most often, the newest least: alone, the old one
    // ranks first and the newest last; grouped, the group ranks as its best member.
    let index = index_of(vec![
        doc(
            "new",
            "textbook",
            "监督条例",
            "总则。监督检查。审查调查。",
            20240101,
        ),
        doc(
            "old",
            "textbook",
            "监督条例",
            "审查调查。审查调查。审查调查。审查调查。",
            20100101,
        ),
        doc(
            "mid",
            "case",
            "工作规定",
            "审查调查。审查调查。监督检查。总则。",
            20200101,
        ),
    ]);
    let ungrouped = index
        .search(&SearchRequest {
            group: false,
            ..request("审查调查")
        })
        .unwrap();
    assert_eq!(ids(&ungrouped), ["old", "mid", "new"]);
    let r = index.search(&request("审查调查")).unwrap();
    assert_eq!(ids(&r), ["new", "mid"]);
    assert_eq!(r.hits[0].editions[0].id, "old");
    assert_eq!(r.hits[0].score, ungrouped.hits[0].score);
}

#[test]
fn what_the_viewer_may_not_find_is_never_a_member() {
    let mut docs = scene();
    docs[2].status = "draft".into(); // e2021-copy
    docs[5].scope = vec!["unit:other".into()]; // c2023-copy
    let index = index_of(docs);
    let borrower = |q: &str| {
        index
            .search(&SearchRequest {
                audience: Audience::borrower(Some("mine"), None),
                ..SearchRequest::query(q)
            })
            .unwrap()
    };
    let r = borrower("刑事诉讼法 解释");
    assert_eq!(ids(&r), ["e2021"]);
    assert!(r.hits[0].duplicates.is_empty());
    assert_eq!(r.hits[0].editions.len(), 2);
    let r = borrower("风清气正过佳节");
    let members: Vec<&str> = r
        .hits
        .iter()
        .flat_map(|h| std::iter::once(h.id.as_str()).chain(dup_ids(h)))
        .collect();
    assert!(!members.contains(&"c2023-copy"), "{members:?}");
    assert!(!members.contains(&"e2021-copy"), "{members:?}");
    // The librarian sees both copies.
    let r = index
        .search(&SearchRequest {
            include_unpublished: true,
            ..request("刑事诉讼法 解释")
        })
        .unwrap();
    assert_eq!(r.hits[0].duplicates.len(), 1);
}

#[test]
fn same_title_same_date_different_texts_are_separate() {
    // The parts of one code: one title, one date, different texts.
    let index = index_of(vec![
        doc(
            "part-1",
            "textbook",
            "中华人民共和国民法典",
            TEXTS[0],
            20200528,
        ),
        doc(
            "part-2",
            "textbook",
            "中华人民共和国民法典",
            TEXTS[1],
            20200528,
        ),
        doc(
            "part-3",
            "textbook",
            "中华人民共和国民法典",
            TEXTS[2],
            20210101,
        ),
    ]);
    let r = index.search(&request("民法典")).unwrap();
    assert_eq!(r.total, 3);
    assert!(
        r.hits
            .iter()
            .all(|h| h.duplicates.is_empty() && h.editions.is_empty())
    );
}

#[test]
fn a_resource_updated_in_place_is_no_copy_of_itself() {
    let index = index_of(scene());
    // Re-applying a resource deletes its old document and adds the new one; until the
    // segments merge both are on disk.
    let again = scene().into_iter().find(|d| d.id == "c2024").unwrap();
    index.apply(vec![again.clone()], &[], 2).unwrap();
    index.apply(vec![again], &[], 3).unwrap();
    let r = index.search(&request("风清气正过佳节")).unwrap();
    let h = hit(&r, "c2024");
    assert!(h.duplicates.is_empty() && h.editions.is_empty());
    assert_eq!(r.total, 2);
}

#[test]
fn a_group_is_in_every_sector_of_its_resources_and_listed_once_sector_first() {
    let index = index_of(scene());
    let r = index.search(&request("风清气正过佳节")).unwrap();
    let copies = r.hits.iter().find(|h| !h.duplicates.is_empty()).unwrap();
    // One copy is labelled 金融, the other 政府机关.
    assert!(copies.has_sector("金融") && copies.has_sector("政府机关"));
    assert!(!copies.has_sector("海关"));
    for sector in ["金融", "政府机关"] {
        let mut seen = Vec::new();
        for page in 1..=3 {
            let req = SearchRequest {
                page,
                per_page: 1,
                ..request("")
            };
            let r = crate::recommend::sector_first(&index, &req, sector).unwrap();
            assert_eq!(r.total, 4);
            seen.extend(r.hits.iter().flat_map(|h| {
                std::iter::once(h.id.clone()).chain(h.duplicates.iter().map(|d| d.id.clone()))
            }));
        }
        let first = seen.clone();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), first.len(), "{sector}: {first:?}");
    }
}
