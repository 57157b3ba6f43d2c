//! Query-time expansion with the abbreviation dictionary ([`Synonyms`]): an unquoted
//! query word whose normalised form is an abbreviation also matches each of its
//! expansions, wherever the word itself would match: as a verbatim substring (the
//! character field, the best of the forms counting), in the title boost, in BM25 over
//! the word fields and in the OR fallback; an excluded word excludes its expansions too.
//! A quoted phrase means exactly that text and is not expanded. The highlighter marks
//! every form, and the answer lists what was applied ("已同时搜索：刑事诉讼法").

use std::iter;

use serde::Serialize;
use tantivy::query::{DisjunctionMaxQuery, Query};
use tantivy::schema::Field;

use super::query::{ParsedQuery, QueryWord, substring_query};
use super::synonyms::Synonyms;

/// A query word the dictionary expanded, and its expansions (normalised).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Expansion {
    /// The word as the query had it, normalised.
    pub word: String,
    pub expansions: Vec<String>,
    /// The word was an exclusion (`-国企`): its expansions are excluded too.
    pub excluded: bool,
}

/// Gives every unquoted word that is an abbreviation its expansions as alternatives,
/// and lists what was applied, included words first.
pub(crate) fn apply(parsed: &mut ParsedQuery, synonyms: &Synonyms) -> Vec<Expansion> {
    let mut applied = Vec::new();
    for (words, excluded) in [(&mut parsed.include, false), (&mut parsed.exclude, true)] {
        for word in words.iter_mut().filter(|w| !w.quoted) {
            let alternatives: Vec<QueryWord> = synonyms
                .expansions(&word.norm)
                .iter()
                .filter_map(|e| QueryWord::new(e))
                .collect();
            if alternatives.is_empty() {
                continue;
            }
            applied.push(Expansion {
                word: word.norm.clone(),
                expansions: alternatives.iter().map(|a| a.norm.clone()).collect(),
                excluded,
            });
            word.alternatives = alternatives;
        }
    }
    applied
}

/// The sentence saying which expansions were searched (and excluded), if any.
pub(crate) fn notice(applied: &[Expansion]) -> Option<String> {
    let joined = |excluded: bool| {
        let mut forms: Vec<&str> = Vec::new();
        for e in applied.iter().filter(|e| e.excluded == excluded) {
            for form in &e.expansions {
                if !forms.contains(&form.as_str()) {
                    forms.push(form);
                }
            }
        }
        forms.join("、")
    };
    let (searched, excluded) = (joined(false), joined(true));
    let mut parts = Vec::new();
    if !searched.is_empty() {
        parts.push(format!("已同时搜索：{searched}"));
    }
    if !excluded.is_empty() {
        parts.push(format!("已同时排除：{excluded}"));
    }
    (!parts.is_empty()).then(|| parts.join("；"))
}

/// The word and then its alternatives.
pub(crate) fn forms(word: &QueryWord) -> impl Iterator<Item = &QueryWord> {
    iter::once(word).chain(word.alternatives.iter())
}

/// Every form of every word, in order.
pub(crate) fn all_forms(words: &[QueryWord]) -> impl Iterator<Item = &QueryWord> {
    words.iter().flat_map(forms)
}

/// Documents whose `field` holds the word or one of its alternatives verbatim, scored by
/// the best of them (so an expanded word weighs as much as one form, not as several).
pub(crate) fn substring_any(field: Field, word: &QueryWord) -> Box<dyn Query> {
    if word.alternatives.is_empty() {
        return substring_query(field, word);
    }
    Box::new(DisjunctionMaxQuery::new(
        forms(word).map(|w| substring_query(field, w)).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::parse;

    fn dictionary() -> Synonyms {
        Synonyms::parse("刑诉法\t刑事诉讼法\n国企\t国有企业\n两高\t最高人民法院|最高人民检察院\n")
            .unwrap_or_default()
    }

    #[test]
    fn unquoted_words_are_expanded_and_listed() {
        let mut q = parse(r#"刑诉法 解释 "国企" -两高"#).unwrap_or_default();
        let applied = apply(&mut q, &dictionary());
        assert_eq!(
            applied,
            vec![
                Expansion {
                    word: "刑诉法".into(),
                    expansions: vec!["刑事诉讼法".into()],
                    excluded: false,
                },
                Expansion {
                    word: "两高".into(),
                    expansions: vec!["最高人民法院".into(), "最高人民检察院".into()],
                    excluded: true,
                },
            ]
        );
        assert_eq!(q.include[0].alternatives[0].norm, "刑事诉讼法");
        assert!(q.include[1].alternatives.is_empty(), "解释 has none");
        assert!(
            q.include[2].alternatives.is_empty(),
            "a quoted word is exact"
        );
        assert_eq!(
            notice(&applied).as_deref(),
            Some("已同时搜索：刑事诉讼法；已同时排除：最高人民法院、最高人民检察院")
        );
        assert_eq!(notice(&[]), None);
    }

    #[test]
    fn a_word_is_expanded_only_when_it_equals_an_abbreviation() {
        // Normalised first (full width, traditional), then compared whole.
        let mut q = parse("刑訴法 国企改革 國企").unwrap_or_default();
        let applied = apply(&mut q, &dictionary());
        let words: Vec<&str> = applied.iter().map(|e| e.word.as_str()).collect();
        assert_eq!(words, ["刑诉法", "国企"]);
        assert!(q.include[1].alternatives.is_empty());
    }

    #[test]
    fn an_expanded_word_matches_the_best_of_its_forms() {
        let (schema, f) = crate::search::schema::build();
        let mut q = parse("两高").unwrap_or_default();
        apply(&mut q, &dictionary());
        let query = substring_any(f.text_c, &q.include[0]);
        let mut terms = Vec::new();
        query.query_terms(&mut |t, _| {
            terms.push(t.value().as_str().unwrap_or_default().to_owned());
        });
        drop(schema);
        for gram in ["两高", "最高", "法院", "检察"] {
            assert!(terms.iter().any(|t| t == gram), "{gram} in {terms:?}");
        }
        assert_eq!(all_forms(&q.include).count(), 3);
    }
}
