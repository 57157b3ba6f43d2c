//! The facet groups beside the results, the "现在可借" switch and the filters in force,
//! each option a link that adds or removes its filter.

use std::collections::BTreeMap;

use crate::catalog::Kind;
use crate::search::SearchResults;
use crate::web::pages::format;
use crate::web::pages::url::Query;

pub struct FacetOption {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub selected: bool,
}

/// Which facet a group lists; the year group also offers a range form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Kind,
    Sector,
    Violation,
    Year,
    Access,
}

impl Facet {
    pub fn title(self) -> &'static str {
        match self {
            Facet::Kind => "类型",
            Facet::Sector => "行业",
            Facet::Violation => "违纪违法类型",
            Facet::Year => "年份",
            Facet::Access => "开放方式",
        }
    }
}

pub struct FacetGroup {
    pub facet: Facet,
    pub options: Vec<FacetOption>,
}

/// A filter in force, with the link that drops it.
pub struct ActiveFilter {
    pub label: String,
    pub remove_href: String,
}

/// A facet group whose options toggle `key` (a new filter starts again at page 1).
fn facet_group<'a>(
    facet: Facet,
    key: &'static str,
    query: &Query,
    counts: impl Iterator<Item = (&'a String, &'a u64)>,
    label: impl Fn(&str) -> String,
) -> FacetGroup {
    let current = query.get(key).unwrap_or("");
    let options = counts
        .map(|(value, count)| {
            let selected = value == current;
            let base = query.clone().without("page");
            FacetOption {
                label: label(value),
                count: *count,
                href: if selected {
                    base.without(key).href("/search")
                } else {
                    base.set(key, value.as_str()).href("/search")
                },
                selected,
            }
        })
        .collect();
    FacetGroup { facet, options }
}

fn by_count(map: &BTreeMap<String, u64>) -> impl Iterator<Item = (&String, &u64)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    entries.into_iter()
}

pub(super) fn groups(results: &SearchResults, query: &Query) -> Vec<FacetGroup> {
    let f = &results.facets;
    let kinds = Kind::ALL.iter().filter_map(|kind| {
        f.kind
            .get_key_value(kind.as_str())
            .filter(|(_, count)| **count > 0)
    });
    vec![
        facet_group(Facet::Kind, "kind", query, kinds, |k| {
            format::kind_label(k).to_owned()
        }),
        facet_group(
            Facet::Sector,
            "sector",
            query,
            by_count(&f.sector),
            str::to_owned,
        ),
        facet_group(
            Facet::Violation,
            "violation",
            query,
            by_count(&f.violation),
            str::to_owned,
        ),
        year_group(&f.year, query),
        facet_group(Facet::Access, "access", query, f.access.iter(), |a| {
            format::access_label(a).to_owned()
        }),
    ]
}

/// Years, newest first; each toggles both ends of the range at once.
fn year_group(counts: &BTreeMap<String, u64>, query: &Query) -> FacetGroup {
    let year_selected = match (query.get("year_from"), query.get("year_to")) {
        (Some(from), Some(to)) if from == to => from.to_owned(),
        _ => String::new(),
    };
    let mut years: Vec<_> = counts.iter().collect();
    years.sort_by(|a, b| b.0.cmp(a.0));
    let options = years
        .into_iter()
        .map(|(year, count)| {
            let selected = *year == year_selected;
            let base = query.clone().without("page");
            let href = if selected {
                base.without("year_from").without("year_to")
            } else {
                base.set("year_from", year.as_str())
                    .set("year_to", year.as_str())
            }
            .href("/search");
            FacetOption {
                label: format!("{year} 年"),
                count: *count,
                href,
                selected,
            }
        })
        .collect();
    FacetGroup {
        facet: Facet::Year,
        options,
    }
}

/// "现在可借": shown when something is available or the filter is on.
pub(super) fn available_option(results: &SearchResults, query: &Query) -> Option<FacetOption> {
    let selected = query.get("available").is_some();
    (results.facets.available > 0 || selected).then(|| {
        let base = query.clone().without("page");
        FacetOption {
            label: "现在可借".to_owned(),
            count: results.facets.available,
            href: if selected {
                base.without("available")
            } else {
                base.set("available", "true")
            }
            .href("/search"),
            selected,
        }
    })
}

pub(super) fn active_filters(query: &Query) -> Vec<ActiveFilter> {
    let mut active = Vec::new();
    let base = query.clone().without("page");
    let mut push = |label: String, remove: Query| {
        active.push(ActiveFilter {
            label,
            remove_href: remove.href("/search"),
        })
    };
    if let Some(kind) = query.get("kind") {
        push(
            format!("类型：{}", format::kind_label(kind)),
            base.clone().without("kind"),
        );
    }
    if let Some(sector) = query.get("sector") {
        push(format!("行业：{sector}"), base.clone().without("sector"));
    }
    if let Some(violation) = query.get("violation") {
        push(
            format!("违纪违法类型：{violation}"),
            base.clone().without("violation"),
        );
    }
    match (query.get("year_from"), query.get("year_to")) {
        (None, None) => {}
        (from, to) => {
            let label = match (from, to) {
                (Some(f), Some(t)) if f == t => format!("年份：{f} 年"),
                (Some(f), Some(t)) => format!("年份：{f}–{t} 年"),
                (Some(f), None) => format!("年份：{f} 年以后"),
                (None, Some(t)) => format!("年份：{t} 年以前"),
                (None, None) => String::new(),
            };
            push(label, base.clone().without("year_from").without("year_to"));
        }
    }
    if let Some(access) = query.get("access") {
        push(
            format!("开放方式：{}", format::access_label(access)),
            base.clone().without("access"),
        );
    }
    if query.get("available").is_some() {
        push("现在可借".to_owned(), base.clone().without("available"));
    }
    active
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facet_links_toggle_their_filter() {
        let query = Query::new()
            .set("q", "受贿")
            .set("kind", "case")
            .set("page", "3");
        let counts = BTreeMap::from([("case".to_owned(), 3u64), ("video".to_owned(), 2u64)]);
        let group = facet_group(Facet::Kind, "kind", &query, counts.iter(), str::to_owned);
        let case = &group.options[0];
        assert!(case.selected);
        assert_eq!(case.href, "/search?q=%E5%8F%97%E8%B4%BF");
        assert_eq!(
            group.options[1].href,
            "/search?q=%E5%8F%97%E8%B4%BF&kind=video"
        );
    }
}
