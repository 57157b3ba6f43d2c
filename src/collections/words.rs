//! Finding collections by words, as the search box reads them: every word must occur
//! (a `"quoted phrase"` as a whole, a `-word` must not), each as a substring after
//! the search index's own normalisation (full/half width, case, traditional →
//! simplified), in a collection's title, introduction, item notes and item titles.

use crate::search::normalize;

/// The words of a query.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Words {
    include: Vec<String>,
    exclude: Vec<String>,
}

impl Words {
    pub(crate) fn parse(q: &str) -> Self {
        let norm = normalize(q);
        let mut words = Words::default();
        let (mut current, mut quoted) = (String::new(), false);
        fn push(word: &mut String, words: &mut Words) {
            let taken = std::mem::take(word);
            match taken.strip_prefix('-') {
                Some(rest) if !rest.is_empty() => words.exclude.push(rest.to_owned()),
                Some(_) => {}
                None if !taken.is_empty() => words.include.push(taken),
                None => {}
            }
        }
        for c in norm.chars() {
            match c {
                '"' | '“' | '”' => {
                    push(&mut current, &mut words);
                    quoted = !quoted;
                }
                c if c.is_whitespace() && !quoted => push(&mut current, &mut words),
                c => current.push(c),
            }
        }
        push(&mut current, &mut words);
        words.include.retain(|w| !w.trim().is_empty());
        words
    }

    /// Whether nothing was asked for.
    pub(crate) fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether `texts` (each normalised here) hold every word and no excluded one.
    pub(crate) fn found_in<'a>(&self, texts: impl IntoIterator<Item = &'a str>) -> bool {
        let mut haystack = String::new();
        for text in texts {
            haystack.push_str(&normalize(text));
            // A word never spans two fields.
            haystack.push('\u{1}');
        }
        self.include.iter().all(|w| haystack.contains(w.as_str()))
            && !self.exclude.iter().any(|w| haystack.contains(w.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::Words;

    #[test]
    fn every_word_must_occur_and_no_excluded_one() {
        let texts = ["元旦春节廉洁过节专题", "建议在会前播放《饭局背后》"];
        assert!(Words::parse("廉洁 饭局").found_in(texts));
        assert!(Words::parse("  春节  ").found_in(texts));
        assert!(!Words::parse("廉洁 月饼").found_in(texts));
        assert!(!Words::parse("廉洁 -饭局").found_in(texts));
        assert!(Words::parse("廉洁 -月饼").found_in(texts));
        // Full-width letters and traditional characters are folded as in search.
        assert!(Words::parse("節").found_in(texts));
        assert!(Words::parse("ＡＢ").found_in(["ab 专题"]));
        // A phrase is one word; words do not join across fields.
        assert!(Words::parse("\"会前 播放\"").found_in(["会前 播放"]));
        assert!(!Words::parse("专题建议").found_in(texts));
        assert!(Words::parse("").is_empty());
        assert!(Words::parse(" - ").is_empty());
    }
}
