//! "My sector first" in search: the same matches, total and facets, but the matches
//! labelled with the viewer's sector come before the others, each group in the
//! request's own order (relevance, newest, most borrowed). Works across pages: page 2
//! continues where page 1 stopped.

use crate::search::{
    Hit, MAX_OFFSET, MAX_PER_PAGE, SearchError, SearchIndex, SearchRequest, SearchResults,
};

/// Runs `request` with the hits of `sector` first. Without a sector, or when the
/// request already filters on one, it is the plain search.
pub fn sector_first(
    index: &SearchIndex,
    request: &SearchRequest,
    sector: &str,
) -> Result<SearchResults, SearchError> {
    let sector = sector.trim();
    let base = index.search(request)?;
    if sector.is_empty() || request.sector.is_some() {
        return Ok(base);
    }
    // The facet counts the matches of the sector among all matches (same filters,
    // same all-words-or-fallback decision), so it says where the sector's group ends.
    let in_sector = base.facets.sector.get(sector).copied().unwrap_or(0) as usize;
    let total = base.total as usize;
    let (page, per_page) = (base.page, base.per_page);
    let offset = (page - 1).saturating_mul(per_page);
    let end = offset.saturating_add(per_page).min(total);
    if in_sector == 0 || in_sector == total || offset >= end {
        return Ok(base);
    }
    let mut took = base.took_ms;
    let mut hits: Vec<Hit> = Vec::with_capacity(per_page);
    if offset < in_sector {
        // The same page of the sector's own matches lines up with this page.
        let own = index.search(&SearchRequest {
            sector: Some(sector.to_owned()),
            ..request.clone()
        })?;
        took += own.took_ms;
        hits.extend(own.hits);
    }
    // The rest of the page: the other matches from position `skip` among them.
    let skip = offset.saturating_sub(in_sector);
    let want = end.saturating_sub(offset).saturating_sub(hits.len());
    if want > 0 {
        let (others, spent) = others_from(index, request, sector, skip, want)?;
        took += spent;
        hits.extend(others);
    }
    Ok(SearchResults {
        hits,
        took_ms: took,
        ..base
    })
}

/// The matches not labelled `sector`, from the `skip`-th on, at most `want`; read in
/// pages of the plain search (matches deeper than [`MAX_OFFSET`] are not reachable).
fn others_from(
    index: &SearchIndex,
    request: &SearchRequest,
    sector: &str,
    skip: usize,
    want: usize,
) -> Result<(Vec<Hit>, f64), SearchError> {
    let mut found = Vec::with_capacity(want);
    let mut seen = 0;
    let mut took = 0.0;
    let mut page = 1;
    while found.len() < want && (page - 1) * MAX_PER_PAGE < MAX_OFFSET {
        let batch = index.search(&SearchRequest {
            page,
            per_page: MAX_PER_PAGE,
            ..request.clone()
        })?;
        took += batch.took_ms;
        let last = batch.hits.len() < MAX_PER_PAGE;
        for hit in batch.hits {
            if hit.has_sector(sector) {
                continue;
            }
            if seen >= skip && found.len() < want {
                found.push(hit);
            }
            seen += 1;
        }
        if last {
            break;
        }
        page += 1;
    }
    Ok((found, took))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::SearchDoc;

    fn index(n: usize) -> SearchIndex {
        let docs = (0..n)
            .map(|i| SearchDoc {
                machine_read: false,
                id: format!("r{i:03}"),
                kind: "case".into(),
                title: format!("案例 {i}"),
                access: "open".into(),
                status: "published".into(),
                scope: vec!["all".into()],
                // Every third resource is about tax; newer resources have larger i.
                sectors: vec![if i % 3 == 0 { "税务" } else { "海关" }.into()],
                date_key: 20_000_000 + i as i64,
                ..Default::default()
            })
            .collect();
        let index = SearchIndex::open_in_ram().expect("index");
        index.apply(docs, &[], 1).expect("apply");
        index
    }

    fn ids(results: &SearchResults) -> Vec<String> {
        results.hits.iter().map(|h| h.id.clone()).collect()
    }

    #[test]
    fn sector_first_across_pages() {
        let index = index(250);
        let request = |page| SearchRequest {
            page,
            per_page: 20,
            ..SearchRequest::default()
        };
        // Pages concatenated = the sector's matches (newest first), then the others.
        let mut all = Vec::new();
        for page in 1..=13 {
            let results = sector_first(&index, &request(page), "税务").unwrap();
            assert_eq!(results.total, 250);
            all.extend(ids(&results));
        }
        let expected: Vec<String> = (0..250)
            .rev()
            .filter(|i| i % 3 == 0)
            .chain((0..250).rev().filter(|i| i % 3 != 0))
            .map(|i| format!("r{i:03}"))
            .collect();
        assert_eq!(all, expected);
    }

    #[test]
    fn plain_search_without_a_sector_or_with_a_filter() {
        let index = index(30);
        let plain = index.search(&SearchRequest::default()).unwrap();
        let none = sector_first(&index, &SearchRequest::default(), " ").unwrap();
        assert_eq!(ids(&none), ids(&plain));
        let filtered = SearchRequest {
            sector: Some("海关".into()),
            ..SearchRequest::default()
        };
        let results = sector_first(&index, &filtered, "税务").unwrap();
        assert!(results.hits.iter().all(|h| h.sectors == ["海关"]));
    }
}
