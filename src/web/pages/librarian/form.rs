//! The editor's form: what the librarian typed, kept as text so that a failed save shows
//! it again, and its conversion into the catalogue's create and patch inputs.

use std::collections::BTreeMap;

use crate::catalog::Resource;
use crate::catalog::curation::ResourcePatch;
use crate::catalog::model::{CopiesInput, CopyInput};
use crate::catalog::{Access, BaseDetails, BaseInput, CatalogError, Kind, ResourceInput};
use crate::web::pages::extract::FormData;
use crate::web::pages::format;

/// Violation types offered whatever the catalogue holds (SPEC §3 and common charges).
pub const BASE_VIOLATIONS: &[&str] = &[
    "违反中央八项规定精神",
    "受贿",
    "贪污",
    "挪用公款",
    "滥用职权",
    "玩忽职守",
    "利用职务便利为他人谋取利益",
    "违规收送礼品礼金",
    "公款吃喝",
    "行贿",
    "违规经商办企业",
];

/// Field name → what to fix.
pub type FieldErrors = BTreeMap<String, String>;

/// The editor's fields as typed.
#[derive(Debug, Clone, Default)]
pub struct ResourceForm {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub tags: String,
    pub sectors: Vec<String>,
    pub sectors_other: String,
    pub violations: Vec<String>,
    pub violations_other: String,
    pub region: String,
    pub date: String,
    pub source: String,
    pub access: String,
    pub licences: String,
    pub duration: String,
    pub pages: String,
    /// One copy a line: `条码 | 存放位置 | 状况`.
    pub copies: String,
    /// A base's details, as typed (only read for kind `base`).
    pub base: BaseForm,
}

/// The `base` object's fields as typed in the editor.
#[derive(Debug, Clone, Default)]
pub struct BaseForm {
    pub address: String,
    pub directions: String,
    pub capacity: String,
    pub lead_days: String,
    pub max_group: String,
    pub requirements: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub needs_visitor_list: bool,
}

impl BaseForm {
    fn from_details(details: &BaseDetails) -> Self {
        Self {
            address: details.address.clone(),
            directions: details.directions.clone(),
            capacity: details.capacity.to_string(),
            lead_days: details.lead_days.to_string(),
            max_group: details.max_group.to_string(),
            requirements: details.requirements.clone(),
            contact_name: details.contact_name.clone(),
            contact_phone: details.contact_phone.clone(),
            needs_visitor_list: details.needs_visitor_list,
        }
    }

    fn from_form(form: &FormData) -> Self {
        let text = |name: &str| form.get(name).replace("\r\n", "\n");
        Self {
            address: text("base_address"),
            directions: text("base_directions"),
            capacity: text("base_capacity"),
            lead_days: text("base_lead_days"),
            max_group: text("base_max_group"),
            requirements: text("base_requirements"),
            contact_name: text("base_contact_name"),
            contact_phone: text("base_contact_phone"),
            needs_visitor_list: !form.get("base_needs_visitor_list").is_empty(),
        }
    }

    /// The `base` object, or what to fix: numbers must be whole numbers here; their
    /// ranges are the catalogue's to check.
    fn to_input(&self, errors: &mut FieldErrors) -> BaseInput {
        let mut whole = |field: &str, text: &str, what: &str| -> Option<i64> {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            let digits: String = text
                .chars()
                .map(|c| match c {
                    '０'..='９' => {
                        char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c)
                    }
                    other => other,
                })
                .collect();
            match digits.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.insert(field.to_owned(), format!("{what}应为整数，现在是“{text}”"));
                    None
                }
            }
        };
        BaseInput {
            capacity: whole("base.capacity", &self.capacity, "每场可接待人数"),
            lead_days: whole("base.lead_days", &self.lead_days, "提前预约的工作日数"),
            max_group: whole("base.max_group", &self.max_group, "单个团组人数上限"),
            address: Some(self.address.clone()),
            directions: Some(self.directions.clone()),
            requirements: Some(self.requirements.clone()),
            contact_name: Some(self.contact_name.clone()),
            contact_phone: Some(self.contact_phone.clone()),
            needs_visitor_list: Some(self.needs_visitor_list),
        }
    }
}

/// Splits a typed list on Chinese and Latin separators.
pub fn split_list(text: &str) -> Vec<String> {
    text.split([',', '，', '、', ';', '；', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn number(errors: &mut FieldErrors, field: &str, text: &str, what: &str) -> Option<Option<u32>> {
    let text = text.trim();
    if text.is_empty() {
        return Some(None);
    }
    match text.parse::<u32>() {
        Ok(n) => Some(Some(n)),
        Err(_) => {
            errors.insert(
                field.to_owned(),
                format!("{what}应为不小于 0 的整数，现在是“{text}”"),
            );
            None
        }
    }
}

impl ResourceForm {
    /// Whether the access radio reads "open" (anything else shows as loan-only).
    pub fn open_access(&self) -> bool {
        Access::parse(&self.access).ok() == Some(Access::Open)
    }

    pub fn blank(kind: &str) -> Self {
        Self {
            kind: if kind.is_empty() { "case" } else { kind }.to_owned(),
            access: "loan".to_owned(),
            ..Self::default()
        }
    }

    pub fn from_resource(resource: &Resource) -> Self {
        Self {
            id: resource.id.clone(),
            kind: resource.kind.as_str().to_owned(),
            title: resource.title.clone(),
            summary: resource.summary.clone(),
            tags: resource.tags.join("、"),
            sectors: resource.sectors.clone(),
            sectors_other: String::new(),
            violations: resource.violations.clone(),
            violations_other: String::new(),
            region: resource.region.clone(),
            date: resource.date.clone().unwrap_or_default(),
            source: resource.source.clone(),
            access: resource.access.as_str().to_owned(),
            licences: resource
                .holdings
                .licences
                .map(|n| n.to_string())
                .unwrap_or_default(),
            duration: resource.duration.map(|n| n.to_string()).unwrap_or_default(),
            pages: resource.pages.map(|n| n.to_string()).unwrap_or_default(),
            copies: resource
                .holdings
                .copies
                .iter()
                .filter(|c| c.in_circulation)
                .map(|c| {
                    format!(
                        "{} | {} | {}",
                        c.barcode,
                        c.location,
                        format::condition_label(&c.condition)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            base: resource
                .base
                .as_ref()
                .map(BaseForm::from_details)
                .unwrap_or_default(),
        }
    }

    pub fn from_form(form: &FormData) -> Self {
        Self {
            id: form.get("id").trim().to_owned(),
            kind: form.get("kind").to_owned(),
            title: form.get("title").to_owned(),
            summary: form.get("summary").to_owned(),
            tags: form.get("tags").to_owned(),
            sectors: form.all("sectors"),
            sectors_other: form.get("sectors_other").to_owned(),
            violations: form.all("violations"),
            violations_other: form.get("violations_other").to_owned(),
            region: form.get("region").to_owned(),
            date: form.get("date").trim().to_owned(),
            source: form.get("source").to_owned(),
            access: form.get("access").to_owned(),
            licences: form.get("licences").to_owned(),
            duration: form.get("duration").to_owned(),
            pages: form.get("pages").to_owned(),
            copies: form.get("copies").replace("\r\n", "\n"),
            base: BaseForm::from_form(form),
        }
    }

    /// Whether the form is for a base (its base fields are read, its holdings not).
    pub fn is_base(&self) -> bool {
        Kind::parse(&self.kind).ok() == Some(Kind::Base)
    }

    /// The base object for a base; `None` for the other kinds, whose form still
    /// carries the (hidden, empty) base fields.
    fn base_input(&self, errors: &mut FieldErrors) -> Option<BaseInput> {
        self.is_base().then(|| self.base.to_input(errors))
    }

    fn all_sectors(&self) -> Vec<String> {
        let mut all = self.sectors.clone();
        all.extend(split_list(&self.sectors_other));
        all
    }

    fn all_violations(&self) -> Vec<String> {
        let mut all = self.violations.clone();
        all.extend(split_list(&self.violations_other));
        all
    }

    /// The copies typed, one a line.
    fn copy_list(&self, errors: &mut FieldErrors) -> Vec<CopyInput> {
        let mut copies = Vec::new();
        for (n, line) in self.copies.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let mut parts = line.split(['|', '｜']).map(str::trim);
            let barcode = parts.next().unwrap_or("").to_owned();
            if barcode.is_empty() {
                errors.insert(
                    "copies".to_owned(),
                    format!("第 {} 行缺少条码；格式为“条码 | 存放位置 | 状况”", n + 1),
                );
                continue;
            }
            copies.push(CopyInput {
                barcode,
                location: parts.next().unwrap_or("").to_owned(),
                condition: Some(format::condition_code(parts.next().unwrap_or(""))),
            });
        }
        copies
    }

    /// The create request, or what to fix.
    pub fn to_input(&self) -> Result<ResourceInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let licences = number(&mut errors, "licences", &self.licences, "数字许可数");
        let duration = number(&mut errors, "duration", &self.duration, "时长");
        let pages = number(&mut errors, "pages", &self.pages, "页数");
        let copies = self.copy_list(&mut errors);
        let base = self.base_input(&mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ResourceInput {
            id: (!self.id.is_empty()).then(|| self.id.clone()),
            kind: self.kind.clone(),
            title: self.title.clone(),
            summary: Some(self.summary.clone()),
            tags: split_list(&self.tags),
            sectors: self.all_sectors(),
            violations: self.all_violations(),
            region: Some(self.region.clone()),
            date: (!self.date.is_empty()).then(|| self.date.clone()),
            source: Some(self.source.clone()),
            access: Some(self.access.clone()),
            status: None,
            licences: licences.flatten(),
            copies: (!copies.is_empty()).then_some(CopiesInput::List(copies)),
            duration: duration.flatten(),
            pages: pages.flatten(),
            files: Vec::new(),
            base,
        })
    }

    /// The update of every field of the form, or what to fix.
    pub fn to_patch(&self) -> Result<ResourcePatch, FieldErrors> {
        let mut errors = FieldErrors::new();
        let licences = number(&mut errors, "licences", &self.licences, "数字许可数");
        let duration = number(&mut errors, "duration", &self.duration, "时长");
        let pages = number(&mut errors, "pages", &self.pages, "页数");
        let copies = self.copy_list(&mut errors);
        let base = self.base_input(&mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ResourcePatch {
            kind: Some(self.kind.clone()),
            title: Some(self.title.clone()),
            summary: Some(self.summary.clone()),
            tags: Some(split_list(&self.tags)),
            sectors: Some(self.all_sectors()),
            violations: Some(self.all_violations()),
            region: Some(self.region.clone()),
            date: Some((!self.date.is_empty()).then(|| self.date.clone())),
            source: Some(self.source.clone()),
            access: Some(self.access.clone()),
            status: None,
            licences,
            copies: Some(CopiesInput::List(copies)),
            duration,
            pages,
            base: base.map(Some),
            share: None,
        })
    }
}

/// Turns a refusal of the catalogue into a message next to the field, when it is the
/// librarian's to fix; other errors are returned as they are.
pub fn field_errors(err: CatalogError) -> Result<FieldErrors, CatalogError> {
    let mut errors = FieldErrors::new();
    match err {
        CatalogError::Invalid { field, message } => {
            errors.insert(field, message);
        }
        CatalogError::Conflict(message) => {
            errors.insert("id".to_owned(), message);
        }
        CatalogError::DuplicateBarcode(_) => {
            errors.insert("copies".to_owned(), err.to_string());
        }
        other => return Err(other),
    }
    Ok(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> ResourceForm {
        ResourceForm::from_form(&FormData(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        ))
    }

    #[test]
    fn lists_split_on_chinese_separators() {
        assert_eq!(
            split_list("月饼、节日腐败，留置; 八项规定\n"),
            ["月饼", "节日腐败", "留置", "八项规定"]
        );
    }

    #[test]
    fn typed_values_become_the_create_request() {
        let input = form(&[
            ("kind", "video"),
            ("title", "标题"),
            ("sectors", "税务"),
            ("sectors", "海关"),
            ("sectors_other", "市场监管"),
            ("licences", ""),
            ("pages", "12"),
            ("copies", "JS-9 | A架 | 有磨损\r\n\r\nJS-10"),
        ])
        .to_input()
        .unwrap();
        assert_eq!(input.sectors, ["税务", "海关", "市场监管"]);
        assert_eq!(input.licences, None);
        assert_eq!(input.pages, Some(12));
        let Some(CopiesInput::List(copies)) = input.copies else {
            panic!("copies")
        };
        assert_eq!(copies[0].condition.as_deref(), Some("worn"));
        assert_eq!(copies[1].barcode, "JS-10");
    }

    #[test]
    fn bad_numbers_name_their_field() {
        let errors = form(&[("kind", "case"), ("title", "t"), ("licences", "many")])
            .to_patch()
            .unwrap_err();
        assert!(errors["licences"].contains("many"));
    }
}
