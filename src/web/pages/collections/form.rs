//! The collection editor's form as typed: title, introduction, season, sectors (one
//! field, separated by commas or 顿号) and the items as lines of `资源编号 | 说明`, in
//! order. A refused form comes back with these values and the reason beside the field.

use crate::collections::{
    Collection, CollectionError, CollectionInput, CollectionPatch, ItemInput,
};
use crate::seasons::Season;
use crate::web::pages::extract::FormData;

/// The fields as typed.
#[derive(Debug, Default, Clone)]
pub struct CollectionForm {
    pub title: String,
    pub intro: String,
    pub season: String,
    pub sectors: String,
    pub items: String,
}

/// A choice of the season select.
pub struct SeasonOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

impl CollectionForm {
    pub fn from_form(form: &FormData) -> Self {
        Self {
            title: form.get("title").to_owned(),
            intro: form.get("intro").to_owned(),
            season: form.get("season").trim().to_owned(),
            sectors: form.get("sectors").to_owned(),
            items: form.get("items").to_owned(),
        }
    }

    pub fn from_collection(collection: &Collection) -> Self {
        Self {
            title: collection.title.clone(),
            intro: collection.intro.clone(),
            season: collection.season.clone().unwrap_or_default(),
            sectors: collection.sectors.join("、"),
            items: collection
                .items
                .iter()
                .map(|item| {
                    if item.note.is_empty() {
                        item.resource_id.clone()
                    } else {
                        format!("{} | {}", item.resource_id, item.note)
                    }
                })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// The season select: none, then the seven periods.
    pub fn season_options(&self) -> Vec<SeasonOption> {
        let mut options = vec![SeasonOption {
            value: "",
            label: "不属于某个节点",
            selected: self.season.is_empty(),
        }];
        options.extend(Season::ALL.into_iter().map(|s| SeasonOption {
            value: s.code(),
            label: s.label(),
            selected: self.season == s.code(),
        }));
        options
    }

    fn sector_list(&self) -> Vec<String> {
        self.sectors
            .split([',', '，', '、', ';', '；', '\n', ' ', '\u{3000}'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The item lines, blank ones skipped: `资源编号 | 说明` (the note may be left out).
    fn item_list(&self) -> Vec<ItemInput> {
        self.items
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|line| {
                let (id, note) = line.split_once(['|', '｜']).unwrap_or((line, ""));
                ItemInput {
                    resource_id: id.trim().to_owned(),
                    note: Some(note.trim().to_owned()),
                }
            })
            .collect()
    }

    pub fn to_input(&self) -> CollectionInput {
        CollectionInput {
            title: self.title.clone(),
            intro: Some(self.intro.clone()),
            items: self.item_list(),
            sectors: self.sector_list(),
            season: Some(self.season.clone()),
        }
    }

    /// Every field: the editor always posts the whole form.
    pub fn to_patch(&self) -> CollectionPatch {
        CollectionPatch {
            title: Some(self.title.clone()),
            intro: Some(self.intro.clone()),
            items: Some(self.item_list()),
            sectors: Some(self.sector_list()),
            season: Some(Some(self.season.clone())),
        }
    }
}

/// A refusal of the form: which field and what to fix.
pub struct FormError {
    pub field: String,
    pub message: String,
}

impl FormError {
    /// The field a domain refusal is about, or `None` when it is not about the input.
    pub fn of(err: &CollectionError) -> Option<Self> {
        match err {
            CollectionError::Invalid { field, message } => Some(FormError {
                field: field.clone(),
                message: message.clone(),
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_items_in_order_and_sectors_split() {
        let form = CollectionForm {
            title: "专题".into(),
            sectors: "税务、海关, 烟草；  ".into(),
            items: "demo-a | 会前播放\n\n  demo-b\ndemo-c ｜ 分组讨论 | 第二段\n".into(),
            ..CollectionForm::default()
        };
        let input = form.to_input();
        assert_eq!(input.sectors, ["税务", "海关", "烟草"]);
        let items: Vec<(String, String)> = input
            .items
            .into_iter()
            .map(|i| (i.resource_id, i.note.unwrap_or_default()))
            .collect();
        assert_eq!(
            items,
            [
                ("demo-a".to_owned(), "会前播放".to_owned()),
                ("demo-b".to_owned(), String::new()),
                ("demo-c".to_owned(), "分组讨论 | 第二段".to_owned()),
            ]
        );
    }
}
