//! The abbreviation and synonym dictionary applied at query time: a query word equal to
//! an entry's abbreviation also matches each of its expansions. The shipped list is
//! `dict/abbreviations.txt`; librarians' additions and removals are laid over it by the
//! catalogue, and the result is installed with [`SearchIndex::set_synonyms`], which takes
//! effect on the next search without a reindex.
//!
//! [`SearchIndex::set_synonyms`]: super::SearchIndex::set_synonyms

use std::collections::BTreeMap;

use super::normalize::normalize;

const SHIPPED: &str = include_str!("dict/abbreviations.txt");

/// Longest abbreviation or expansion, in characters.
pub const MAX_TERM_CHARS: usize = 32;

/// Abbreviations (normalised) and their expansions, in file order without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Synonyms {
    entries: BTreeMap<String, Vec<String>>,
}

/// A line of a dictionary file that is not an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("第 {line} 行：{reason}")]
pub struct SynonymLineError {
    pub line: usize,
    pub reason: &'static str,
}

impl Synonyms {
    /// The dictionary shipped with the program.
    pub fn shipped() -> Synonyms {
        // The shipped file is checked by the tests; a bad line is skipped rather than
        // keeping the server from starting.
        let (synonyms, _) = Synonyms::parse_lenient(SHIPPED);
        synonyms
    }

    /// Reads `abbreviation<TAB>expansion[|expansion…]` lines; blank lines and `#`
    /// comments are skipped. Fails on the first malformed line.
    pub fn parse(text: &str) -> Result<Synonyms, SynonymLineError> {
        match Synonyms::parse_lenient(text) {
            (synonyms, errors) if errors.is_empty() => Ok(synonyms),
            (_, mut errors) => Err(errors.swap_remove(0)),
        }
    }

    /// Like [`Synonyms::parse`], keeping the good lines and listing the bad ones.
    pub fn parse_lenient(text: &str) -> (Synonyms, Vec<SynonymLineError>) {
        let mut synonyms = Synonyms::default();
        let mut errors = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("");
            if line.trim().is_empty() {
                continue;
            }
            let fail = |reason| SynonymLineError {
                line: i + 1,
                reason,
            };
            let Some((abbreviation, expansions)) = line.split_once('\t') else {
                errors.push(fail("简称与全称之间应以制表符分隔"));
                continue;
            };
            let expansions: Vec<&str> = expansions
                .split('|')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .collect();
            if expansions.is_empty() {
                errors.push(fail("缺少全称"));
                continue;
            }
            for expansion in expansions {
                if let Err(reason) = synonyms.add(abbreviation, expansion) {
                    errors.push(fail(reason));
                }
            }
        }
        (synonyms, errors)
    }

    /// Adds one expansion of `abbreviation`. Both are normalised; an expansion equal to
    /// the abbreviation or already there changes nothing.
    pub fn add(&mut self, abbreviation: &str, expansion: &str) -> Result<(), &'static str> {
        let abbreviation = check_term(abbreviation)?;
        let expansion = check_term(expansion)?;
        if abbreviation == expansion {
            return Ok(());
        }
        let list = self.entries.entry(abbreviation).or_default();
        if !list.contains(&expansion) {
            list.push(expansion);
        }
        Ok(())
    }

    /// Removes one expansion of `abbreviation`; true when it was there.
    pub fn remove(&mut self, abbreviation: &str, expansion: &str) -> bool {
        let (abbreviation, expansion) =
            (normalize(abbreviation.trim()), normalize(expansion.trim()));
        let Some(list) = self.entries.get_mut(&abbreviation) else {
            return false;
        };
        let before = list.len();
        list.retain(|e| *e != expansion);
        let removed = list.len() < before;
        if list.is_empty() {
            self.entries.remove(&abbreviation);
        }
        removed
    }

    /// The expansions of a normalised query word; empty when it has none.
    pub fn expansions(&self, word: &str) -> &[String] {
        self.entries.get(word).map_or(&[], Vec::as_slice)
    }

    /// Every entry, abbreviations in order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.iter().map(|(a, e)| (a.as_str(), e.as_slice()))
    }

    /// Number of (abbreviation, expansion) pairs.
    pub fn len(&self) -> usize {
        self.entries.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A term as stored: normalised, one word (no spaces, quotes or `|`), not too long.
pub fn check_term(term: &str) -> Result<String, &'static str> {
    // Quotes are checked in the raw term: between two Chinese characters the
    // normalisation leaves them out.
    let raw = term.trim();
    let term = normalize(raw);
    if raw.contains('"') {
        return Err("词条不能含空格、引号、“|”或“#”");
    }
    if term.is_empty() {
        return Err("词条不能为空");
    }
    if term.chars().count() > MAX_TERM_CHARS {
        return Err("词条过长（最多 32 个字）");
    }
    if term
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '|' | '#'))
    {
        return Err("词条不能含空格、引号、“|”或“#”");
    }
    Ok(term)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_entries_and_bad_lines_are_named() {
        let parsed =
            Synonyms::parse("# comment\n刑诉法\t刑事诉讼法\n两高\t最高人民法院|最高人民检察院\n\n")
                .expect("parses");
        assert_eq!(parsed.expansions("刑诉法"), ["刑事诉讼法"]);
        assert_eq!(
            parsed.expansions("两高"),
            ["最高人民法院", "最高人民检察院"]
        );
        assert!(parsed.expansions("刑事诉讼法").is_empty());
        assert_eq!(parsed.len(), 3);
        let err = Synonyms::parse("刑诉法\t刑事诉讼法\n国企 国有企业\n").expect_err("no tab");
        assert_eq!(err.line, 2);
        let err = Synonyms::parse("国企\t\n").expect_err("no expansion");
        assert_eq!(err.reason, "缺少全称");
    }

    #[test]
    fn terms_are_normalised_and_checked() {
        let mut s = Synonyms::default();
        s.add("ＡＢ", "甲乙").expect("full width is fine");
        assert_eq!(s.expansions("ab"), ["甲乙"]);
        assert!(s.add("a b", "c").is_err());
        assert!(s.add("x", &"长".repeat(33)).is_err());
        assert!(s.add("x", "a\"b").is_err());
        assert!(s.remove("ＡＢ", "甲乙"));
        assert!(s.is_empty());
        assert!(!s.remove("ab", "甲乙"));
    }

    #[test]
    fn the_shipped_file_has_no_bad_line() {
        let (shipped, errors) = Synonyms::parse_lenient(SHIPPED);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(!shipped.is_empty());
    }
}
