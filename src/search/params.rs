//! A search's query string (`q=月饼&kind=case`) as the API, the search page and saved
//! searches read it: every value arrives as text, so that a bad one is refused with a
//! message naming the parameter, and becomes a [`SearchRequest`] for an [`Audience`].

use serde::Deserialize;

use super::QueryError;
use super::request::{Audience, DEFAULT_PER_PAGE, MAX_PER_PAGE, SearchRequest, SortOrder};
use crate::catalog::Kind;

/// Deepest page a query string may ask for.
const MAX_PAGE: usize = 10_000;

/// The query string of a search, shared by the API, the search page and saved searches.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct SearchParams {
    /// Words (all must match), `"exact phrase"`, `-excluded`.
    pub q: Option<String>,
    /// `video`, `case`, `confession` or `textbook`.
    pub kind: Option<String>,
    pub sector: Option<String>,
    pub violation: Option<String>,
    pub year_from: Option<String>,
    pub year_to: Option<String>,
    pub access: Option<String>,
    pub available: Option<String>,
    /// `relevance` (default), `newest` or `borrowed`.
    pub sort: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    /// Librarians only: include drafts and withdrawn resources.
    pub include_unpublished: Option<String>,
    /// `true` puts the matches of the signed-in user's unit's sector first ("本行业优先"),
    /// each group in the requested order; the total and facets are unchanged. No effect
    /// without a unit sector or with a `sector` filter. `true`/`false` (also `1`/`0`,
    /// `yes`/`no`, `on`/`off`).
    pub sector_first: Option<String>,
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// What a refused value is quoted as: at most 40 characters of it.
fn quoted(text: &str) -> String {
    text.chars().take(40).collect()
}

fn number<T: std::str::FromStr>(
    name: &'static str,
    value: &Option<String>,
) -> Result<Option<T>, QueryError> {
    match non_empty(value) {
        None => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| QueryError::NotANumber {
            name,
            got: quoted(&text),
        }),
    }
}

/// Reads an optional yes/no parameter, naming it in the message when it is neither.
pub fn flag(name: &'static str, value: &Option<String>) -> Result<Option<bool>, QueryError> {
    match non_empty(value).as_deref() {
        None => Ok(None),
        Some("1" | "true" | "yes" | "on") => Ok(Some(true)),
        Some("0" | "false" | "no" | "off") => Ok(Some(false)),
        Some(other) => Err(QueryError::NotAFlag {
            name,
            got: quoted(other),
        }),
    }
}

/// The `kind` filter, which must be one of the catalogue's kinds: a typo would
/// otherwise quietly find nothing.
fn known_kind(value: &Option<String>) -> Result<Option<String>, QueryError> {
    let Some(kind) = non_empty(value) else {
        return Ok(None);
    };
    if Kind::ALL.iter().any(|k| k.as_str() == kind) {
        return Ok(Some(kind));
    }
    let allowed: Vec<String> = Kind::ALL
        .iter()
        .map(|k| format!("{}（{}）", k.as_str(), k.label()))
        .collect();
    Err(QueryError::UnknownKind {
        allowed: allowed.join("、"),
        got: quoted(&kind),
    })
}

impl SearchParams {
    /// Reads a query string (`q=月饼&kind=case`); a repeated or malformed parameter is
    /// refused in words.
    pub fn from_query_string(query: &str) -> Result<Self, QueryError> {
        serde_urlencoded::from_str(query).map_err(|err| QueryError::Malformed(err.to_string()))
    }

    /// Checks the parameters and builds the request of `audience`: librarians may
    /// include drafts; borrowers find only what is shared with their unit.
    pub fn request_for(&self, audience: Audience) -> Result<SearchRequest, QueryError> {
        let sort = match non_empty(&self.sort) {
            None => SortOrder::Relevance,
            Some(sort) => sort.parse()?,
        };
        let page: usize = number("page", &self.page)?.unwrap_or(1);
        if page == 0 || page > MAX_PAGE {
            return Err(QueryError::OutOfRange {
                name: "page",
                max: MAX_PAGE,
            });
        }
        let per_page: usize = number("per_page", &self.per_page)?.unwrap_or(DEFAULT_PER_PAGE);
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(QueryError::OutOfRange {
                name: "per_page",
                max: MAX_PER_PAGE,
            });
        }
        let include_unpublished = flag("include_unpublished", &self.include_unpublished)?;
        Ok(SearchRequest {
            q: self.q.clone().unwrap_or_default(),
            kind: known_kind(&self.kind)?,
            sector: non_empty(&self.sector),
            violation: non_empty(&self.violation),
            year_from: number("year_from", &self.year_from)?,
            year_to: number("year_to", &self.year_to)?,
            access: non_empty(&self.access),
            available: flag("available", &self.available)?,
            status: None,
            // Judged on the day the search runs.
            unavailable: super::Unavailable::default(),
            sort,
            page,
            per_page,
            include_unpublished: audience.librarian && include_unpublished.unwrap_or(false),
            group: true,
            audience,
        })
    }

    /// The parameters that say what is searched for, in a fixed order and without
    /// paging, as a query string: the stable form a saved search keeps.
    pub fn canonical(&self) -> String {
        let pairs: Vec<(&str, String)> = [
            ("q", &self.q),
            ("kind", &self.kind),
            ("sector", &self.sector),
            ("violation", &self.violation),
            ("year_from", &self.year_from),
            ("year_to", &self.year_to),
            ("access", &self.access),
            ("available", &self.available),
            ("include_unpublished", &self.include_unpublished),
            ("sort", &self.sort),
            ("sector_first", &self.sector_first),
        ]
        .into_iter()
        .filter_map(|(name, value)| non_empty(value).map(|value| (name, value)))
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

impl SearchRequest {
    /// Refuses what no search could answer: a query too long or with nothing
    /// searchable in it, or a year range that ends before it starts.
    pub fn check(&self) -> Result<(), QueryError> {
        super::query::parse(&self.q)?;
        if let (Some(from), Some(to)) = (self.year_from, self.year_to)
            && from > to
        {
            return Err(QueryError::YearRange { from, to });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_string_becomes_a_request_and_a_canonical_form() {
        let params =
            SearchParams::from_query_string("page=3&kind=case&q=%E6%9C%88%E9%A5%BC").unwrap();
        let request = params.request_for(Audience::librarian()).unwrap();
        assert_eq!(request.q, "月饼");
        assert_eq!(request.kind.as_deref(), Some("case"));
        assert_eq!(request.page, 3);
        assert_eq!(params.canonical(), "q=%E6%9C%88%E9%A5%BC&kind=case");
        request.check().unwrap();
    }

    #[test]
    fn bad_values_are_named() {
        let message = |query: &str| {
            SearchParams::from_query_string(query)
                .and_then(|p| p.request_for(Audience::default()))
                .and_then(|r| r.check().map(|()| r))
                .unwrap_err()
                .to_string()
        };
        assert!(message("kind=film").contains("参数 kind 应为"));
        assert!(message("year_from=abc").contains("参数 year_from 应为数字"));
        assert!(message("available=maybe").contains("参数 available 应为 true 或 false"));
        assert!(message("page=0").contains("参数 page 应在 1 到 10000 之间"));
        assert!(message("q=a&q=b").contains("检索条件无法解析"));
        assert!(message("year_from=2020&year_to=2010").contains("年份范围无效"));
        assert!(message("q=%F0%9F%98%80").contains("没有可检索的文字"));
    }

    #[test]
    fn only_librarians_include_drafts() {
        let params = SearchParams::from_query_string("include_unpublished=true").unwrap();
        assert!(
            params
                .request_for(Audience::librarian())
                .unwrap()
                .include_unpublished
        );
        assert!(
            !params
                .request_for(Audience::default())
                .unwrap()
                .include_unpublished
        );
    }
}
