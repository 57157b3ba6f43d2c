//! Reading the line images with Tesseract: all of a stretch's lines in one run over a
//! list file, and what it says turned into a tidy line of subtitle.

use std::process::Command;
use std::time::Instant;

use super::left;
use super::render;
use super::strokes::Gray;
use crate::content::run_bounded;
use crate::ocr::tidy::is_chinese;
use crate::ocr::{LANGUAGE, OcrError, OcrSettings};

/// Reads every line image in one Tesseract run over a list file (each image a page);
/// per group of lines, the lines' text as one line. The TSV output names each word's
/// page and confidence: words Tesseract hardly believes are specks of the picture.
pub(super) fn read_lines(
    groups: &[&[Gray]],
    settings: &OcrSettings,
    deadline: Instant,
) -> Result<Vec<String>, OcrError> {
    let total: usize = groups.iter().map(|lines| lines.len()).sum();
    if total == 0 {
        return Ok(vec![String::new(); groups.len()]);
    }
    let dir = tempfile::tempdir()?;
    let mut list = String::new();
    for (n, image) in groups.iter().flat_map(|lines| lines.iter()).enumerate() {
        let file = dir.path().join(format!("line-{n}.pgm"));
        std::fs::write(&file, render::pgm(image))?;
        list.push_str(&file.to_string_lossy());
        list.push('\n');
    }
    let list_file = dir.path().join("lines.txt");
    std::fs::write(&list_file, list)?;
    let mut command = Command::new(&settings.tesseract);
    command
        .arg(&list_file)
        // A single line each (7): measured better than a block (6) or a raw line (13).
        .args(["stdout", "-l", LANGUAGE, "--psm", "7", "tsv"])
        // One thread each: the machine's other cores belong to the server.
        .env("OMP_THREAD_LIMIT", "1");
    let done = run_bounded(command, left(deadline, "tesseract")?, 16 << 20)
        .map_err(|err| OcrError::of_run("tesseract", err))?;
    if !done.status.success() {
        return Err(OcrError::Failed {
            program: "tesseract",
            reason: done.stderr.trim().chars().take(300).collect(),
        });
    }
    let mut pages = believed_words(&String::from_utf8_lossy(&done.stdout), total).into_iter();
    Ok(groups
        .iter()
        .map(|lines| {
            let read: Vec<String> = pages.by_ref().take(lines.len()).collect();
            as_line(&read.join("\n"))
        })
        .collect())
}

/// A line whose words Tesseract believes less than this on average (0–100, weighed by
/// characters) is the picture read as text, and dropped. Single words are not judged:
/// Tesseract gives some plainly right ones a confidence of 0.
const MIN_LINE_CONFIDENCE: f64 = 50.0;

/// The text of each of `pages` pages of Tesseract's TSV output, words joined by spaces
/// (which [`crate::ocr::tidy_text`] takes out between Chinese characters); empty for a page
/// not believed.
fn believed_words(tsv: &str, pages: usize) -> Vec<String> {
    let mut words: Vec<Vec<(&str, f64)>> = vec![Vec::new(); pages];
    for row in tsv.lines() {
        let columns: Vec<&str> = row.split('\t').collect();
        let [level, page, .., confidence, text] = columns.as_slice() else {
            continue;
        };
        let page = page
            .parse::<usize>()
            .ok()
            .and_then(|page| page.checked_sub(1));
        let (Some(line), Ok(confidence)) =
            (page.and_then(|p| words.get_mut(p)), confidence.parse())
        else {
            continue;
        };
        if *level == "5" && !text.trim().is_empty() {
            line.push((text.trim(), confidence));
        }
    }
    words
        .into_iter()
        .map(|line| {
            let chars: usize = line.iter().map(|(text, _)| text.chars().count()).sum();
            let weighed: f64 = line
                .iter()
                .map(|(text, c)| c * text.chars().count() as f64)
                .sum();
            if chars == 0 || weighed < MIN_LINE_CONFIDENCE * chars as f64 {
                return String::new();
            }
            line.iter()
                .map(|(text, _)| *text)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Tesseract's reading of a subtitle as one tidy line; empty when it holds no letter,
/// digit or Chinese character (specks read as punctuation).
fn as_line(raw: &str) -> String {
    let tidy = full_width_punctuation(&crate::ocr::tidy_text(raw).replace('\n', " "));
    // Chinese characters are alphabetic to Unicode; punctuation is not.
    if tidy.chars().any(char::is_alphanumeric) {
        tidy
    } else {
        String::new()
    }
}

/// Chinese subtitles use full-width punctuation, which Tesseract's model often gives as
/// ASCII: next to a Chinese character it is turned back. Quotes alternate opening and
/// closing.
fn full_width_punctuation(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let (mut double_open, mut single_open) = (true, true);
    let mut out = String::with_capacity(line.len());
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        if !(before.is_some_and(is_chinese) || after.is_some_and(is_chinese)) {
            out.push(c);
            continue;
        }
        let wide = match c {
            ',' => '，',
            ':' => '：',
            ';' => '；',
            '?' => '？',
            '!' => '！',
            '(' => '（',
            ')' => '）',
            '"' => {
                double_open = !double_open;
                if double_open { '”' } else { '“' }
            }
            '\'' => {
                single_open = !single_open;
                if single_open { '’' } else { '‘' }
            }
            other => other,
        };
        out.push(wide);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_words_are_grouped_by_page_and_doubtful_lines_dropped() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   1\t1\t0\t0\t0\t0\t0\t0\t300\t80\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t23\t23\t83\t40\t95.8\t严守\n\
                   5\t1\t1\t1\t1\t2\t115\t23\t98\t41\t30.0\t纪律\n\
                   5\t3\t1\t1\t1\t1\t23\t23\t83\t40\t12.5\t站人\n\
                   5\t3\t1\t1\t1\t2\t23\t23\t83\t40\t90.0\t1\n\
                   5\t9\t1\t1\t1\t1\t23\t23\t83\t40\t90.0\t越界\n";
        assert_eq!(believed_words(tsv, 3), ["严守 纪律", "", ""]);
    }

    #[test]
    fn readings_become_tidy_lines_with_chinese_punctuation() {
        assert_eq!(
            as_line("又 查 清 了 \"四 风 \" 问 题"),
            "又查清了“四风”问题"
        );
        assert_eq!(
            as_line("工 商 联 (总 商 会 ), 副 主 席"),
            "工商联（总商会），副主席"
        );
        assert_eq!(as_line("处 分 64.4 万 人"), "处分64.4万人");
        assert_eq!(as_line("PDF \"file\""), "PDF \"file\"");
        assert_eq!(as_line("。 ， _ -"), "");
    }
}
