//! The resource model of the catalogue (SPEC §3) and its validated inputs.
//!
//! Over 400 lines on purpose: one vocabulary (kinds, access, status, dates, copies) and the validation of inputs made of it.

use serde::{Deserialize, Serialize};

use super::CatalogError;
use super::base::{BaseDetails, BaseInput};

/// What a resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// 警示教育片
    Video,
    /// 典型案例通报
    Case,
    /// 忏悔录
    Confession,
    /// 教材
    Textbook,
    /// 警示教育基地: visited by groups in sessions, not lent (SPEC §8).
    Base,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Video,
        Kind::Case,
        Kind::Confession,
        Kind::Textbook,
        Kind::Base,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Video => "video",
            Kind::Case => "case",
            Kind::Confession => "confession",
            Kind::Textbook => "textbook",
            Kind::Base => "base",
        }
    }

    /// The Chinese name shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Video => "警示教育片",
            Kind::Case => "典型案例通报",
            Kind::Confession => "忏悔录",
            Kind::Textbook => "教材",
            Kind::Base => "警示教育基地",
        }
    }

    pub fn parse(value: &str) -> Result<Self, CatalogError> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == value.trim())
            .ok_or_else(|| {
                CatalogError::invalid(
                    "kind",
                    format!(
                        "“{value}”不是已知的类型；应为 video、case、confession、textbook 或 base"
                    ),
                )
            })
    }
}

/// Who may see a resource's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Any signed-in user may view the content.
    Open,
    /// Content only through an active loan of the viewer's unit.
    Loan,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Open => "open",
            Access::Loan => "loan",
        }
    }

    pub fn parse(value: &str) -> Result<Self, CatalogError> {
        match value.trim() {
            "open" => Ok(Access::Open),
            "loan" => Ok(Access::Loan),
            other => Err(CatalogError::invalid(
                "access",
                format!("“{other}”不是有效的开放方式；应为 open 或 loan"),
            )),
        }
    }
}

/// Publication state; only `published` is visible to borrowers (within its sharing
/// scope, SPEC §9). `submitted` and `returned` are a unit's contribution under review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Published,
    Withdrawn,
    /// A unit's contribution awaiting review.
    Submitted,
    /// A contribution sent back to its unit with comments.
    Returned,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Published => "published",
            Status::Withdrawn => "withdrawn",
            Status::Submitted => "submitted",
            Status::Returned => "returned",
        }
    }

    pub fn parse(value: &str) -> Result<Self, CatalogError> {
        match value.trim() {
            "draft" => Ok(Status::Draft),
            "published" => Ok(Status::Published),
            "withdrawn" => Ok(Status::Withdrawn),
            "submitted" => Ok(Status::Submitted),
            "returned" => Ok(Status::Returned),
            other => Err(CatalogError::invalid(
                "status",
                format!("“{other}”不是有效的状态；应为 draft、published 或 withdrawn"),
            )),
        }
    }

    /// The state in words, after "该资源" (an error message's end).
    pub fn phrase(self) -> &'static str {
        match self {
            Status::Draft => "还是草稿",
            Status::Published => "已发布",
            Status::Withdrawn => "已撤回",
            Status::Submitted => "正在等待审核",
            Status::Returned => "已退回单位修改",
        }
    }

    /// A contribution under review: set only by the contribution steps, never by a
    /// manifest, a create or a patch.
    pub fn is_under_review(self) -> bool {
        matches!(self, Status::Submitted | Status::Returned)
    }
}

/// Who may see a published contribution (SPEC §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Share {
    /// Every unit.
    #[default]
    All,
    /// The units of the contributor's sector.
    Sector,
    /// The committee's librarians only.
    Committee,
}

impl Share {
    pub const ALL: [Share; 3] = [Share::All, Share::Sector, Share::Committee];

    pub fn as_str(self) -> &'static str {
        match self {
            Share::All => "all",
            Share::Sector => "sector",
            Share::Committee => "committee",
        }
    }

    pub fn parse(value: &str) -> Result<Self, CatalogError> {
        match value.trim() {
            "all" => Ok(Share::All),
            "sector" => Ok(Share::Sector),
            "committee" => Ok(Share::Committee),
            other => Err(CatalogError::invalid(
                "share",
                format!("“{other}”不是有效的共享范围；应为 all、sector 或 committee"),
            )),
        }
    }

    /// The Chinese words for it on the pages.
    pub fn label(self) -> &'static str {
        match self {
            Share::All => "所有单位",
            Share::Sector => "本行业单位",
            Share::Committee => "仅工委",
        }
    }
}

/// Who may see a resource: its status and, for a unit's contribution, the unit, its
/// sector and the sharing scope. What the access policy decides on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Visibility {
    pub status: Status,
    pub share: Share,
    /// The contributing unit's code (`None`: the committee's own material).
    pub contributed_by: Option<String>,
    /// The contributing unit's sector, for `share = sector`.
    pub contributor_sector: Option<String>,
}

impl Visibility {
    /// The committee's own material in `status`.
    pub fn of_status(status: Status) -> Self {
        Visibility {
            status,
            share: Share::All,
            contributed_by: None,
            contributor_sector: None,
        }
    }

    /// The index's scope terms: who may find it once published. A borrower's search
    /// matches `all`, `sector:<their sector>` and `unit:<their unit>`.
    pub fn scope_terms(&self) -> Vec<String> {
        let mut terms = Vec::new();
        match (self.share, &self.contributed_by, &self.contributor_sector) {
            (Share::All, _, _) => terms.push("all".to_owned()),
            (Share::Sector, Some(_), Some(sector)) if !sector.is_empty() => {
                terms.push(format!("sector:{sector}"));
            }
            _ => {}
        }
        if let Some(unit) = &self.contributed_by {
            terms.push(format!("unit:{unit}"));
        }
        terms
    }
}

/// A date of year, month or day precision, as the manifest allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PartialDate {
    pub text: String,
    pub year: i32,
}

impl PartialDate {
    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD` and checks that the date exists.
    pub fn parse(value: &str) -> Result<Self, CatalogError> {
        let value = value.trim();
        let bad = || {
            CatalogError::invalid(
                "date",
                format!("日期“{value}”无效；应为 YYYY、YYYY-MM 或 YYYY-MM-DD"),
            )
        };
        let parts: Vec<&str> = value.split('-').collect();
        let number = |part: &str, len: usize| -> Result<i32, CatalogError> {
            if part.len() != len || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse().map_err(|_| bad())
        };
        let year = number(parts.first().ok_or_else(bad)?, 4)?;
        if !(1900..=2100).contains(&year) {
            return Err(bad());
        }
        match parts.len() {
            1 => {}
            2 => {
                let month = number(parts[1], 2)?;
                if !(1..=12).contains(&month) {
                    return Err(bad());
                }
            }
            3 => {
                let (month, day) = (number(parts[1], 2)?, number(parts[2], 2)?);
                jiff::civil::Date::new(year as i16, month as i8, day as i8).map_err(|_| bad())?;
            }
            _ => return Err(bad()),
        }
        Ok(Self {
            text: value.to_owned(),
            year,
        })
    }

    /// A sortable `YYYYMMDD` number with missing parts as zero.
    pub fn sort_key(&self) -> i64 {
        let mut parts = self.text.split('-').map(|p| p.parse::<i64>().unwrap_or(0));
        let year = parts.next().unwrap_or(0);
        let month = parts.next().unwrap_or(0);
        let day = parts.next().unwrap_or(0);
        year * 10_000 + month * 100 + day
    }
}

/// One physical copy as given in a manifest or the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyInput {
    pub barcode: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub condition: Option<String>,
}

/// Physical copies: a count (barcodes are generated) or an explicit list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum CopiesInput {
    Count(u32),
    List(Vec<CopyInput>),
}

/// A resource as written in an import manifest or a create request (SPEC §7).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceInput {
    #[serde(default)]
    pub id: Option<String>,
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub sectors: Vec<String>,
    #[serde(default)]
    pub violations: Vec<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub access: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub licences: Option<u32>,
    #[serde(default)]
    pub copies: Option<CopiesInput>,
    /// Seconds, for videos.
    #[serde(default)]
    pub duration: Option<u32>,
    /// Page count, for documents.
    #[serde(default)]
    pub pages: Option<u32>,
    /// Paths relative to the manifest's folder (import only).
    #[serde(default)]
    pub files: Vec<String>,
    /// What a base is like for a visiting group (SPEC §8): required for kind `base`,
    /// refused for the other kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<BaseInput>,
}

/// The validated, normalised form of a [`ResourceInput`].
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ResourceFields {
    pub kind: Kind,
    pub title: String,
    pub summary: String,
    pub tags: Vec<String>,
    pub sectors: Vec<String>,
    pub violations: Vec<String>,
    pub region: String,
    pub date: Option<PartialDate>,
    pub source: String,
    pub access: Access,
    pub status: Status,
    pub licences: Option<u32>,
    pub duration_seconds: Option<u32>,
    pub pages: Option<u32>,
    /// A base's details; `None` for the other kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<BaseDetails>,
}

/// A stable, URL-safe resource identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct ResourceId(String);

impl ResourceId {
    /// Accepts lowercase letters, digits, `-` and `_`, starting with a letter or digit.
    pub fn parse(value: &str) -> Result<Self, CatalogError> {
        let ok = !value.is_empty()
            && value.len() <= 80
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            && value.as_bytes()[0].is_ascii_alphanumeric();
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(CatalogError::invalid(
                "id",
                format!(
                    "编号“{value}”无效；只能包含小写字母、数字、- 和 _，且以字母或数字开头（最长 80 个字符）"
                ),
            ))
        }
    }

    /// A fresh random id such as `case-7k2m9x4q`.
    pub fn generate(kind: Kind) -> Self {
        Self(format!("{}-{}", kind.as_str(), random_token(8)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ResourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Lowercase base-36 random characters, for ids that must be URL-safe.
pub fn random_token(len: usize) -> String {
    use rand::RngExt;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

fn clean_list(field: &str, values: &[String]) -> Result<Vec<String>, CatalogError> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if value.chars().count() > 100 {
            return Err(CatalogError::invalid(field, "单项不能超过 100 个字符"));
        }
        if !out.iter().any(|existing| existing == value) {
            out.push(value.to_owned());
        }
    }
    Ok(out)
}

fn clean_text(field: &str, value: Option<&str>, max_chars: usize) -> Result<String, CatalogError> {
    let value = value.unwrap_or("").trim();
    if value.chars().count() > max_chars {
        return Err(CatalogError::invalid(
            field,
            format!("不能超过 {max_chars} 个字符"),
        ));
    }
    Ok(value.to_owned())
}

impl ResourceInput {
    /// Checks every field and returns the normalised values.
    pub fn validate(&self) -> Result<ResourceFields, CatalogError> {
        let title = clean_text("title", Some(&self.title), 300)?;
        if title.is_empty() {
            return Err(CatalogError::invalid("title", "标题不能为空"));
        }
        let kind = Kind::parse(&self.kind)?;
        let base = self.checked_base(kind)?;
        Ok(ResourceFields {
            kind,
            title,
            summary: clean_text("summary", self.summary.as_deref(), 5_000)?,
            tags: clean_list("tags", &self.tags)?,
            sectors: clean_list("sectors", &self.sectors)?,
            violations: clean_list("violations", &self.violations)?,
            region: clean_text("region", self.region.as_deref(), 100)?,
            date: match self.date.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(date) => Some(PartialDate::parse(date)?),
            },
            source: clean_text("source", self.source.as_deref(), 300)?,
            access: match &self.access {
                Some(access) => Access::parse(access)?,
                // A base's page and pictures are for every unit planning a visit.
                None if kind == Kind::Base => Access::Open,
                None => Access::Loan,
            },
            status: match &self.status {
                Some(status) => Status::parse(status)?,
                None => Status::Published,
            },
            // A base lends nothing: no licence (not "unlimited") and no copy.
            licences: if base.is_some() {
                Some(0)
            } else {
                self.licences
            },
            duration_seconds: self.duration,
            pages: self.pages,
            base,
        })
    }

    /// The base's details for kind `base` (required), none for the other kinds (which
    /// may not have them); a base has no licences and no copies.
    fn checked_base(&self, kind: Kind) -> Result<Option<BaseDetails>, CatalogError> {
        if kind != Kind::Base {
            return match self.base {
                Some(_) => Err(CatalogError::invalid(
                    "base",
                    "只有警示教育基地（类型 base）才有基地信息，其他类型请不要填写",
                )),
                None => Ok(None),
            };
        }
        let Some(base) = &self.base else {
            return Err(CatalogError::invalid(
                "base",
                "警示教育基地必须填写基地信息（地址、每场可接待人数等）",
            ));
        };
        if self.licences.is_some_and(|n| n > 0) {
            return Err(CatalogError::invalid(
                "licences",
                "警示教育基地只接待参观、不外借，不能设置数字许可",
            ));
        }
        let has_copies = match &self.copies {
            None => false,
            Some(CopiesInput::Count(n)) => *n > 0,
            Some(CopiesInput::List(list)) => !list.is_empty(),
        };
        if has_copies {
            return Err(CatalogError::invalid(
                "copies",
                "警示教育基地只接待参观、不外借，不能登记实体副本",
            ));
        }
        base.validate().map(Some)
    }

    /// The checked fields, the id (the one given, or a new one of the kind) and, when
    /// the input lists copies, their explicit list.
    pub fn checked(
        &self,
    ) -> Result<(ResourceFields, ResourceId, Option<Vec<CopyInput>>), CatalogError> {
        let fields = self.validate()?;
        let id = match &self.id {
            Some(id) => ResourceId::parse(id.trim())?,
            None => ResourceId::generate(fields.kind),
        };
        let copies = self
            .copies
            .as_ref()
            .map(|_| self.copy_list(&id))
            .transpose()?;
        Ok((fields, id, copies))
    }

    /// The copies as an explicit list, generating barcodes `<ID>-<n>` for a count.
    pub fn copy_list(&self, id: &ResourceId) -> Result<Vec<CopyInput>, CatalogError> {
        match &self.copies {
            None => Ok(Vec::new()),
            Some(CopiesInput::Count(count)) => {
                if *count > 1_000 {
                    return Err(CatalogError::invalid("copies", "实体副本数量不能超过 1000"));
                }
                Ok((1..=*count)
                    .map(|n| CopyInput {
                        barcode: format!("{}-{n:03}", id.as_str().to_uppercase()),
                        location: String::new(),
                        condition: None,
                    })
                    .collect())
            }
            Some(CopiesInput::List(list)) => {
                let mut seen = std::collections::HashSet::new();
                for copy in list {
                    if copy.barcode.trim().is_empty() {
                        return Err(CatalogError::invalid("copies", "副本条码不能为空"));
                    }
                    if !seen.insert(copy.barcode.trim()) {
                        return Err(CatalogError::invalid(
                            "copies",
                            format!("条码“{}”重复", copy.barcode.trim()),
                        ));
                    }
                }
                Ok(list
                    .iter()
                    .map(|copy| CopyInput {
                        barcode: copy.barcode.trim().to_owned(),
                        location: copy.location.trim().to_owned(),
                        condition: copy.condition.as_ref().map(|c| c.trim().to_owned()),
                    })
                    .collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_of_three_precisions_parse_and_bad_ones_are_refused() {
        assert_eq!(PartialDate::parse("2023").unwrap().year, 2023);
        assert_eq!(PartialDate::parse("2023-07").unwrap().sort_key(), 20230700);
        assert_eq!(
            PartialDate::parse("2024-02-29").unwrap().sort_key(),
            20240229
        );
        for bad in [
            "2023-02-30",
            "23",
            "2023-13",
            "2023/01/01",
            "abcd",
            "2023-1-1",
            "",
        ] {
            assert!(PartialDate::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn ids_must_be_url_safe() {
        assert!(ResourceId::parse("demo-case_01").is_ok());
        for bad in ["", "../etc", "A", "-x", "a/b", "a b", "中文"] {
            assert!(ResourceId::parse(bad).is_err(), "{bad} should be refused");
        }
        let generated = ResourceId::generate(Kind::Case);
        assert!(ResourceId::parse(generated.as_str()).is_ok());
    }

    #[test]
    fn validation_names_the_field() {
        let input = ResourceInput {
            kind: "film".into(),
            title: "x".into(),
            ..Default::default()
        };
        let err = input.validate().unwrap_err();
        assert!(matches!(err, CatalogError::Invalid { ref field, .. } if field == "kind"));
        let input = ResourceInput {
            kind: "case".into(),
            title: "  ".into(),
            ..Default::default()
        };
        assert!(
            matches!(input.validate().unwrap_err(), CatalogError::Invalid { ref field, .. } if field == "title")
        );
    }
}
