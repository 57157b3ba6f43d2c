//! Copies and editions on the real corpus (issue 20): an article published twice is one
//! hit with "另有 1 篇相同内容", the editions of an interpretation are one hit under the
//! newest with the others listed, the parts of the Civil Code (one title, one date,
//! different texts) stay apart, and totals and facets count groups.

use jingshi::search::{Audience, Hit, SearchRequest, SearchResults};

use crate::relevance::{corpus_index, corpus_search};

const CRIMINAL_2021: &str =
    "law:laws/司法解释/最高人民法院关于适用《刑事诉讼法》的解释(2021-01-26).md";
const CRIMINAL_2012: &str =
    "law:laws/司法解释/最高人民法院关于适用《刑事诉讼法》的解释(2012-12-20).md";
const CIVIL: &str = "law:laws/司法解释/最高人民法院关于适用《民事诉讼法》的解释";

/// A librarian's search of the corpus, grouped or not, `per_page` hits.
fn search(q: &str, group: bool, per_page: usize) -> SearchResults {
    corpus_index()
        .search(&SearchRequest {
            per_page,
            group,
            audience: Audience::librarian(),
            include_unpublished: true,
            ..SearchRequest::query(q)
        })
        .expect("search answers")
}

/// Every resource a hit stands for: itself, its copies, its editions and theirs.
fn members(hit: &Hit) -> Vec<&str> {
    let mut out = vec![hit.id.as_str()];
    out.extend(hit.duplicates.iter().map(|d| d.id.as_str()));
    for e in &hit.editions {
        out.push(e.id.as_str());
        out.extend(e.duplicates.iter().map(|d| d.id.as_str()));
    }
    out
}

fn hit_of<'a>(results: &'a SearchResults, id: &str) -> &'a Hit {
    results
        .hits
        .iter()
        .find(|h| h.id == id)
        .unwrap_or_else(|| panic!("{id} is no hit: {:?}", titles(results)))
}

fn titles(results: &SearchResults) -> Vec<(&str, &str)> {
    results
        .hits
        .iter()
        .map(|h| (h.id.as_str(), h.title.as_str()))
        .collect()
}

#[test]
fn an_article_published_twice_is_one_hit_with_its_copy() {
    for q in ["天价月饼", "风清气正过佳节", "网言网语"] {
        let results = corpus_search(q, 50);
        let column: Vec<&Hit> = results
            .hits
            .iter()
            .filter(|h| h.title == "网言网语丨风清气正过佳节")
            .collect();
        assert!(!column.is_empty(), "{q}: {:?}", titles(&results));
        for hit in &column {
            // Each of the two duplicated articles once, with its one copy; the other
            // year's article of the same column is a hit of its own.
            assert_eq!(hit.duplicates.len(), 1, "{q}: {hit:?}");
            assert!(hit.editions.is_empty());
            let mut pair = members(hit);
            pair.sort_unstable();
            assert!(
                pair == ["ccdi:t20230928_297111", "ccdi:t20230928_297113"]
                    || pair == ["ccdi:t20240206_327443", "ccdi:t20240206_327454"],
                "{q}: {pair:?}"
            );
        }
        let mut seen: Vec<&str> = results.hits.iter().flat_map(members).collect();
        let n = seen.len();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), n, "{q}: a resource shown twice");
    }
}

#[test]
fn the_criminal_procedure_interpretation_is_its_2021_edition_with_2012_listed() {
    let results = corpus_search("刑事诉讼法 解释", 20);
    let hit = hit_of(&results, CRIMINAL_2021);
    assert_eq!(hit.edition.as_deref(), Some("2021-01-26"));
    let editions: Vec<(&str, &str)> = hit
        .editions
        .iter()
        .map(|e| (e.date.as_str(), e.id.as_str()))
        .collect();
    assert_eq!(editions, [("2012-12-20", CRIMINAL_2012)]);
    assert!(results.hits.iter().all(|h| h.id != CRIMINAL_2012));
    assert!(
        results.hits.iter().position(|h| h.id == CRIMINAL_2021) < Some(3),
        "{:?}",
        titles(&results)
    );
}

#[test]
fn the_civil_procedure_interpretation_groups_three_editions_under_the_newest() {
    let results = corpus_search("民事诉讼法 解释", 20);
    let hit = hit_of(&results, &format!("{CIVIL}(2022-04-02).md"));
    let editions: Vec<(&str, String)> = hit
        .editions
        .iter()
        .map(|e| (e.date.as_str(), e.id.clone()))
        .collect();
    assert_eq!(
        editions,
        [
            ("2022-04-01", format!("{CIVIL}(2022-04-01).md")),
            ("2020-12-29", format!("{CIVIL}(2020-12-29).md")),
        ]
    );
    // The three editions take one place on the page, not three.
    let editions_shown = results
        .hits
        .iter()
        .filter(|h| h.id.starts_with(CIVIL) && h.id.ends_with(").md"))
        .count();
    assert_eq!(editions_shown, 1, "{:?}", titles(&results));
}

#[test]
fn the_parts_of_the_civil_code_stay_apart() {
    // One title, one date (2020-05-28), eight different texts: not copies, not editions.
    let results = search("中华人民共和国民法典", true, 100);
    let parts: Vec<&Hit> = results
        .hits
        .iter()
        .filter(|h| h.id.starts_with("law:laws/民法典/"))
        .collect();
    assert_eq!(parts.len(), 8, "{:?}", titles(&results));
    assert!(
        parts
            .iter()
            .all(|h| h.duplicates.is_empty() && h.editions.is_empty())
    );
}

#[test]
fn totals_and_facets_count_groups() {
    for q in ["刑事诉讼法 解释", "风清气正", "道路运输条例", "居民身份证"] {
        let grouped = search(q, true, 100);
        let plain = search(q, false, 100);
        assert!(plain.total <= 100, "{q}: choose a query with fewer matches");
        let hidden: u64 = grouped
            .hits
            .iter()
            .map(|h| members(h).len() as u64 - 1)
            .sum();
        assert!(hidden > 0, "{q}: nothing grouped");
        assert_eq!(grouped.total + hidden, plain.total, "{q}");
        assert_eq!(grouped.hits.len() as u64, grouped.total, "{q}");
        // Every group's members are of one kind here, so each kind's count drops by
        // the members its groups hide.
        for (kind, n) in &plain.facets.kind {
            let hidden_of_kind: u64 = grouped
                .hits
                .iter()
                .filter(|h| &h.kind == kind)
                .map(|h| members(h).len() as u64 - 1)
                .sum();
            assert_eq!(
                grouped.facets.kind.get(kind).copied().unwrap_or(0) + hidden_of_kind,
                *n,
                "{q}: {kind}"
            );
        }
        let kinds: u64 = grouped.facets.kind.values().sum();
        assert_eq!(kinds, grouped.total, "{q}");
    }
}

#[test]
fn the_whole_catalogue_lists_groups_on_every_page() {
    let groups = corpus_index().collapsed_groups().expect("groups");
    let hidden: u64 = groups.iter().map(|g| g.members.len() as u64 - 1).sum();
    assert!(groups.iter().any(|g| g.editions) && groups.iter().any(|g| !g.editions));
    let plain = search("", false, 20);
    let grouped = search("", true, 100);
    assert_eq!(grouped.total + hidden, plain.total);
    // Paging through the list (newest first) shows no resource twice and reaches them all.
    let mut seen = std::collections::BTreeSet::new();
    let mut shown = 0;
    for page in 1.. {
        let results = corpus_index()
            .search(&SearchRequest {
                page,
                per_page: 100,
                audience: Audience::librarian(),
                ..SearchRequest::default()
            })
            .expect("page");
        if results.hits.is_empty() {
            break;
        }
        for hit in &results.hits {
            shown += 1;
            for id in members(hit) {
                assert!(seen.insert(id.to_owned()), "{id} twice");
            }
        }
    }
    assert_eq!(shown, grouped.total);
    assert_eq!(seen.len() as u64, plain.total);
}
