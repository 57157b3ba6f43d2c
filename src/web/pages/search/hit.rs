//! A search result as the search and home pages show it.

use crate::catalog::Status;
use crate::search::{Hit, HitDuplicate};
use crate::web::pages::format;

/// A subtitle cue that matched, linking to the player at its moment.
pub struct CueView {
    pub href: String,
    pub time: String,
    pub text_html: String,
}

/// One result as a page shows it. `title_html`, `snippet` and cue texts are HTML
/// escaped by the search module, with matches in `<mark>`.
pub struct HitView {
    pub id: String,
    pub href: String,
    pub kind_label: &'static str,
    pub title_html: String,
    pub snippet: String,
    pub year: String,
    pub sectors: String,
    pub access: String,
    pub access_label: &'static str,
    /// A video's length as `12:34`, or "".
    pub length: String,
    /// For librarians: "草稿"/"已撤回" when not published.
    pub status_label: Option<&'static str>,
    pub cues: Vec<CueView>,
    /// The viewer may not read the content: cues show their moment only.
    pub locked: bool,
    /// "正文中有 3 处匹配（借阅后可查看）" for a locked hit whose body matches.
    pub locked_note: Option<String>,
    /// Its text or cues were read by machine: "机器识别文本，可能有误".
    pub machine_read: bool,
    /// The request basket's button, for an officer of a unit (search results).
    pub basket: Option<BasketOffer>,
    /// Other copies of this resource: "另有 1 篇相同内容".
    pub duplicates: Vec<GroupLink>,
    /// This hit's date when it has other editions ("本版 2021-01-26").
    pub edition: Option<String>,
    /// Other editions, newest first: "其他版本：2012-12-20".
    pub editions: Vec<EditionLink>,
}

/// A link to another resource of a hit's group.
pub struct GroupLink {
    pub href: String,
    pub title: String,
}

/// Another edition of a hit's law or document, and its own copies.
pub struct EditionLink {
    pub href: String,
    pub date: String,
    pub title: String,
    pub copies: Vec<GroupLink>,
}

fn resource_href(id: &str) -> String {
    format!("/resources/{id}")
}

/// A hit's "加入借阅清单" button, or the note that it is in the basket already.
pub struct BasketOffer {
    pub in_basket: bool,
    /// The page to come back to after adding (the search, as shown).
    pub back: String,
}

impl HitView {
    pub fn new(hit: &Hit, librarian: bool) -> Self {
        let href = resource_href(&hit.id);
        let link = |d: &HitDuplicate| GroupLink {
            href: resource_href(&d.id),
            title: d.title.clone(),
        };
        Self {
            id: hit.id.clone(),
            basket: None,
            duplicates: hit.duplicates.iter().map(link).collect(),
            edition: hit.edition.clone(),
            editions: hit
                .editions
                .iter()
                .map(|e| EditionLink {
                    href: resource_href(&e.id),
                    date: e.date.clone(),
                    title: e.title.clone(),
                    copies: e.duplicates.iter().map(link).collect(),
                })
                .collect(),
            cues: hit
                .cues
                .iter()
                .map(|cue| CueView {
                    href: format!("{href}?t={}", cue.start.max(0.0).floor() as u64),
                    time: format::clock(cue.start),
                    text_html: cue.text.clone(),
                })
                .collect(),
            href,
            kind_label: format::kind_label(&hit.kind),
            title_html: hit.title_html.clone(),
            snippet: hit.snippet.clone(),
            year: hit.year.map(|y| y.to_string()).unwrap_or_default(),
            sectors: hit.sectors.join("、"),
            access: hit.access.clone(),
            length: hit
                .duration
                .map(|seconds| format::clock(f64::from(seconds)))
                .unwrap_or_default(),
            access_label: format::access_label(&hit.access),
            locked: hit.locked,
            locked_note: hit.locked_note.clone(),
            machine_read: hit.machine_read,
            status_label: (librarian && Status::parse(&hit.status).ok() != Some(Status::Published))
                .then(|| format::status_label(&hit.status)),
        }
    }
}
