//! Tesseract's Chinese model often reads full-width punctuation as ASCII (`：` as `:`,
//! `（一）` as `(一)`). Between Chinese characters they are put back, so the text reads
//! as printed and a line ending in `；` still ends a clause for [`super::super::tidy_text`].

use super::super::tidy::is_chinese;

/// ASCII punctuation next to a Chinese character, made full-width.
pub(super) fn full_width_punctuation(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let neighbour = |from: usize, step: isize| {
        let mut at = from as isize + step;
        while let Some(&c) = usize::try_from(at).ok().and_then(|i| chars.get(i)) {
            if c != ' ' && c != '\t' {
                return Some(c);
            }
            at += step;
        }
        None
    };
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let Some(wide) = full_width(c) else {
                return c;
            };
            let chinese_beside =
                neighbour(i, -1).is_some_and(is_chinese) || neighbour(i, 1).is_some_and(is_chinese);
            if chinese_beside { wide } else { c }
        })
        .collect()
}

/// The year of a document number (发文字号, `示纪发〔2024〕3号`) stands in hexagonal
/// brackets, which Tesseract reads as `【2024]`, `(2024)` and the like: a bracket of
/// any kind round four digits followed by a number and 号 is put back as 〔〕.
pub(super) fn document_number_brackets(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if let Some(close) = number_year_at(&chars, i) {
            chars[i] = '〔';
            chars[close] = '〕';
            i = close;
        }
        i += 1;
    }
    chars.into_iter().collect()
}

/// Where the closing bracket is when `chars[open..]` is `[2024] 3号` in any brackets.
fn number_year_at(chars: &[char], open: usize) -> Option<usize> {
    const OPENING: &str = "[【〔(（{「［";
    const CLOSING: &str = "]】〕)）}」］jJl|";
    let skip_spaces = |mut at: usize| {
        while chars.get(at) == Some(&' ') {
            at += 1;
        }
        at
    };
    if !OPENING.contains(*chars.get(open)?) {
        return None;
    }
    let year = skip_spaces(open + 1);
    if !chars.get(year..year + 4)?.iter().all(char::is_ascii_digit) {
        return None;
    }
    let close = skip_spaces(year + 4);
    if !CLOSING.contains(*chars.get(close)?) {
        return None;
    }
    let number = skip_spaces(close + 1);
    let digits = chars[number..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let sign = skip_spaces(number + digits);
    (digits > 0 && chars.get(sign) == Some(&'号')).then_some(close)
}

fn full_width(c: char) -> Option<char> {
    Some(match c {
        ',' => '，',
        ':' => '：',
        ';' => '；',
        '?' => '？',
        '!' => '！',
        '(' => '（',
        ')' => '）',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::full_width_punctuation;

    #[test]
    fn ascii_punctuation_beside_chinese_becomes_full_width() {
        assert_eq!(
            full_width_punctuation("第七条 种类为:\n(一)警告;\n(二) 记过;"),
            "第七条 种类为：\n（一）警告；\n（二） 记过；"
        );
        assert_eq!(
            full_width_punctuation("PDF (1,000 pages): ok"),
            "PDF (1,000 pages): ok"
        );
        assert_eq!(full_width_punctuation("共计1,000元"), "共计1,000元");
    }

    #[test]
    fn a_document_numbers_year_gets_its_brackets_back() {
        use super::document_number_brackets;
        assert_eq!(
            document_number_brackets("示纪发【2024] 3号"),
            "示纪发〔2024〕 3号"
        );
        assert_eq!(
            document_number_brackets("示纪发 (2024j17号"),
            "示纪发 〔2024〕17号"
        );
        assert_eq!(document_number_brackets("〔2024〕3号"), "〔2024〕3号");
        assert_eq!(document_number_brackets("(2024) 年"), "(2024) 年");
        assert_eq!(document_number_brackets("【2024]"), "【2024]");
    }
}
