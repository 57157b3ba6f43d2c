//! The collection as stored and shown, its inputs, and the checks on them that need
//! no database (the items' existence is checked where they are written).

use serde::{Deserialize, Serialize};

use super::CollectionError;
use crate::catalog::{Access, Kind, Status};
use crate::seasons::Season;

/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest introduction, in characters.
pub const MAX_INTRO_CHARS: usize = 5000;
/// The longest note of one item, in characters.
pub const MAX_NOTE_CHARS: usize = 200;
/// The most items one collection holds.
pub const MAX_ITEMS: usize = 100;
/// The most sectors a collection names, and the longest sector name.
const MAX_SECTORS: usize = 30;
const MAX_SECTOR_CHARS: usize = 50;

/// A collection's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct CollectionId(pub i64);

impl CollectionId {
    /// The id in a path or form; anything but a positive number is no collection.
    pub fn parse(raw: &str) -> Result<Self, CollectionError> {
        raw.trim()
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(CollectionId)
            .ok_or_else(|| CollectionError::NotFound(shorten(raw, 40)))
    }
}

impl std::fmt::Display for CollectionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Draft until published; a withdrawn collection may be published again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CollectionStatus {
    Draft,
    Published,
    Withdrawn,
}

impl CollectionStatus {
    pub const ALL: [CollectionStatus; 3] = [
        CollectionStatus::Draft,
        CollectionStatus::Published,
        CollectionStatus::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CollectionStatus::Draft => "draft",
            CollectionStatus::Published => "published",
            CollectionStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CollectionStatus::Draft => "草稿",
            CollectionStatus::Published => "已发布",
            CollectionStatus::Withdrawn => "已撤回",
        }
    }

    /// The state after "该专题" in a message.
    pub fn phrase(self) -> &'static str {
        match self {
            CollectionStatus::Draft => "还是草稿",
            CollectionStatus::Published => "已发布",
            CollectionStatus::Withdrawn => "已撤回",
        }
    }

    pub fn parse(value: &str) -> Result<Self, CollectionError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == value.trim())
            .ok_or_else(|| {
                CollectionError::invalid(
                    "status",
                    format!(
                        "状态“{}”无效，应为 draft（草稿）、published（已发布）或 withdrawn（已撤回）",
                        shorten(value, 40)
                    ),
                )
            })
    }
}

/// One item as the input names it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    pub resource_id: String,
    /// How to use it ("建议在会前播放"), at most 200 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /api/v1/collections`: a new draft.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectionInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub intro: Option<String>,
    /// In the order they are to be shown.
    #[serde(default)]
    pub items: Vec<ItemInput>,
    /// The sectors it is meant for (none: every sector).
    #[serde(default)]
    pub sectors: Vec<String>,
    /// The holiday period: `yuandan`, `chunjie`, `qingming`, `wuyi`, `duanwu`,
    /// `zhongqiu` or `guoqing` (or its name, 春节).
    #[serde(default)]
    pub season: Option<String>,
}

/// `PATCH /api/v1/collections/{id}`: only the fields present change; `items` replaces
/// the whole list (its order is the new order); `"season": null` clears the season.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectionPatch {
    pub title: Option<String>,
    pub intro: Option<String>,
    pub items: Option<Vec<ItemInput>>,
    pub sectors: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::catalog::curation::nullable")]
    #[schema(value_type = Option<String>)]
    pub season: Option<Option<String>>,
}

/// One item of a collection as a viewer sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CollectionItem {
    /// Its place in the list, from 0.
    pub position: u32,
    pub resource_id: String,
    pub note: String,
    pub title: String,
    pub kind: Kind,
    pub kind_label: &'static str,
    pub access: Access,
    /// The resource's own state (a librarian may list a draft; units see it once
    /// it is published).
    pub resource_status: Status,
}

/// A collection with its items.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Collection {
    pub id: CollectionId,
    pub title: String,
    pub intro: String,
    /// The season's code (`chunjie`), if it belongs to one.
    pub season: Option<String>,
    /// The season's name (春节).
    pub season_label: Option<&'static str>,
    pub sectors: Vec<String>,
    pub status: CollectionStatus,
    pub status_label: &'static str,
    /// In order; for a borrower only those they may see.
    pub items: Vec<CollectionItem>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub published_at: Option<String>,
}

/// A collection in a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CollectionSummary {
    pub id: CollectionId,
    pub title: String,
    pub intro: String,
    pub season: Option<String>,
    pub season_label: Option<&'static str>,
    pub sectors: Vec<String>,
    pub status: CollectionStatus,
    pub status_label: &'static str,
    /// The items the viewer may see.
    pub item_count: usize,
    pub updated_at: String,
    pub published_at: Option<String>,
}

impl Collection {
    pub fn summary(&self) -> CollectionSummary {
        CollectionSummary {
            id: self.id,
            title: self.title.clone(),
            intro: self.intro.clone(),
            season: self.season.clone(),
            season_label: self.season_label,
            sectors: self.sectors.clone(),
            status: self.status,
            status_label: self.status_label,
            item_count: self.items.len(),
            updated_at: self.updated_at.clone(),
            published_at: self.published_at.clone(),
        }
    }
}

/// One entry of the edit history: who changed what, and the whole collection after.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Revision {
    pub id: i64,
    pub revised_by: String,
    pub revised_at: String,
    /// What changed, in a short sentence (修改标题；新增 2 项).
    pub summary: String,
    #[schema(value_type = Object)]
    pub snapshot: serde_json::Value,
}

/// The first `max` characters of `text` (for naming what someone typed in a message).
pub(crate) fn shorten(text: &str, max: usize) -> String {
    let mut short: String = text.trim().chars().take(max).collect();
    if text.trim().chars().count() > max {
        short.push('…');
    }
    short
}

/// `text` trimmed, refused when longer than `max` characters (`what` names it).
fn at_most(field: &str, what: &str, text: &str, max: usize) -> Result<String, CollectionError> {
    let text = text.trim();
    let chars = text.chars().count();
    if chars > max {
        return Err(CollectionError::invalid(
            field,
            format!("{what}最多 {max} 个字，现有 {chars} 个字"),
        ));
    }
    Ok(text.to_owned())
}

/// A required title of at most [`MAX_TITLE_CHARS`], trimmed.
pub(crate) fn checked_title(title: &str) -> Result<String, CollectionError> {
    let title = at_most("title", "专题标题", title, MAX_TITLE_CHARS)?;
    if title.is_empty() {
        return Err(CollectionError::invalid("title", "请填写专题标题"));
    }
    Ok(title)
}

/// An introduction of at most [`MAX_INTRO_CHARS`], trimmed.
pub(crate) fn checked_intro(intro: &str) -> Result<String, CollectionError> {
    at_most("intro", "专题简介", intro, MAX_INTRO_CHARS)
}

/// The season by code or name; empty is none.
pub(crate) fn checked_season(season: Option<&str>) -> Result<Option<Season>, CollectionError> {
    let Some(text) = season.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    Season::parse(text).map(Some).ok_or_else(|| {
        let known: Vec<String> = Season::ALL
            .iter()
            .map(|s| format!("{}（{}）", s.label(), s.code()))
            .collect();
        CollectionError::invalid(
            "season",
            format!(
                "节点“{}”无效，应为 {} 之一，或不填",
                shorten(text, 40),
                known.join("、")
            ),
        )
    })
}

/// Sectors trimmed, empty ones dropped, each once in the order first given.
pub(crate) fn checked_sectors(sectors: &[String]) -> Result<Vec<String>, CollectionError> {
    let mut kept: Vec<String> = Vec::new();
    for sector in sectors.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if sector.chars().count() > MAX_SECTOR_CHARS {
            return Err(CollectionError::invalid(
                "sectors",
                format!(
                    "行业名称“{}”太长，最多 {MAX_SECTOR_CHARS} 个字",
                    shorten(sector, 20)
                ),
            ));
        }
        if !kept.iter().any(|k| k == sector) {
            kept.push(sector.to_owned());
        }
    }
    if kept.len() > MAX_SECTORS {
        return Err(CollectionError::invalid(
            "sectors",
            format!("适用行业最多 {MAX_SECTORS} 个，现有 {} 个", kept.len()),
        ));
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_intros_and_seasons_are_checked() {
        assert_eq!(checked_title("  廉洁过节  ").unwrap(), "廉洁过节");
        assert!(checked_title("   ").is_err());
        assert!(checked_title(&"字".repeat(200)).is_ok());
        let long = checked_title(&"字".repeat(201)).unwrap_err().to_string();
        assert!(long.contains("201"), "{long}");
        assert!(checked_intro(&"字".repeat(5000)).is_ok());
        assert!(checked_intro(&"字".repeat(5001)).is_err());
        assert_eq!(checked_season(Some("春节")).unwrap(), Some(Season::Chunjie));
        assert_eq!(
            checked_season(Some(" zhongqiu ")).unwrap(),
            Some(Season::Zhongqiu)
        );
        assert_eq!(checked_season(Some("")).unwrap(), None);
        assert_eq!(checked_season(None).unwrap(), None);
        let bad = checked_season(Some("<b>圣诞</b>")).unwrap_err().to_string();
        assert!(bad.contains("春节（chunjie）"), "{bad}");
    }

    #[test]
    fn sectors_are_trimmed_and_each_kept_once() {
        let sectors = ["  税务 ", "", "海关", "税务", " "].map(str::to_owned);
        assert_eq!(checked_sectors(&sectors).unwrap(), ["税务", "海关"]);
        assert!(checked_sectors(&["行".repeat(51)]).is_err());
    }

    #[test]
    fn ids_are_positive_numbers() {
        assert_eq!(CollectionId::parse("12").unwrap(), CollectionId(12));
        for raw in ["0", "-1", "../x", "1e3", "", "x1"] {
            assert!(matches!(
                CollectionId::parse(raw),
                Err(CollectionError::NotFound(_))
            ));
        }
    }
}
