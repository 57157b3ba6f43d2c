//! The tracer (SPEC §11): given a leaked PDF, or text extracted from one, which loan
//! (or account) its copy was stamped for. The code is read wherever a stamp leaves it:
//! the invisible text (`JSMARK-7KQ2M9XA-20261201`), the visible label
//! (`JS-7KQ2M9XA`), and the Info dictionary; re-saving (qpdf) keeps all three, text
//! extraction keeps the first two. Extraction noise (spaces and line breaks inside a
//! code, lower case, O for 0) is tolerated.

use std::io::Write;

use jiff::civil::Date;
use rusqlite::Connection;
use serde::Serialize;

use super::code::{CODE_LEN, canonical_char};
use super::pdf::{HIDDEN_PREFIX, INFO_CODE, INFO_DAY};
use super::{LABEL_PREFIX, Mark, MarkError, find_by_code};
use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;
use crate::content::{self, Extraction, FileKind};

/// Most characters of pasted text read.
pub const MAX_TRACE_TEXT_CHARS: usize = 4_000_000;

/// What a librarian hands in.
#[derive(Debug, Clone)]
pub enum TraceInput {
    /// A PDF's bytes.
    Pdf(Vec<u8>),
    /// Text extracted from a PDF (e.g. `pdftotext` output).
    Text(String),
}

/// The answer: `{"found": false}`, or where the copy came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceAnswer {
    pub found: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub origin: Option<TracedCopy>,
}

/// The loan (or account) a copy was stamped for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TracedCopy {
    /// `null` for a librarian's copy or open material read without a loan.
    pub loan_id: Option<i64>,
    /// The unit's code (`null` for a librarian without one).
    pub unit: Option<String>,
    pub resource_id: String,
    /// The day the copy was stamped (`YYYY-MM-DD`), as the copy says, else the day
    /// its mark was made.
    pub stamped_at: String,
}

/// Why a trace was not made.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("只有管理员可以追查泄露文件")]
    LibrariansOnly,
    #[error("请上传泄露的 PDF 文件，或粘贴从中提取的文字")]
    Empty,
    #[error("上传的文件不是 PDF；请上传 PDF 文件，或粘贴从中提取的文字")]
    NotPdf,
    #[error("文字太长（超过 {MAX_TRACE_TEXT_CHARS} 个字符）；请只粘贴含标记的几页")]
    TextTooLong,
    #[error("cannot read the uploaded file: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Marks(#[from] MarkError),
}

impl From<rusqlite::Error> for TraceError {
    fn from(err: rusqlite::Error) -> Self {
        Self::Marks(MarkError::Db(err))
    }
}

/// A code read from a copy, with the day it names if any.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Clue {
    code: String,
    day: Option<Date>,
}

/// Traces `input` for librarian `viewer` at `at`, and writes the audit row (the
/// code found, or that none was). Blocking (a PDF's text is extracted).
pub fn trace(
    conn: &Connection,
    viewer: &SessionUser,
    input: TraceInput,
    at: Moment,
) -> Result<TraceAnswer, TraceError> {
    if !viewer.is_librarian() {
        return Err(TraceError::LibrariansOnly);
    }
    let clues = match input {
        TraceInput::Text(text) => {
            if text.trim().is_empty() {
                return Err(TraceError::Empty);
            }
            if text.chars().nth(MAX_TRACE_TEXT_CHARS).is_some() {
                return Err(TraceError::TextTooLong);
            }
            clues_in_text(&text)
        }
        TraceInput::Pdf(bytes) => clues_in_pdf(&bytes)?,
    };
    let found = first_known(conn, &clues)?;
    let event = AuditEvent::by(&Actor::user(viewer), AuditAction::LeakTraced);
    let Some((mark, day)) = found else {
        event.detail("no mark found").record(conn, at)?;
        return Ok(TraceAnswer {
            found: false,
            origin: None,
        });
    };
    let loan = mark
        .loan_id
        .map_or_else(|| "no loan".to_owned(), |id| format!("loan {id}"));
    event
        .resource(&mark.resource_id)
        .detail(format!("found {LABEL_PREFIX}{}, {loan}", mark.code))
        .record(conn, at)?;
    let stamped_at = day.map_or_else(
        || mark.created_at.chars().take(10).collect(),
        |d| d.to_string(),
    );
    Ok(TraceAnswer {
        found: true,
        origin: Some(TracedCopy {
            loan_id: mark.loan_id.map(|id| id.0),
            unit: mark.unit_code,
            resource_id: mark.resource_id,
            stamped_at,
        }),
    })
}

/// The first clue whose code is a mark, with the day the copy names.
fn first_known(
    conn: &Connection,
    clues: &[Clue],
) -> Result<Option<(Mark, Option<Date>)>, TraceError> {
    let mut tried: Vec<&str> = Vec::new();
    for clue in clues {
        if tried.contains(&clue.code.as_str()) {
            continue;
        }
        tried.push(&clue.code);
        if let Some(mark) = find_by_code(conn, &clue.code)? {
            // The same code elsewhere in the copy may name the day.
            let day = clues
                .iter()
                .filter(|c| c.code == mark.code)
                .find_map(|c| c.day);
            return Ok(Some((mark, day)));
        }
    }
    Ok(None)
}

/// The clues of a PDF: its text (as the library extracts it), its Info dictionary,
/// then (a file no parser reads) its raw bytes.
fn clues_in_pdf(bytes: &[u8]) -> Result<Vec<Clue>, TraceError> {
    if bytes.is_empty() {
        return Err(TraceError::Empty);
    }
    // The header may follow some junk, within the first kilobyte.
    if !bytes.windows(5).take(1024).any(|w| w == b"%PDF-") {
        return Err(TraceError::NotPdf);
    }
    let mut temp = tempfile::Builder::new().suffix(".pdf").tempfile()?;
    temp.write_all(bytes)?;
    temp.flush()?;
    let mut clues = match content::extract(temp.path(), FileKind::Pdf) {
        Extraction::Text(text) => clues_in_text(&text),
        _ => Vec::new(),
    };
    clues.extend(clues_in_info(bytes));
    if clues.is_empty() {
        clues = clues_in_text(&String::from_utf8_lossy(bytes));
    }
    Ok(clues)
}

fn clues_in_info(bytes: &[u8]) -> Vec<Clue> {
    let Ok(doc) = lopdf::Document::load_mem(bytes) else {
        return Vec::new();
    };
    let Some(info) = doc
        .trailer
        .get(b"Info")
        .and_then(|info| doc.dereference(info))
        .ok()
        .and_then(|(_, info)| info.as_dict().ok())
    else {
        return Vec::new();
    };
    let text = |key: &[u8]| {
        info.get(key)
            .and_then(lopdf::Object::as_str)
            .ok()
            .map(|raw| String::from_utf8_lossy(raw).into_owned())
    };
    let Some(code) = text(INFO_CODE).as_deref().and_then(super::canonical_code) else {
        return Vec::new();
    };
    let day = text(INFO_DAY).and_then(|day| day.trim().parse().ok());
    vec![Clue { code, day }]
}

/// Codes after `JSMARK-` (with the day after them) and after `JS-`, in the order
/// they appear, read through extraction noise: white space anywhere is dropped, and
/// look-alike letters read as Crockford's digits.
fn clues_in_text(text: &str) -> Vec<Clue> {
    let squeezed: Vec<char> = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{200b}' | '\u{feff}' | '\u{ad}'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let hidden: Vec<char> = HIDDEN_PREFIX.chars().collect();
    let label: Vec<char> = LABEL_PREFIX.chars().collect();
    let mut clues = Vec::new();
    let mut at = 0;
    while at < squeezed.len() {
        let rest = &squeezed[at..];
        let prefix = [&hidden, &label].into_iter().find(|p| rest.starts_with(p));
        let Some(prefix) = prefix else {
            at += 1;
            continue;
        };
        let after = &rest[prefix.len()..];
        let code: Option<String> = after
            .iter()
            .take(CODE_LEN)
            .map(|c| canonical_char(*c))
            .collect();
        match code.filter(|code| code.len() == CODE_LEN) {
            Some(code) => {
                let day = (prefix == &hidden)
                    .then(|| day_after(&after[CODE_LEN..]))
                    .flatten();
                clues.push(Clue { code, day });
                at += prefix.len() + CODE_LEN;
            }
            None => at += prefix.len(),
        }
    }
    clues
}

/// `-YYYYMMDD` at the start of `rest`, as a date.
fn day_after(rest: &[char]) -> Option<Date> {
    let digits: String = rest.strip_prefix(&['-'])?.iter().take(8).collect();
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m, d) = (&digits[..4], &digits[4..6], &digits[6..]);
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<(String, Option<String>)> {
        clues_in_text(text)
            .into_iter()
            .map(|c| (c.code, c.day.map(|d| d.to_string())))
            .collect()
    }

    #[test]
    fn codes_are_read_through_extraction_noise() {
        let day = Some("2026-12-01".to_owned());
        assert_eq!(
            codes("JSMARK-7KQ2M9XA-20261201"),
            [("7KQ2M9XA".to_owned(), day.clone())]
        );
        assert_eq!(
            codes("页眉\nJSMA RK-7kq2\nm9xa-2026 1201 正文"),
            [("7KQ2M9XA".to_owned(), day.clone())]
        );
        assert_eq!(
            codes("JS-7KQ2M9XA yn-tax 2026-12-01"),
            [("7KQ2M9XA".to_owned(), None)]
        );
        // O and I read as 0 and 1; U is no code character.
        assert_eq!(codes("JS-OI234567"), [("01234567".to_owned(), None)]);
        assert!(codes("JS-UUUUUUUU JSMARK- <script>alert(1)</script>").is_empty());
        assert_eq!(codes("JSMARK-7KQ2M9XA-20261399")[0].1, None, "not a date");
        assert!(codes("").is_empty());
    }
}
