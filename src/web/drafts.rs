//! What a person typed into a form whose session had expired, kept for a short while
//! so that after signing in again they land on the same form with the values filled
//! in (the page's script asks for the draft by its token and fills the form).
//!
//! Drafts live in memory: they matter for minutes, and a restart losing them costs no
//! more than the expired session already did.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

/// How long a draft waits for its owner to sign in again.
pub const DRAFT_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// Drafts kept at once; the oldest goes first. Anyone can make one (the form posts
/// come from signed-out browsers), so the memory they hold is bounded.
const MAX_DRAFTS: usize = 1_000;
/// The largest form kept, in bytes of field names and values.
pub const MAX_DRAFT_BYTES: usize = 64 * 1024;

/// One form's values and where it was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Draft {
    /// The path the form posted to; the script fills the form with this action.
    pub action: String,
    /// The fields in order, without the stale CSRF token.
    pub fields: Vec<(String, String)>,
}

/// The drafts waiting, by token.
#[derive(Debug, Default)]
pub struct FormDrafts {
    waiting: Mutex<HashMap<String, (Instant, Draft)>>,
}

impl FormDrafts {
    /// Keeps `fields` posted to `action` and returns the token that fetches them once,
    /// or `None` when the form is too large to keep.
    pub fn keep(&self, action: &str, fields: Vec<(String, String)>) -> Option<String> {
        let fields: Vec<(String, String)> = fields
            .into_iter()
            .filter(|(name, _)| name != "csrf")
            .collect();
        let bytes: usize = fields.iter().map(|(n, v)| n.len() + v.len()).sum();
        if bytes > MAX_DRAFT_BYTES || fields.is_empty() {
            return None;
        }
        let token = crate::accounts::sessions::random_secret();
        let now = Instant::now();
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        waiting.retain(|_, (made, _)| now.duration_since(*made) < DRAFT_LIFETIME);
        if waiting.len() >= MAX_DRAFTS
            && let Some(oldest) = waiting
                .iter()
                .min_by_key(|(_, (made, _))| *made)
                .map(|(token, _)| token.clone())
        {
            waiting.remove(&oldest);
        }
        let draft = Draft {
            action: action.to_owned(),
            fields,
        };
        waiting.insert(token.clone(), (now, draft));
        Some(token)
    }

    /// The draft for `token`, once: a second fetch finds nothing.
    pub fn take(&self, token: &str) -> Option<Draft> {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        let (made, draft) = waiting.remove(token)?;
        (made.elapsed() < DRAFT_LIFETIME).then_some(draft)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_draft_is_taken_once_without_its_token_field() {
        let drafts = FormDrafts::default();
        let token = drafts
            .keep(
                "/loans/new",
                fields(&[("csrf", "old"), ("purpose", "中秋节前警示教育")]),
            )
            .unwrap();
        let draft = drafts.take(&token).unwrap();
        assert_eq!(draft.action, "/loans/new");
        assert_eq!(draft.fields, fields(&[("purpose", "中秋节前警示教育")]));
        assert_eq!(drafts.take(&token), None);
        assert_eq!(drafts.take("made-up"), None);
    }

    #[test]
    fn oversized_forms_are_not_kept_and_the_count_is_bounded() {
        let drafts = FormDrafts::default();
        let big = "贪".repeat(MAX_DRAFT_BYTES);
        assert_eq!(drafts.keep("/x", fields(&[("feedback", &big)])), None);
        let first = drafts.keep("/x", fields(&[("a", "1")])).unwrap();
        for _ in 0..MAX_DRAFTS {
            drafts.keep("/x", fields(&[("a", "2")])).unwrap();
        }
        assert_eq!(drafts.waiting.lock().unwrap().len(), MAX_DRAFTS);
        assert_eq!(drafts.take(&first), None, "the oldest made room");
    }
}
