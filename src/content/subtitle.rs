//! Subtitle cues from WebVTT and SRT, and SRT served as WebVTT (the only format an HTML5
//! `<track>` plays). Parsing is forgiving the way players are: a malformed cue is
//! skipped, never fatal, so one bad line in a 2-hour transcript loses one cue.

use serde::{Deserialize, Serialize};

use super::error::ContentError;
use super::sniff::is_vtt;
use super::text::normalize_newlines;

/// One timed piece of subtitle text, tags stripped and entities decoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cue {
    /// When the text appears, in milliseconds from the start of the video.
    pub start_ms: u64,
    /// When it disappears, in milliseconds; never before `start_ms`.
    pub end_ms: u64,
    /// Plain text; lines of a multi-line cue are joined with `\n`.
    pub text: String,
}

/// Parses a WebVTT file: `HH:MM:SS.mmm` or `MM:SS.mmm` timings, cue settings after the
/// end time, optional cue identifiers; NOTE, STYLE and REGION blocks are skipped.
/// Fails only when the "WEBVTT" header is missing.
pub fn parse_vtt(s: &str) -> Result<Vec<Cue>, ContentError> {
    let s = normalize_newlines(s.trim_start_matches('\u{feff}'));
    if !is_vtt(&s) {
        return Err(ContentError::Malformed(
            "缺少“WEBVTT”开头，不是 WebVTT 字幕".to_owned(),
        ));
    }
    let mut cues = Vec::new();
    for (i, block) in blocks(&s).enumerate() {
        // The header block ends at the first blank line; tolerate a cue glued to it.
        let block = if i == 0 { &block[1..] } else { &block[..] };
        let is_meta = block.first().is_some_and(|first| {
            ["NOTE", "STYLE", "REGION"].iter().any(|word| {
                first
                    .strip_prefix(word)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
            })
        });
        if !is_meta {
            cues.extend(parse_block(block));
        }
    }
    Ok(cues)
}

/// Parses a SubRip file: numbered blocks with `HH:MM:SS,mmm --> HH:MM:SS,mmm` timings.
/// Fails when not a single cue can be read.
pub fn parse_srt(s: &str) -> Result<Vec<Cue>, ContentError> {
    let s = normalize_newlines(s.trim_start_matches('\u{feff}'));
    let cues: Vec<Cue> = blocks(&s).filter_map(|b| parse_block(&b)).collect();
    if cues.is_empty() {
        return Err(ContentError::Malformed(
            "没有找到任何 SRT 字幕条目".to_owned(),
        ));
    }
    Ok(cues)
}

/// Writes cues as a WebVTT file, escaping text so it cannot be read as tags or timings.
pub fn cues_to_vtt(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for cue in cues {
        out.push_str(&format_timestamp(cue.start_ms));
        out.push_str(" --> ");
        out.push_str(&format_timestamp(cue.end_ms.max(cue.start_ms)));
        out.push('\n');
        // A blank line would end the cue early, so drop empty lines.
        for line in cue.text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            out.push_str(&escape(line));
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

/// `HH:MM:SS.mmm`, the form every WebVTT reader accepts.
fn format_timestamp(ms: u64) -> String {
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    format!(
        "{h:02}:{:02}:{:02}.{:03}",
        rest / 60_000,
        rest % 60_000 / 1000,
        rest % 1000
    )
}

/// Groups lines into blank-line separated blocks.
fn blocks(s: &str) -> impl Iterator<Item = Vec<&str>> {
    let mut lines = s.lines().peekable();
    std::iter::from_fn(move || {
        while lines.peek().is_some_and(|l| l.trim().is_empty()) {
            lines.next();
        }
        let mut block = Vec::new();
        while let Some(line) = lines.next_if(|l| !l.trim().is_empty()) {
            block.push(line);
        }
        (!block.is_empty()).then_some(block)
    })
}

/// One cue from a block: an optional identifier line, the timing line, the text.
fn parse_block(block: &[&str]) -> Option<Cue> {
    let timing_at = block.iter().take(2).position(|l| l.contains("-->"))?;
    let (start, rest) = block[timing_at].split_once("-->")?;
    let start_ms = parse_timestamp(start.trim())?;
    // Cue settings (VTT) or coordinates (SRT) may follow the end time.
    let end_ms = parse_timestamp(rest.split_whitespace().next()?)?;
    if end_ms < start_ms {
        return None;
    }
    let text = block[timing_at + 1..]
        .iter()
        .map(|line| decode_entities(&strip_tags(line)).trim().to_owned())
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    (!text.is_empty()).then_some(Cue {
        start_ms,
        end_ms,
        text,
    })
}

/// A cue time as a person types it in the transcript editor: `[HH:]MM:SS[.mmm]`.
pub fn parse_cue_time(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.contains(['.', ',']) {
        parse_timestamp(s)
    } else {
        parse_timestamp(&format!("{s}.0"))
    }
}

/// A cue time as the transcript editor shows it: `MM:SS.mmm`, or `H:MM:SS.mmm`.
pub fn format_cue_time(ms: u64) -> String {
    let (hours, minutes, seconds, millis) =
        (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}.{millis:03}")
    } else {
        format!("{minutes:02}:{seconds:02}.{millis:03}")
    }
}

/// `[HH:]MM:SS.mmm` with `.` or `,` before the milliseconds; `None` for anything else.
fn parse_timestamp(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split(':').collect();
    let (hours, minutes, seconds) = match parts.as_slice() {
        [h, m, s] => (number(h, 1..=6)?, number(m, 1..=2)?, *s),
        [m, s] => (0, number(m, 1..=2)?, *s),
        _ => return None,
    };
    let (secs, frac) = seconds.split_once(['.', ','])?;
    let secs = number(secs, 1..=2)?;
    if minutes >= 60 || secs >= 60 || frac.is_empty() || frac.len() > 3 {
        return None;
    }
    // ".5" is half a second, not 5 ms.
    let millis = number(frac, 1..=3)? * 10u64.pow(3 - frac.len() as u32);
    Some(((hours * 60 + minutes) * 60 + secs) * 1000 + millis)
}

fn number(s: &str, digits: std::ops::RangeInclusive<usize>) -> Option<u64> {
    (digits.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Removes `<v Speaker>`, `<b>`, `<c.x>`, `<00:01.000>`, SRT `<font …>` and ASS-style
/// `{\an8}` markup; a `<` that does not open a tag ("a < b") is kept.
fn strip_tags(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find(['<', '{']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let (opens_tag, close) = if let Some(after) = tail.strip_prefix('<') {
            let next = after.chars().next();
            (
                next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '/' || c == '.'),
                '>',
            )
        } else {
            (tail.starts_with("{\\"), '}')
        };
        match tail.find(close).filter(|_| opens_tag) {
            Some(end) => rest = &tail[end + 1..],
            None => {
                out.push_str(&tail[..1]);
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_entities(line: &str) -> String {
    if !line.contains('&') {
        return line.to_owned();
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let entity = tail[1..].find(';').map(|end| (&tail[1..=end], end + 2));
        let decoded = entity.and_then(|(name, len)| {
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => ' ',
                "lrm" => '\u{200e}',
                "rlm" => '\u{200f}',
                _ => {
                    let num = name.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code).filter(|&c| c != '\0')?
                }
            };
            Some((c, len))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn escape(line: &str) -> String {
    line.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(start_ms: u64, end_ms: u64, text: &str) -> Cue {
        Cue {
            start_ms,
            end_ms,
            text: text.to_owned(),
        }
    }

    #[test]
    fn vtt_with_settings_tags_and_notes() {
        let vtt = "WEBVTT - 警示教育片\r\nKind: captions\r\n\r\n\
            NOTE 这是备注\r\n跨两行的备注 00:00.000 --> 00:01.000\r\n\r\n\
            STYLE\r\n::cue { color: yellow }\r\n\r\n\
            REGION\r\nid:fred width:40%\r\n\r\n\
            intro\r\n00:00:01.000 --> 00:00:04.500 align:start position:10% line:0\r\n\
            <v 张某某>我对不起组织的培养，</v>\r\n<b>辜负了</b><c.yellow>人民的信任</c>。\r\n\r\n\
            01:02.250 --> 01:05.000\r\n违规收受礼金 &amp; 购物卡 <00:01:03.000>共计&lt;十万&gt;元\r\n\r\n\
            2\r\n00:01:10.000 --> 00:01:12.000\r\na < b&nbsp;c\r\n";
        let cues = parse_vtt(vtt).expect("valid vtt");
        assert_eq!(
            cues,
            vec![
                cue(1000, 4500, "我对不起组织的培养，\n辜负了人民的信任。"),
                cue(62_250, 65_000, "违规收受礼金 & 购物卡 共计<十万>元"),
                cue(70_000, 72_000, "a < b c"),
            ]
        );
    }

    #[test]
    fn vtt_skips_malformed_cues() {
        let vtt = "WEBVTT\n\n\
            00:61.000 --> 00:62.000\nbad seconds\n\n\
            aa:bb.ccc --> 00:01.000\nnot a time\n\n\
            00:05.000 --> 00:04.000\nends before it starts\n\n\
            00:01.0000 --> 00:02.000\ntoo many digits\n\n\
            00:01.000 -> 00:02.000\nwrong arrow\n\n\
            00:03.000 --> 00:04.000\n<b></b>\n\n\
            no timing here\n\n\
            00:07.5 --> 00:08.000\n半秒\n";
        assert_eq!(
            parse_vtt(vtt).expect("header ok"),
            vec![cue(7500, 8000, "半秒")]
        );
        assert!(matches!(
            parse_vtt("00:01.000 --> 00:02.000\nx"),
            Err(ContentError::Malformed(_))
        ));
        assert_eq!(parse_vtt("WEBVTT").expect("empty is fine"), vec![]);
        // A cue glued to the header line is still read.
        assert_eq!(
            parse_vtt("WEBVTT\n00:01.000 --> 00:02.000\n嗨").expect("ok"),
            vec![cue(1000, 2000, "嗨")]
        );
    }

    #[test]
    fn srt_with_tags_and_bad_blocks() {
        let srt = "\u{feff}1\r\n00:00:01,000 --> 00:00:03,000\r\n<i>第一句</i>\r\n{\\an8}<font color=\"#ffff00\">第二行</font>\r\n\r\n\
            2\r\n00:00:0x,000 --> 00:00:05,000\r\n坏的时间\r\n\r\n\
            3\r\n01:00:05,500 --> 01:00:07,000 X1:40 X2:600 Y1:20 Y2:50\r\n最后一句\r\n";
        assert_eq!(
            parse_srt(srt).expect("valid srt"),
            vec![
                cue(1000, 3000, "第一句\n第二行"),
                cue(3_605_500, 3_607_000, "最后一句")
            ]
        );
        assert!(matches!(
            parse_srt("just some words\n"),
            Err(ContentError::Malformed(_))
        ));
        assert!(parse_srt("").is_err());
    }

    #[test]
    fn srt_becomes_vtt() {
        let cues = vec![
            cue(1000, 3000, "第一句\n\n<script>&"),
            cue(100 * 3_600_000 + 1, 100 * 3_600_000 + 2, "a --> b"),
        ];
        let vtt = cues_to_vtt(&cues);
        assert!(vtt.starts_with(
            "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n第一句\n&lt;script&gt;&amp;\n\n"
        ));
        assert!(vtt.contains("100:00:00.001 --> 100:00:00.002\na --&gt; b\n"));
        let back = parse_vtt(&vtt).expect("round trip");
        assert_eq!(back[0].text, "第一句\n<script>&");
        assert_eq!(back[1], cues[1]);
    }

    #[test]
    fn cue_times_as_typed_and_shown() {
        assert_eq!(parse_cue_time(" 01:02 "), Some(62_000));
        assert_eq!(parse_cue_time("1:00:02.5"), Some(3_602_500));
        assert_eq!(parse_cue_time("62"), None);
        assert_eq!(parse_cue_time("00:61.0"), None);
        for ms in [0, 999, 62_500, 3_602_050] {
            assert_eq!(parse_cue_time(&format_cue_time(ms)), Some(ms));
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("00:00:01.000"), Some(1000));
        assert_eq!(parse_timestamp("01:02.003"), Some(62_003));
        assert_eq!(parse_timestamp("10:00:00,250"), Some(36_000_250));
        assert_eq!(parse_timestamp("00:00:01"), None);
        assert_eq!(parse_timestamp("-1:00.000"), None);
        assert_eq!(parse_timestamp("00:00.+10"), None);
        assert_eq!(parse_timestamp("99999999999999999999:00:00.000"), None);
        assert_eq!(format_timestamp(3_723_004), "01:02:03.004");
    }
}
