//! What search shows of a resource whose content the viewer may not read (a loan-only
//! resource their unit holds no active loan of): the hit with its title, summary and
//! metadata, how often the query occurs in the body, and the moments of matching
//! subtitle cues without their words.
//!
//! The index does not know the viewer, and its answers are cached for everyone, so every
//! loan-only hit is answered locked, its snippet and cue texts kept aside; whoever knows
//! the viewer opens the hits they may read after the cache
//! (`access::reveal_readable_hits`). Locked is the default, so a caller that skips that
//! step shows too little, never too much.

use super::request::Hit;
use super::snippet::Highlighter;

/// What a locked hit keeps aside. Never serialised.
#[derive(Debug, Clone, PartialEq)]
pub struct Withheld {
    snippet: String,
    cue_texts: Vec<String>,
}

impl Withheld {
    /// Bytes held, for the answer cache's weight.
    pub(super) fn weight(&self) -> usize {
        self.snippet.len() + self.cue_texts.iter().map(String::len).sum::<usize>()
    }
}

/// Whether a resource's content is lent only: anything but `open`, so that a value
/// this code does not know stays closed.
pub(super) fn lent_only(access: &str) -> bool {
    access != "open"
}

impl Hit {
    /// Keeps the snippet and cue texts aside and shows instead the passage of `summary`
    /// alone and the number of matches in `body`.
    pub(super) fn lock(&mut self, highlighter: &Highlighter, summary: &str, body: &str) {
        let cue_texts = self
            .cues
            .iter_mut()
            .map(|cue| std::mem::take(&mut cue.text))
            .collect();
        let snippet = std::mem::replace(&mut self.snippet, highlighter.snippet(summary, ""));
        let (matches, complete) = highlighter.count(body);
        self.locked = true;
        self.body_matches = matches;
        self.locked_note = note(matches, complete);
        self.withheld = Some(Box::new(Withheld { snippet, cue_texts }));
    }

    /// Shows what the hit kept aside, for a viewer who may read the content.
    pub fn unlock(&mut self) {
        let Some(withheld) = self.withheld.take() else {
            return;
        };
        self.snippet = withheld.snippet;
        for (cue, text) in self.cues.iter_mut().zip(withheld.cue_texts) {
            cue.text = text;
        }
        self.locked = false;
        self.body_matches = 0;
        self.locked_note = None;
    }
}

/// The line a locked hit shows about its body, when the body matches.
fn note(matches: u32, complete: bool) -> Option<String> {
    match (matches, complete) {
        (0, _) => None,
        (n, true) => Some(format!("正文中有 {n} 处匹配（借阅后可查看）")),
        // Only the beginning of a very long body was searched.
        (n, false) => Some(format!("正文中至少有 {n} 处匹配（借阅后可查看）")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::parse;
    use crate::search::request::CueHit;

    fn hit() -> Hit {
        Hit {
            id: "r".into(),
            kind: "video".into(),
            title: "标题".into(),
            title_html: "标题".into(),
            snippet: "正文<mark>资金</mark>".into(),
            year: None,
            sectors: Vec::new(),
            access: "loan".into(),
            status: "published".into(),
            duration: None,
            machine_read: false,
            cues: vec![CueHit {
                start: 16.0,
                text: "<mark>资金</mark>".into(),
                file_id: "f".into(),
            }],
            locked: false,
            duplicates: Vec::new(),
            editions: Vec::new(),
            edition: None,
            group_sectors: Vec::new(),
            body_matches: 0,
            locked_note: None,
            withheld: None,
            score: 1.0,
        }
    }

    #[test]
    fn locking_shows_the_summary_count_and_times_and_unlocking_restores() {
        let words = parse("资金").unwrap_or_default().include;
        let highlighter = Highlighter::new(&words);
        let open = hit();
        let mut locked = hit();
        locked.lock(&highlighter, "摘要<b>", "资金一\n资金二 资金三");
        assert!(locked.locked);
        assert_eq!(locked.snippet, "摘要&lt;b&gt;");
        assert_eq!(locked.cues[0].text, "");
        assert_eq!(locked.cues[0].start, 16.0);
        assert_eq!(locked.body_matches, 3);
        assert_eq!(
            locked.locked_note.as_deref(),
            Some("正文中有 3 处匹配（借阅后可查看）")
        );
        let json = serde_json::to_string(&locked).unwrap_or_default();
        assert!(
            !json.contains("正文<mark>") && !json.contains("<mark>资金"),
            "nothing kept aside is serialised: {json}"
        );
        locked.unlock();
        assert_eq!(locked, open);
        assert!(lent_only("loan") && lent_only("") && !lent_only("open"));
    }
}
