//! Redacted copies of Word documents. The text parts (body, headers, footers,
//! footnotes, endnotes, comments, and the document properties) are rewritten; every
//! other entry of the zip is copied as it was stored, compressed bytes and all.
//!
//! Word splits a paragraph into runs wherever the formatting or an edit changed, so a
//! name is often spread over several `w:t` elements: each paragraph's text is scanned
//! as a whole (tabs and line breaks included, as extraction reads them) and only the
//! `w:t` elements a finding touches are rewritten. Deleted text (`w:delText`) and
//! field codes (`w:instrText`, where a `mailto:` may hide) are part of the paragraph
//! too: a redacted copy must not keep them for anyone who shows changes or codes. The
//! fallback copy of a text box is rewritten like the text box itself, and external
//! link targets in the relationship parts like any other text.

use std::io::{Cursor, Read, Write};
use std::ops::Range;

use quick_xml::escape::{partial_escape, resolve_predefined_entity};
use quick_xml::events::{BytesEnd, BytesRef, BytesStart, Event};
use quick_xml::{Reader, Writer, XmlVersion};
use zip::write::SimpleFileOptions;
use zip::{ZipArchive, ZipWriter};

use super::pieces::{Assembly, redact_text, splice};
use super::{RedactError, Redaction, Scan};
use crate::content::MAX_DOCX_XML;

/// A DOCX file with every finding of its text masked, scanning with `scan`. The text
/// parts together may not exceed the size extraction reads (against zip bombs).
pub fn redact_docx(bytes: &[u8], scan: Scan<'_>, how: Redaction) -> Result<Vec<u8>, RedactError> {
    redact_docx_within(bytes, scan, how, MAX_DOCX_XML)
}

fn redact_docx_within(
    bytes: &[u8],
    scan: Scan<'_>,
    how: Redaction,
    limit: u64,
) -> Result<Vec<u8>, RedactError> {
    let mut archive = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| unreadable(format!("不是有效的 Word 文档（{e}）")))?;
    let names = (0..archive.len())
        .map(|index| match archive.name_for_index(index) {
            Some(Ok(name)) => Ok(name.into_owned()),
            _ => Err(unreadable("Word 文档的目录有误")),
        })
        .collect::<Result<Vec<String>, RedactError>>()?;
    if !names
        .iter()
        .any(|n| n.eq_ignore_ascii_case("word/document.xml"))
    {
        return Err(unreadable("Word 文档缺少正文部分（word/document.xml）"));
    }
    let mut budget = limit;
    let mut writer = ZipWriter::new(Cursor::new(Vec::with_capacity(bytes.len())));
    for (index, name) in names.iter().enumerate() {
        let rewritten = match layout_of(name) {
            Some(layout) => {
                let (options, xml) = read_part(&mut archive, index, name, &mut budget)?;
                rewrite_xml(&xml, layout, scan, how)
                    .map_err(|e| unreadable(format!("{name} 格式有误（{e}）")))?
                    .map(|xml| (options, xml))
            }
            None => None,
        };
        let written = match rewritten {
            Some((options, xml)) => writer
                .start_file(name.as_str(), options)
                .and_then(|()| Ok(writer.write_all(xml.as_bytes())?)),
            None => {
                let entry = archive
                    .by_index_raw(index)
                    .map_err(|e| unreadable(format!("无法读取 {name}（{e}）")))?;
                writer.raw_copy_file(entry)
            }
        };
        written.map_err(|e| unreadable(format!("无法写出 {name}（{e}）")))?;
    }
    writer
        .set_raw_comment(archive.comment().into())
        .and_then(|()| writer.finish())
        .map(Cursor::into_inner)
        .map_err(|e| unreadable(format!("无法写出脱敏副本（{e}）")))
}

fn unreadable(reason: impl Into<String>) -> RedactError {
    RedactError::Unreadable(reason.into())
}

/// How a part holds its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// WordprocessingML: `w:t` runs in `w:p` paragraphs, scanned a paragraph at a time.
    Paragraphs,
    /// Document properties: each element's text on its own (title, author, company).
    Fields,
    /// A part's relationships: the target of each external link on its own (Word turns
    /// a typed e-mail address into a `mailto:` link).
    Links,
}

/// Which entries hold text, and how; `None` for the rest (styles, images, fonts).
fn layout_of(name: &str) -> Option<Layout> {
    let name = name.to_ascii_lowercase();
    if name.starts_with("word/_rels/") && name.ends_with(".rels") {
        return Some(Layout::Links);
    }
    if let Some(stem) = name
        .strip_prefix("word/")
        .and_then(|rest| rest.strip_suffix(".xml"))
    {
        // Building blocks (word/glossary/) carry text a user can insert.
        let stem = stem.strip_prefix("glossary/").unwrap_or(stem);
        let numbered = |prefix: &str| {
            stem.strip_prefix(prefix)
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        };
        let text_part = matches!(stem, "document" | "footnotes" | "endnotes" | "comments")
            || numbered("header")
            || numbered("footer");
        return text_part.then_some(Layout::Paragraphs);
    }
    matches!(
        name.as_str(),
        "docprops/core.xml" | "docprops/app.xml" | "docprops/custom.xml"
    )
    .then_some(Layout::Fields)
}

/// A text part's XML and the options it was stored with, within what is left of the
/// budget. The declared size is checked first, then what inflating really gives.
fn read_part(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    index: usize,
    name: &str,
    budget: &mut u64,
) -> Result<(SimpleFileOptions, String), RedactError> {
    let too_large = || {
        unreadable(format!(
            "Word 文档的文字部分超过 {} MB",
            MAX_DOCX_XML / (1024 * 1024)
        ))
    };
    let mut entry = archive
        .by_index(index)
        .map_err(|e| unreadable(format!("无法读取 {name}（{e}）")))?;
    if entry.size() > *budget {
        return Err(too_large());
    }
    let options = entry.options();
    let mut raw = Vec::new();
    (&mut entry)
        .take(*budget + 1)
        .read_to_end(&mut raw)
        .map_err(|e| unreadable(format!("无法读取 {name}（{e}）")))?;
    let length = raw.len() as u64;
    if length > *budget {
        return Err(too_large());
    }
    *budget -= length;
    let xml = String::from_utf8(raw).map_err(|_| unreadable(format!("{name} 不是 UTF-8 编码")))?;
    Ok((options, xml))
}

/// A `w:t` (or property) element whose text is one piece of a paragraph.
struct TextElement {
    /// The start tag, in bytes of the part.
    tag: Range<usize>,
    /// Whether the text keeps its leading and trailing spaces as it is.
    preserve: bool,
    /// The text between the tags, still escaped.
    content: Range<usize>,
}

/// A text element being read: its start tag and the text so far.
struct Open {
    tag: Range<usize>,
    preserve: bool,
    text: String,
}

/// One paragraph's text, and where each of its pieces lies in the part.
#[derive(Default)]
struct Paragraph {
    assembly: Assembly,
    elements: Vec<TextElement>,
}

/// Scans finished paragraphs and collects the edits to the part.
struct Rewriter<'a> {
    scan: Scan<'a>,
    how: Redaction,
    /// Byte ranges of the part and what replaces them; never overlapping.
    edits: Vec<(Range<usize>, String)>,
}

impl Rewriter<'_> {
    fn finish(&mut self, paragraph: Paragraph, xml: &str) {
        let text = paragraph.assembly.text();
        if text.trim().is_empty() {
            return;
        }
        let findings = (self.scan)(text);
        for (number, new) in paragraph.assembly.rewrite(&findings, self.how) {
            let element = &paragraph.elements[number];
            let edge_space =
                |c: Option<char>| c.is_some_and(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
            if !element.preserve
                && (edge_space(new.chars().next()) || edge_space(new.chars().last()))
            {
                self.edits.push((
                    element.tag.clone(),
                    preserving_tag(&xml[element.tag.clone()]),
                ));
            }
            self.edits.push((
                element.content.clone(),
                partial_escape(new.as_str()).into_owned(),
            ));
        }
    }
}

/// The part with every finding masked, or `None` when it has nothing to mask.
fn rewrite_xml(
    xml: &str,
    layout: Layout,
    scan: Scan<'_>,
    how: Redaction,
) -> Result<Option<String>, quick_xml::Error> {
    // The reader skips a byte order mark without counting it.
    let body = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let offset = xml.len() - body.len();
    let mut reader = Reader::from_str(body);
    let mut walk = Walk {
        xml,
        layout,
        rewriter: Rewriter {
            scan,
            how,
            edits: Vec::new(),
        },
        paragraphs: vec![Paragraph::default()],
        open: None,
        in_tab_stops: false,
    };
    loop {
        let before = offset + reader.buffer_position() as usize;
        let event = reader.read_event()?;
        let after = offset + reader.buffer_position() as usize;
        match event {
            Event::Eof => break,
            Event::Empty(e) | Event::Start(e) if layout == Layout::Links => {
                if let Some(tag) = masked_link(&e, scan, how, &xml[before..after]) {
                    walk.rewriter.edits.push((before..after, tag));
                }
            }
            Event::Start(e) => walk.start(&e, before..after),
            Event::End(e) => walk.end(&e, before),
            Event::Empty(e) => walk.empty(&e),
            Event::Text(t) => walk.text(&t),
            Event::CData(t) => walk.text(&t),
            Event::GeneralRef(r) => walk.text(&entity(&r)),
            _ => {}
        }
    }
    let Walk {
        mut paragraphs,
        mut rewriter,
        ..
    } = walk;
    for paragraph in paragraphs.drain(..).rev() {
        rewriter.finish(paragraph, xml);
    }
    Ok((!rewriter.edits.is_empty()).then(|| splice(xml, rewriter.edits)))
}

/// Reading a part's elements in order: the paragraphs open around the element being
/// read, the text element being read, and the edits so far.
struct Walk<'a> {
    xml: &'a str,
    layout: Layout,
    rewriter: Rewriter<'a>,
    /// The first paragraph catches text outside any `w:p`; it never leaves.
    paragraphs: Vec<Paragraph>,
    open: Option<Open>,
    in_tab_stops: bool,
}

impl Walk<'_> {
    fn start(&mut self, e: &BytesStart<'_>, tag: Range<usize>) {
        let open = |preserve| {
            Some(Open {
                tag,
                preserve,
                text: String::new(),
            })
        };
        match (self.layout, e.local_name().as_ref()) {
            (Layout::Fields, _) => self.open = open(true),
            (_, "t" | "delText" | "instrText" | "delInstrText") => {
                self.open = open(has_preserve(e))
            }
            (_, "p") => self.paragraphs.push(Paragraph::default()),
            (_, "tabs") => self.in_tab_stops = true,
            _ => {}
        }
    }

    fn end(&mut self, e: &BytesEnd<'_>, at: usize) {
        if let Some(element) = self.open.take() {
            // A text element holds no elements: this is its end tag.
            let paragraph = self.innermost();
            paragraph.assembly.push_piece(&element.text);
            paragraph.elements.push(TextElement {
                content: element.tag.end..at,
                tag: element.tag,
                preserve: element.preserve,
            });
            if self.layout == Layout::Fields {
                let field = std::mem::take(self.innermost());
                self.rewriter.finish(field, self.xml);
            }
            return;
        }
        match e.local_name().as_ref() {
            "p" if self.paragraphs.len() > 1 => {
                if let Some(paragraph) = self.paragraphs.pop() {
                    self.rewriter.finish(paragraph, self.xml);
                }
            }
            "tabs" => self.in_tab_stops = false,
            _ => {}
        }
    }

    fn empty(&mut self, e: &BytesStart<'_>) {
        if self.layout != Layout::Paragraphs {
            return;
        }
        let c = match e.local_name().as_ref() {
            // Tab stops in paragraph properties are also called `tab`.
            "tab" if !self.in_tab_stops => '\t',
            "br" | "cr" => '\n',
            _ => return,
        };
        self.innermost().assembly.push_break(c);
    }

    fn text(&mut self, text: &str) {
        if let Some(open) = &mut self.open {
            open.text.push_str(text);
        }
    }

    fn innermost(&mut self) -> &mut Paragraph {
        if self.paragraphs.is_empty() {
            self.paragraphs.push(Paragraph::default());
        }
        let last = self.paragraphs.len() - 1;
        &mut self.paragraphs[last]
    }
}

/// The text an entity or character reference stands for; an unknown one as written.
fn entity(r: &BytesRef<'_>) -> String {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return c.to_string();
    }
    let name: &str = r;
    resolve_predefined_entity(name).map_or_else(|| format!("&{name};"), str::to_owned)
}

fn has_preserve(tag: &BytesStart<'_>) -> bool {
    tag.attributes()
        .flatten()
        .any(|a| a.key.as_ref() == "xml:space" && a.value.as_ref() == "preserve")
}

/// The start tag `raw` with `xml:space="preserve"`: a rewritten text that begins or
/// ends with a space would otherwise lose it.
fn preserving_tag(raw: &str) -> String {
    match Reader::from_str(raw).read_event() {
        Ok(Event::Start(tag)) => with_attribute(&tag, "xml:space", "preserve", false),
        _ => raw.to_owned(),
    }
}

/// The relationship tag `tag` (written `raw`) with its target masked, when it is an
/// external link whose target has findings.
fn masked_link(tag: &BytesStart<'_>, scan: Scan<'_>, how: Redaction, raw: &str) -> Option<String> {
    let value = |key: &str| {
        tag.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == key)
            .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok())
    };
    if tag.local_name().as_ref() != "Relationship" || value("TargetMode")?.as_ref() != "External" {
        return None;
    }
    let target = value("Target")?.into_owned();
    let masked = redact_text(&target, &scan(&target), how);
    let empty = raw.ends_with("/>");
    (masked != target).then(|| with_attribute(tag, "Target", &masked, empty))
}

/// `tag` written out with the attribute `key` set to `value` (escaped) in its place
/// or at the end, the other attributes as they were.
fn with_attribute(tag: &BytesStart<'_>, key: &str, value: &str, empty: bool) -> String {
    let mut new = tag.to_owned();
    new.clear_attributes();
    let mut set = false;
    for attribute in tag.attributes().flatten() {
        if attribute.key.as_ref() == key {
            new.push_attribute((key, value));
            set = true;
        } else {
            new.push_attribute(attribute);
        }
    }
    if !set {
        new.push_attribute((key, value));
    }
    let event = if empty {
        Event::Empty(new)
    } else {
        Event::Start(new)
    };
    let mut writer = Writer::new(Vec::new());
    // Writing to memory cannot fail, and what is written is UTF-8 as the tag was.
    let _ = writer.write_event(event);
    String::from_utf8_lossy(&writer.into_inner()).into_owned()
}

#[cfg(test)]
mod tests;
