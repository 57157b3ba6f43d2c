//! Pinyin keys of Chinese terms, and a sorted table of them for prefix look-up.
//!
//! A term (a title, a word of a title or tag, a dictionary entry) gets two keys per
//! reading: its full pinyin without tones (`baxiangguiding`) and its initials (`bxgd`).
//! Characters with several readings (行 xing/hang, 重 zhong/chong, 长 chang/zhang …) give
//! several readings of the term, at most [`MAX_READINGS`]: every combination when there
//! are few, otherwise the usual reading and then one character changed at a time, first
//! characters first (a prefix is what people type). Letters and digits stand for
//! themselves; punctuation and spaces are left out.
//!
//! What a person types is cleaned the same way ([`typed`]): lower case, without spaces
//! or apostrophes (`ba xiang`, `xi'an`), `ü` as `v`.

use pinyin::ToPinyinMulti;

use super::normalize::{CharClass, class};

/// Readings of one term kept at most (each gives a full and an initials key).
pub(crate) const MAX_READINGS: usize = 8;
/// Readings of one character considered at most.
const MAX_CHAR_READINGS: usize = 4;
/// Longest typed prefix, in bytes, and longest key computed.
pub(crate) const MAX_KEY_BYTES: usize = 64;
/// Bytes of a key kept in a table: a longer typed prefix is looked up by its first
/// `STORED_KEY_BYTES` and the matches checked against their full keys
/// ([`reads_as`]). Half the memory of whole keys.
pub(crate) const STORED_KEY_BYTES: usize = 32;

/// The typed text as a pinyin key prefix: `None` when it is not pinyin (holds Chinese
/// or other characters, or no letter at all).
pub(crate) fn typed(q: &str) -> Option<String> {
    let mut out = String::new();
    for c in q.chars() {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'A'..='Z' => out.push(c.to_ascii_lowercase()),
            'ü' | 'Ü' => out.push('v'),
            '\'' | '’' | '‘' | '`' | '-' | '_' => {}
            c if c.is_whitespace() => {}
            _ => return None,
        }
        if out.len() > MAX_KEY_BYTES {
            return None;
        }
    }
    out.bytes().any(|b| b.is_ascii_lowercase()).then_some(out)
}

/// Readings of one character (the usual first).
#[derive(Clone, Copy)]
struct Readings {
    all: [&'static str; MAX_CHAR_READINGS],
    n: usize,
}

impl Readings {
    fn get(&self) -> &[&'static str] {
        &self.all[..self.n]
    }
}

/// Letters and digits stand for themselves.
const ALNUM: &str = "0123456789abcdefghijklmnopqrstuvwxyz";

/// A reading without tone, `ü` typed as `v` (it follows only l and n).
fn plain(reading: pinyin::Pinyin) -> &'static str {
    match reading.plain() {
        "lü" => "lv",
        "nü" => "nv",
        "lüe" => "lve",
        "nüe" => "nve",
        other => other,
    }
}

/// The readings of each character that counts (Chinese, letter or digit), in order.
fn char_readings(term: &str, max_chars: usize) -> Vec<Readings> {
    let mut out = Vec::new();
    for c in term.chars() {
        if out.len() == max_chars {
            break;
        }
        let mut readings = Readings {
            all: [""; MAX_CHAR_READINGS],
            n: 0,
        };
        if let Some(i) = ALNUM.find(c.to_ascii_lowercase()) {
            readings.all[0] = &ALNUM[i..=i];
            readings.n = 1;
        } else if let Some(multi) = c.to_pinyin_multi() {
            for reading in multi {
                let reading = plain(reading);
                if !readings.get().contains(&reading) {
                    readings.all[readings.n] = reading;
                    readings.n += 1;
                }
                if readings.n == MAX_CHAR_READINGS {
                    break;
                }
            }
        }
        // Anything else (punctuation, other scripts) no pinyin can type: left out.
        if readings.n > 0 {
            out.push(readings);
        }
    }
    out
}

/// Choices of reading per character (indexes into each character's readings), at most
/// `max_readings`.
fn choices(chars: &[Readings], max_readings: usize) -> Vec<Vec<usize>> {
    let product = chars.iter().try_fold(1usize, |n, r| {
        n.checked_mul(r.n).filter(|&n| n <= max_readings)
    });
    if product.is_some() {
        let mut all = vec![Vec::with_capacity(chars.len())];
        for readings in chars {
            all = all
                .into_iter()
                .flat_map(|prefix| {
                    (0..readings.n).map(move |i| {
                        let mut next = prefix.clone();
                        next.push(i);
                        next
                    })
                })
                .collect();
        }
        return all;
    }
    let usual = vec![0; chars.len()];
    let mut out = vec![usual.clone()];
    'chars: for (at, readings) in chars.iter().enumerate() {
        for i in 1..readings.n {
            if out.len() == max_readings {
                break 'chars;
            }
            let mut next = usual.clone();
            next[at] = i;
            out.push(next);
        }
    }
    out
}

/// The distinct keys of a normalised term: full pinyin and initials of each of at most
/// `max_readings` readings, each at most [`MAX_KEY_BYTES`] long, and whether each is
/// initials. `max_chars` bounds the characters read (a long title is typed from its
/// start).
pub(crate) fn keys(term: &str, max_chars: usize, max_readings: usize) -> Vec<(String, bool)> {
    let chars = char_readings(term, max_chars);
    if chars.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<(String, bool)> = Vec::new();
    for choice in choices(&chars, max_readings) {
        let mut full = String::new();
        let mut initials = String::new();
        for (readings, &i) in chars.iter().zip(&choice) {
            let reading = readings.all[i];
            if full.len() + reading.len() <= MAX_KEY_BYTES {
                full.push_str(reading);
            }
            if initials.len() < MAX_KEY_BYTES {
                initials.push_str(&reading[..1]);
            }
        }
        for key in [(full, false), (initials, true)] {
            if !out.contains(&key) {
                out.push(key);
            }
        }
    }
    out
}

/// Whether one of the keys of `term` starts with `typed` (checks a match of a prefix
/// longer than the stored keys).
pub(crate) fn reads_as(term: &str, typed: &str, max_chars: usize, max_readings: usize) -> bool {
    keys(term, max_chars, max_readings)
        .iter()
        .any(|(key, _)| key.starts_with(typed))
}

/// Whether a word is worth a key of its own: two or more characters, all Chinese.
pub(crate) fn is_chinese_word(word: &str) -> bool {
    word.chars().count() >= 2 && word.chars().all(|c| class(c) == CharClass::Cjk)
}

/// Keys in one text arena, sorted, each pointing at a target (an index the owner gives
/// meaning to).
#[derive(Debug, Default)]
pub(crate) struct KeyTable {
    arena: String,
    keys: Vec<Key>,
}

#[derive(Debug, Clone, Copy)]
struct Key {
    start: u32,
    len: u8,
    initials: bool,
    target: u32,
}

/// One key that starts with the typed prefix: its target, and about how many more
/// characters of the term it has beyond the prefix (0: typed in full).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyMatch {
    pub target: u32,
    pub rest_chars: usize,
}

impl KeyTable {
    /// A table being filled: add keys, then [`KeyTable::sorted`].
    pub(crate) fn push(&mut self, (key, initials): &(String, bool), target: u32) {
        let Ok(start) = u32::try_from(self.arena.len()) else {
            return;
        };
        let mut len = key.len().min(STORED_KEY_BYTES);
        while !key.is_char_boundary(len) {
            len -= 1;
        }
        self.arena.push_str(&key[..len]);
        let len = len as u8;
        self.keys.push(Key {
            start,
            len,
            initials: *initials,
            target,
        });
    }

    pub(crate) fn sorted(mut self) -> Self {
        let arena = &self.arena;
        self.keys.sort_unstable_by(|a, b| {
            text(arena, a)
                .cmp(text(arena, b))
                .then(a.target.cmp(&b.target))
        });
        self.keys
            .dedup_by(|a, b| a.target == b.target && text(arena, a) == text(arena, b));
        self.arena.shrink_to_fit();
        self.keys.shrink_to_fit();
        self
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.arena.capacity() + self.keys.capacity() * std::mem::size_of::<Key>()
    }

    /// The first `cap` keys starting with `prefix`, in key order; for a prefix longer
    /// than [`STORED_KEY_BYTES`], those starting with its start (to be checked).
    pub(crate) fn prefixed(&self, prefix: &str, cap: usize) -> impl Iterator<Item = KeyMatch> + '_ {
        let prefix = &prefix[..prefix.len().min(STORED_KEY_BYTES)];
        let from = self.keys.partition_point(|k| text(&self.arena, k) < prefix);
        let prefix_len = prefix.len();
        let owned = prefix.to_owned();
        self.keys[from..]
            .iter()
            .take_while(move |k| text(&self.arena, k).starts_with(owned.as_str()))
            .take(cap)
            .map(move |k| {
                let rest = usize::from(k.len).saturating_sub(prefix_len);
                KeyMatch {
                    target: k.target,
                    // A syllable of full pinyin is about three letters.
                    rest_chars: if k.initials { rest } else { rest.div_ceil(3) },
                }
            })
    }
}

fn text<'a>(arena: &'a str, key: &Key) -> &'a str {
    let start = key.start as usize;
    &arena[start..start + usize::from(key.len)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(term: &str, max_chars: usize) -> Vec<String> {
        super::keys(term, max_chars, MAX_READINGS)
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    }

    #[test]
    fn full_pinyin_and_initials() {
        let k = keys("八项规定", 32);
        assert!(k.contains(&"baxiangguiding".to_owned()), "{k:?}");
        assert!(k.contains(&"bxgd".to_owned()), "{k:?}");
        let k = keys("受贿", 32);
        assert!(k.contains(&"shouhui".to_owned()), "{k:?}");
    }

    #[test]
    fn polyphones_give_each_reading() {
        assert!(keys("行政", 32).contains(&"xingzheng".to_owned()));
        assert!(keys("银行", 32).contains(&"yinhang".to_owned()));
        assert!(keys("重庆", 32).contains(&"chongqing".to_owned()));
        assert!(keys("长期", 32).contains(&"changqi".to_owned()));
        assert!(keys("会计", 32).contains(&"kuaiji".to_owned()));
        assert!(keys("绿色", 32).contains(&"lvse".to_owned()));
        let long = "重行长会重行长会重行长会重行长会";
        assert!(keys(long, 32).len() <= 2 * MAX_READINGS);
    }

    #[test]
    fn letters_digits_stay_and_punctuation_goes() {
        let k = keys("《2023年》APP", 32);
        assert!(k.contains(&"2023nianapp".to_owned()), "{k:?}");
        assert!(keys("“”。", 32).is_empty());
    }

    #[test]
    fn typed_text_is_cleaned() {
        assert_eq!(typed("Ba Xiang").as_deref(), Some("baxiang"));
        assert_eq!(typed("xi'an").as_deref(), Some("xian"));
        assert_eq!(typed("lü").as_deref(), Some("lv"));
        assert_eq!(typed("八项"), None);
        assert_eq!(typed("2023"), None);
        assert_eq!(typed("<script>"), None);
        assert_eq!(typed(&"a".repeat(65)), None);
    }

    #[test]
    fn prefix_look_up() {
        let mut table = KeyTable::default();
        for (i, term) in ["八项规定", "监察法", "受贿", "收回"].iter().enumerate() {
            for key in &super::keys(term, 32, MAX_READINGS) {
                table.push(key, i as u32);
            }
        }
        let table = table.sorted();
        let found = |p: &str| -> Vec<u32> { table.prefixed(p, 100).map(|m| m.target).collect() };
        assert_eq!(found("bxgd"), [0]);
        assert_eq!(found("baxiang"), [0]);
        assert_eq!(found("jcf"), [1]);
        let mut both = found("shouhui");
        both.sort_unstable();
        assert_eq!(both, [2, 3]);
        assert!(found("zz").is_empty());
        assert_eq!(table.prefixed("shouhui", 1).count(), 1);
    }
}
