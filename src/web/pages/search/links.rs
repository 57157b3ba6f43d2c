//! The result page's links that are not filters: sort orders, "本行业优先" and paging.

use crate::web::pages::url::Query;

pub struct Link {
    pub label: String,
    pub href: String,
    pub current: bool,
}

/// The "my sector first" switch: a link that turns the ordering on or off.
pub struct SectorToggle {
    pub sector: String,
    pub href: String,
    pub current: bool,
}

/// The switch for `sector`, keeping every other parameter (back to page 1). Only a
/// valid `true` counts as on, so a bad value never shows as the active ordering.
pub(super) fn sector_toggle(query: &Query, sector: Option<&str>) -> Option<SectorToggle> {
    let sector = sector.map(str::trim).filter(|s| !s.is_empty())?;
    let value = query.get("sector_first").map(|v| v.to_owned());
    let current = crate::web::shared::search::sector_first_flag(&value).unwrap_or(false);
    let base = query.clone().without("page");
    let href = if current {
        base.without("sector_first")
    } else {
        base.set("sector_first", "true")
    }
    .href("/search");
    Some(SectorToggle {
        sector: sector.to_owned(),
        href,
        current,
    })
}

pub(super) fn sorts(query: &Query) -> Vec<Link> {
    let current = query.get("sort").unwrap_or("relevance");
    [
        ("relevance", "相关度"),
        ("newest", "最新"),
        ("most_borrowed", "借阅最多"),
    ]
    .into_iter()
    .map(|(code, label)| {
        let base = query.clone().without("page");
        Link {
            label: label.to_owned(),
            href: if code == "relevance" {
                base.without("sort")
            } else {
                base.set("sort", code)
            }
            .href("/search"),
            current: current == code || (code == "relevance" && current.is_empty()),
        }
    })
    .collect()
}

/// Page links around the current one: 1 … 4 5 [6] 7 8 … 20.
fn page_links(query: &Query, page: usize, page_count: usize) -> Vec<Link> {
    let link = |n: usize| Link {
        label: n.to_string(),
        href: if n == 1 {
            query.clone().without("page")
        } else {
            query.clone().set("page", n.to_string())
        }
        .href("/search"),
        current: n == page,
    };
    let mut links = Vec::new();
    let (start, end) = (page.saturating_sub(2).max(1), (page + 2).min(page_count));
    if start > 1 {
        links.push(link(1));
        if start > 2 {
            links.push(Link {
                label: "…".into(),
                href: String::new(),
                current: false,
            });
        }
    }
    links.extend((start..=end).map(link));
    if end < page_count {
        if end + 1 < page_count {
            links.push(Link {
                label: "…".into(),
                href: String::new(),
                current: false,
            });
        }
        links.push(link(page_count));
    }
    links
}

/// The pager: previous, next and the numbered links (empty for a single page).
#[derive(Default)]
pub struct Pager {
    pub prev: Option<String>,
    pub next: Option<String>,
    pub pages: Vec<Link>,
}

impl Pager {
    pub(super) fn new(query: &Query, current: usize, page_count: usize) -> Self {
        if page_count <= 1 {
            return Self::default();
        }
        Self {
            pages: page_links(query, current, page_count),
            prev: (current > 1).then(|| {
                if current == 2 {
                    query.clone().without("page")
                } else {
                    query.clone().set("page", (current - 1).to_string())
                }
                .href("/search")
            }),
            next: (current < page_count).then(|| {
                query
                    .clone()
                    .set("page", (current + 1).to_string())
                    .href("/search")
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_elide_the_middle() {
        let labels = |page, count| -> Vec<String> {
            page_links(&Query::new(), page, count)
                .into_iter()
                .map(|l| l.label)
                .collect()
        };
        assert_eq!(labels(1, 3), ["1", "2", "3"]);
        assert_eq!(
            labels(6, 20),
            ["1", "…", "4", "5", "6", "7", "8", "…", "20"]
        );
        assert_eq!(labels(20, 20), ["1", "…", "18", "19", "20"]);
    }
}
