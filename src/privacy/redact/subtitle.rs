//! Redacted copies of subtitles (WebVTT and SRT). Only text changes: cue numbers and
//! identifiers, timing lines with their settings, the header, STYLE and REGION blocks,
//! blank lines and line ends stay exactly as they were. A cue's lines are scanned
//! together as one text, without their tags (`<i>王</i>建国` is one name); the speaker
//! of a voice tag (`<v 王建国>`) is scanned with the cue, as a transcript writes it
//! (`王建国：…`). NOTE comments and stray text outside cues are scanned as well: they
//! are in the file whoever downloads it.

use std::ops::Range;

use super::pieces::{Assembly, splice};
use super::{RedactError, Redaction, Scan, decode};
use crate::content::{parse_srt, parse_vtt};

/// A subtitle file (WebVTT or SRT) with every cue's findings masked; keeps its format.
/// Read as the product reads text and written back as UTF-8.
pub fn redact_subtitle(
    bytes: &[u8],
    scan: Scan<'_>,
    how: Redaction,
) -> Result<Vec<u8>, RedactError> {
    let decoded = decode(bytes)?;
    let text = decoded.text.as_str();
    // The product's parsers decide what the file is: WebVTT when it has the header,
    // else SRT with at least one readable cue.
    let vtt = parse_vtt(text).is_ok();
    if !vtt {
        parse_srt(text).map_err(|e| RedactError::Unreadable(e.to_string()))?;
    }
    let mut edits = Vec::new();
    for (number, block) in blocks(text).iter().enumerate() {
        let block = if vtt && number == 0 {
            // "WEBVTT - title": the title is text too; a cue may be glued to the header.
            let title = block[0].start + "WEBVTT".len()..block[0].end;
            redact_cue(text, std::slice::from_ref(&title), scan, how, &mut edits);
            &block[1..]
        } else {
            &block[..]
        };
        let lines = text_lines(text, block, vtt);
        if !lines.is_empty() {
            redact_cue(text, &lines, scan, how, &mut edits);
        }
    }
    Ok(decoded.encode(&splice(text, edits)))
}

/// The byte ranges of the lines of `text`, without their ends (`\n`, `\r\n` or `\r`).
fn lines(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let (mut start, mut at) = (0, 0);
    while at < bytes.len() {
        let end_length = match (bytes[at], bytes.get(at + 1)) {
            (b'\r', Some(b'\n')) => 2,
            (b'\r' | b'\n', _) => 1,
            _ => 0,
        };
        if end_length == 0 {
            at += 1;
        } else {
            lines.push(start..at);
            at += end_length;
            start = at;
        }
    }
    if start < bytes.len() {
        lines.push(start..bytes.len());
    }
    lines
}

/// The lines grouped into blocks that blank lines separate, as the parsers group them.
fn blocks(text: &str) -> Vec<Vec<Range<usize>>> {
    let mut blocks = vec![Vec::new()];
    for line in lines(text) {
        if text[line.clone()].trim().is_empty() {
            blocks.push(Vec::new());
        } else if let Some(block) = blocks.last_mut() {
            block.push(line);
        }
    }
    blocks.retain(|b| !b.is_empty());
    blocks
}

/// Which parts of a block's lines are text to scan: a cue's lines after its timing
/// line, a NOTE after the word NOTE, nothing of STYLE and REGION, all of any other.
fn text_lines(text: &str, block: &[Range<usize>], vtt: bool) -> Vec<Range<usize>> {
    let Some(first) = block.first() else {
        return Vec::new();
    };
    let keyword = |word: &str| {
        text[first.clone()]
            .strip_prefix(word)
            .filter(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
            .map(str::len)
    };
    if vtt {
        if keyword("STYLE").is_some() || keyword("REGION").is_some() {
            return Vec::new();
        }
        if let Some(rest) = keyword("NOTE") {
            let mut lines = Vec::with_capacity(block.len());
            lines.push(first.end - rest..first.end);
            lines.extend_from_slice(&block[1..]);
            return lines;
        }
    }
    let timing = block
        .iter()
        .take(2)
        .position(|line| text[line.clone()].contains("-->"));
    match timing {
        Some(at) => block[at + 1..].to_vec(),
        None => block.to_vec(),
    }
}

/// Scans one cue's lines as one text and adds the edits that mask its findings, a
/// whole line at a time. A line left blank (its characters went into the mask on the
/// line before) is removed with its line end: a blank line would end the cue.
fn redact_cue(
    text: &str,
    lines: &[Range<usize>],
    scan: Scan<'_>,
    how: Redaction,
    edits: &mut Vec<(Range<usize>, String)>,
) {
    let mut assembly = Assembly::default();
    // Each piece's byte range and the line it is on.
    let mut pieces = Vec::new();
    for (number, line) in lines.iter().enumerate() {
        if number > 0 {
            assembly.push_break('\n');
        }
        for (piece, speaker) in line_pieces(text, line.clone()) {
            assembly.push_piece(&text[piece.clone()]);
            pieces.push((piece, number));
            if speaker {
                assembly.push_break('：');
            }
        }
    }
    if assembly.text().trim().is_empty() {
        return;
    }
    let findings = scan(assembly.text());
    let mut by_line = vec![Vec::new(); lines.len()];
    for (number, new) in assembly.rewrite(&findings, how) {
        let (piece, line) = &pieces[number];
        let start = lines[*line].start;
        by_line[*line].push((piece.start - start..piece.end - start, new));
    }
    for (number, line_edits) in by_line.into_iter().enumerate() {
        if line_edits.is_empty() {
            continue;
        }
        let line = lines[number].clone();
        let new = splice(&text[line.clone()], line_edits);
        match number.checked_sub(1) {
            Some(before) if new.trim().is_empty() => {
                edits.push((lines[before].end..line.end, String::new()));
            }
            _ => edits.push((line, new)),
        }
    }
}

/// A line's text between its tags, and the speaker named in a voice tag (`true`), as
/// byte ranges of the file. Tags are what the players strip: `<` followed by a letter,
/// digit, `/` or `.` up to the next `>`, and `{\…}`; a lone `<` ("a < b") is text.
fn line_pieces(text: &str, line: Range<usize>) -> Vec<(Range<usize>, bool)> {
    let mut pieces = Vec::new();
    let (mut start, mut at) = (line.start, line.start);
    let within = &text[..line.end];
    while let Some(found) = within[at..].find(['<', '{']) {
        let open = at + found;
        let tail = &within[open..];
        let close = match tail.strip_prefix('<') {
            Some(after) => after
                .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '/' || c == '.')
                .then_some('>'),
            None => tail.starts_with("{\\").then_some('}'),
        };
        let Some(length) = close.and_then(|c| tail.find(c)) else {
            at = open + 1;
            continue;
        };
        if start < open {
            pieces.push((start..open, false));
        }
        if let Some(speaker) = speaker(text, open + 1..open + length) {
            pieces.push((speaker, true));
        }
        at = open + length + 1;
        start = at;
    }
    if start < line.end {
        pieces.push((start..line.end, false));
    }
    pieces
}

/// The annotation of a voice tag's inside (`v 王建国`, `v.loud 王建国`), trimmed.
fn speaker(text: &str, inside: Range<usize>) -> Option<Range<usize>> {
    let tag = &text[inside.clone()];
    if !(tag.starts_with("v ") || tag.starts_with("v\t") || tag.starts_with("v.")) {
        return None;
    }
    let space = tag.find([' ', '\t'])?;
    let annotation = &tag[space..];
    let lead = annotation.len() - annotation.trim_start().len();
    let start = inside.start + space + lead;
    let length = annotation.trim().len();
    (length > 0).then_some(start..start + length)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Cue;
    use crate::privacy::FindingKind;
    use crate::privacy::redact::testing::{finding, fixed_scan};

    const SURNAME: Redaction = Redaction { keep_surname: true };

    fn redact(text: &str) -> String {
        let out = redact_subtitle(text.as_bytes(), &fixed_scan, SURNAME).expect("redacted");
        String::from_utf8(out).expect("utf-8")
    }

    fn timings(cues: &[Cue]) -> Vec<(u64, u64)> {
        cues.iter().map(|c| (c.start_ms, c.end_ms)).collect()
    }

    #[test]
    fn srt_keeps_numbers_timings_and_line_ends() {
        let srt = "1\r\n00:00:01,000 --> 00:00:03,000\r\n我是王建国，\r\n电话13812345678\r\n\r\n\
            2\r\n00:00:03,500 --> 00:00:05,000 X1:40 X2:600\r\n<i>欧阳</i>明的<font color=\"#ff0\">车</font>云A12345\r\n\r\n\
            3\r\n00:00:06,000 --> 00:00:07,000\r\n没有个人信息 12:00\r\n";
        let out = redact(srt);
        assert_eq!(
            out,
            "1\r\n00:00:01,000 --> 00:00:03,000\r\n我是王某某，\r\n电话138****5678\r\n\r\n\
            2\r\n00:00:03,500 --> 00:00:05,000 X1:40 X2:600\r\n<i>欧阳某某</i>的<font color=\"#ff0\">车</font>云A****5\r\n\r\n\
            3\r\n00:00:06,000 --> 00:00:07,000\r\n没有个人信息 12:00\r\n"
        );
        let (before, after) = (parse_srt(srt).expect("srt"), parse_srt(&out).expect("srt"));
        assert_eq!(timings(&after), timings(&before));
        assert_eq!(after[1].text, "欧阳某某的车云A****5");
    }

    #[test]
    fn a_cue_is_scanned_as_one_text_and_emptied_lines_go() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\n我是王\n建国\n同志\n\n\
            2\n00:00:03,000 --> 00:00:04,000\n嗯\n";
        // A scanner that finds a name only in the cue's lines joined by line ends.
        let across = |text: &str| match text {
            "我是王\n建国\n同志" => vec![finding(FindingKind::PersonName, 2, 6, "王\n建国")],
            _ => Vec::new(),
        };
        let out = redact_subtitle(srt.as_bytes(), &across, SURNAME).expect("redacted");
        let out = String::from_utf8(out).expect("utf-8");
        assert_eq!(
            out,
            "1\n00:00:01,000 --> 00:00:02,000\n我是王某某\n同志\n\n\
            2\n00:00:03,000 --> 00:00:04,000\n嗯\n"
        );
        let cues = parse_srt(&out).expect("srt");
        assert_eq!(cues.len(), 2);
        assert_eq!(cues[0].text, "我是王某某\n同志");
    }

    #[test]
    fn vtt_keeps_header_settings_and_styles_and_masks_speakers_and_notes() {
        let vtt = "WEBVTT - 王建国案警示片\nKind: captions\n\n\
            NOTE 采访对象李红梅 13812345678\n\n\
            STYLE\n::cue { color: red }\n\n\
            intro\n00:00:01.000 --> 00:00:04.500 align:start position:10%\n\
            <v 王建国>我对不起组织，</v>\n<c.yellow>邮箱 zhangsan@example.com</c>\n\n\
            00:05.000 --> 00:06.000\n王<b>建国</b> &amp; 李红梅\n";
        let out = redact(vtt);
        assert_eq!(
            out,
            "WEBVTT - 王某某案警示片\nKind: captions\n\n\
            NOTE 采访对象李某某 138****5678\n\n\
            STYLE\n::cue { color: red }\n\n\
            intro\n00:00:01.000 --> 00:00:04.500 align:start position:10%\n\
            <v 王某某>我对不起组织，</v>\n<c.yellow>邮箱 z***@example.com</c>\n\n\
            00:05.000 --> 00:06.000\n王某某<b></b> &amp; 李某某\n"
        );
        let (before, after) = (parse_vtt(vtt).expect("vtt"), parse_vtt(&out).expect("vtt"));
        assert_eq!(timings(&after), timings(&before));
        assert_eq!(after[0].text, "我对不起组织，\n邮箱 z***@example.com");
    }

    #[test]
    fn gbk_subtitles_come_back_as_utf8_and_garbage_is_refused() {
        let (gbk, _, _) = encoding_rs::GBK.encode("1\n00:00:01,000 --> 00:00:02,000\n王建国\n");
        let out = redact_subtitle(&gbk, &fixed_scan, Redaction::default()).expect("redacted");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "1\n00:00:01,000 --> 00:00:02,000\n某某\n"
        );
        let refused = redact_subtitle(b"just some words\n", &fixed_scan, SURNAME);
        assert!(
            matches!(refused, Err(RedactError::Unreadable(_))),
            "{refused:?}"
        );
    }

    #[test]
    fn lines_end_in_every_way_and_tags_are_not_text() {
        let text = "a\r\nb\rc\n\nd";
        let found: Vec<&str> = lines(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(found, ["a", "b", "c", "", "d"]);
        let line = "<v.loud  王建国 >嗨 a < b{\\an8}";
        let pieces: Vec<(&str, bool)> = line_pieces(line, 0..line.len())
            .into_iter()
            .map(|(range, speaker)| (&line[range], speaker))
            .collect();
        assert_eq!(pieces, [("王建国", true), ("嗨 a < b", false)]);
    }
}
