//! Tesseract's Chinese output puts spaces between characters and keeps the page's line
//! breaks; both split words, so the text is tidied before it is stored.

/// Drops spaces between two Chinese characters (or a Chinese character and Chinese
/// punctuation), joins a line wrapped inside a sentence, drops empty lines at the ends
/// and runs of blank lines, and trims each line. Latin words keep their spaces.
pub fn tidy_text(raw: &str) -> String {
    let lines: Vec<String> = raw.replace('\x0c', "\n").lines().map(tidy_line).collect();
    let mut out = String::with_capacity(raw.len());
    let mut blank_run = 0;
    for line in &lines {
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            let last = out.chars().next_back();
            let first = line.chars().next();
            let wrapped = blank_run == 0
                && last.is_some_and(|c| is_chinese(c) && !ends_sentence(c))
                && first.is_some_and(is_chinese);
            if !wrapped {
                out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
            }
        }
        out.push_str(line);
        blank_run = 0;
    }
    out
}

/// One line with the spaces Tesseract puts between Chinese characters taken out.
fn tidy_line(line: &str) -> String {
    let chars: Vec<char> = line.trim().chars().collect();
    let mut out = String::with_capacity(line.len());
    for (i, &c) in chars.iter().enumerate() {
        if c.is_whitespace() {
            let before = out.chars().next_back();
            let after = chars[i + 1..].iter().copied().find(|c| !c.is_whitespace());
            let between_chinese = before.is_some_and(is_chinese) || after.is_some_and(is_chinese);
            if between_chinese || before.is_some_and(char::is_whitespace) {
                continue;
            }
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Han characters and full-width punctuation.
pub(crate) fn is_chinese(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303f}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}' | '\u{2018}'..='\u{201d}')
}

fn ends_sentence(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '：' | '；' | '”' | '）' | '】')
}

#[cfg(test)]
mod tests {
    use super::tidy_text;

    #[test]
    fn spaces_between_chinese_characters_go_latin_spaces_stay() {
        assert_eq!(tidy_text("中 共 某 省 纪 委"), "中共某省纪委");
        assert_eq!(
            tidy_text("违 反 中 央 八 项 规 定 精 神 ， 2023 年"),
            "违反中央八项规定精神，2023年"
        );
        assert_eq!(tidy_text("  PDF  file  "), "PDF file");
    }

    #[test]
    fn wrapped_lines_join_paragraphs_stay() {
        assert_eq!(
            tidy_text("处分种类包\n括警告\n\n\n第二段。\n第三行"),
            "处分种类包括警告\n\n第二段。\n第三行"
        );
        assert_eq!(tidy_text("\x0c\n\n标题\n\x0c"), "标题");
    }
}
