//! Text documents handed out with the viewer's mark (issue 23): a TXT or Markdown file
//! gets the label as its first and last line, a DOCX gets it in the page header and
//! footer. Pure functions over bytes; the original in the store never changes.
//!
//! A text keeps its encoding: the label is ASCII, so its bytes are the same in UTF-8
//! and GB18030 and go in as they are (after a byte order mark; a UTF-16 file gets the
//! label in UTF-16). A DOCX keeps every part it had byte for byte (copied compressed),
//! except the parts that must change to show a header: the body's first section
//! properties, the body's relationships, the content types, and the header and footer
//! parts it already had (the mark is added as a last paragraph, their own text stays).

use std::collections::BTreeSet;
use std::io::{Cursor, Read, Write};
use std::ops::Range;
use std::path::Path;

use jiff::civil::Date;

use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::{BytesStart, Event};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::Mark;
use super::cache::{MarkedCopies, MarkedCopy};
use crate::content::{FileKind, MAX_DOCX_XML};

const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const REL_HEADER: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header";
const REL_FOOTER: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer";
const TYPE_HEADER: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml";
const TYPE_FOOTER: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml";
const DOCUMENT: &str = "word/document.xml";
const DOCUMENT_RELS: &str = "word/_rels/document.xml.rels";
const CONTENT_TYPES: &str = "[Content_Types].xml";
/// Word's three kinds of page header (and footer): every page, first page, even pages.
const PAGE_KINDS: [&str; 3] = ["default", "first", "even"];

/// Why a document could not be marked.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// Not a Word document we can read: what is wrong, in words for the reader.
    #[error("该 Word 文档已损坏，无法加上借阅标记：{0}")]
    Corrupt(String),
    #[error("cannot write the marked copy: {0}")]
    Io(#[from] std::io::Error),
}

fn corrupt(reason: impl Into<String>) -> DocumentError {
    DocumentError::Corrupt(reason.into())
}

/// Puts a label into a document's bytes.
pub type Marker = fn(&[u8], &str) -> Result<Vec<u8>, DocumentError>;

/// How a document of `kind` is handed out marked, or `None` for kinds this module does
/// not mark (PDFs are stamped by [`super::pdf`]; films and images are not files a
/// reader prints).
pub fn marker(kind: FileKind) -> Option<Marker> {
    match kind {
        FileKind::Text | FileKind::Markdown => Some(|bytes, label| Ok(stamp_text(bytes, label))),
        FileKind::Docx => Some(stamp_docx),
        _ => None,
    }
}

/// The copy of `original` (a document of `kind` whose content hash is `sha256`)
/// marked by `marker` with `mark` on `day`, from `copies` or made there. Blocking.
pub fn marked_copy(
    copies: &MarkedCopies,
    original: &Path,
    sha256: &str,
    (kind, marker): (FileKind, Marker),
    mark: &Mark,
    day: Date,
) -> Result<MarkedCopy, DocumentError> {
    let name = format!(
        "{}-{}-{sha256}.{}",
        mark.code,
        day.strftime("%Y%m%d"),
        kind.extension()
    );
    let label = mark.label(day);
    copies.copy_named(&name, |out| {
        let marked = marker(&std::fs::read(original)?, &label)?;
        Ok(out.write_all(&marked)?)
    })
}

/// The label as it may appear in a file: printable ASCII only, so it can neither
/// break a line, nor an encoding, nor the XML around it.
fn printable(label: &str) -> String {
    label
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(120)
        .collect()
}

/// A TXT or Markdown file with `label` as its first line and its last, followed and
/// preceded by an empty line (so Markdown keeps its first heading and last paragraph).
/// Everything in between is the original, byte for byte.
pub fn stamp_text(bytes: &[u8], label: &str) -> Vec<u8> {
    let line = format!("[{}]", printable(label));
    let (bom, body) = split_bom(bytes);
    let utf16 = match bom {
        [0xFF, 0xFE] => Some(false),
        [0xFE, 0xFF] => Some(true),
        _ => None,
    };
    let encode = |text: &str| -> Vec<u8> {
        match utf16 {
            None => text.as_bytes().to_vec(),
            Some(big_endian) => text
                .encode_utf16()
                .flat_map(|unit| match big_endian {
                    true => unit.to_be_bytes(),
                    false => unit.to_le_bytes(),
                })
                .collect(),
        }
    };
    // Windows line ends where the file has them.
    let eol = if memchr::memmem::find(body, &encode("\r\n")).is_some() {
        "\r\n"
    } else {
        "\n"
    };
    let ends_with_eol = body.ends_with(&encode("\n"));
    let head = encode(&format!("{line}{eol}{eol}"));
    let tail = encode(&format!(
        "{}{eol}{line}{eol}",
        if ends_with_eol || body.is_empty() {
            ""
        } else {
            eol
        }
    ));
    [bom, &head, body, &tail].concat()
}

/// The byte order mark (UTF-8, UTF-16, GB18030) and the rest.
fn split_bom(bytes: &[u8]) -> (&[u8], &[u8]) {
    const GB18030_BOM: &[u8] = &[0x84, 0x31, 0x95, 0x33];
    let len = match encoding_rs::Encoding::for_bom(bytes) {
        Some((_, len)) => len,
        None if bytes.starts_with(GB18030_BOM) => GB18030_BOM.len(),
        None => 0,
    };
    bytes.split_at(len)
}

/// A DOCX with `label` in the page header and footer of every page. A part it cannot
/// read (not a zip, no body, XML that does not parse, more text than extraction reads)
/// is a [`DocumentError`].
pub fn stamp_docx(bytes: &[u8], label: &str) -> Result<Vec<u8>, DocumentError> {
    let mut package = Package::open(bytes)?;
    let document = package.read(DOCUMENT)?;
    let relationships = match package.index_of(DOCUMENT_RELS) {
        Some(_) => package.read(DOCUMENT_RELS)?,
        None => "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"></Relationships>"
            .to_owned(),
    };
    let types = package.read(CONTENT_TYPES)?;
    let relations = read_relationships(&relationships)?;
    let header = package.free_name("word/header");
    let footer = package.free_name("word/footer");
    let ids = relations
        .iter()
        .map(|r| r.id.as_str())
        .collect::<BTreeSet<_>>();
    let header_id = free_id(&ids, "rIdJsMarkHeader");
    let footer_id = free_id(&ids, "rIdJsMarkFooter");
    let sections = read_sections(&document)?;

    let paragraph = mark_paragraph(label);
    let mut changed: Vec<(String, String)> = Vec::new();
    // The parts the document already shows as headers and footers keep their text
    // and get the mark below it.
    for target in sections
        .references
        .iter()
        .filter_map(|id| relations.iter().find(|r| &r.id == id))
        .filter(|r| r.kind == REL_HEADER || r.kind == REL_FOOTER)
        .filter_map(|r| part_name(&r.target))
        .collect::<BTreeSet<_>>()
    {
        if package.index_of(&target).is_some() {
            let xml = package.read(&target)?;
            changed.push((target.clone(), append_to_root(&xml, &paragraph, &target)?));
        }
    }
    let document = add_references(&document, &sections, &header_id, &footer_id);
    changed.push((DOCUMENT.to_owned(), document));
    let relationships = append_to_root(
        &relationships,
        &format!(
            "<Relationship Id=\"{header_id}\" Type=\"{REL_HEADER}\" Target=\"{}\"/><Relationship Id=\"{footer_id}\" Type=\"{REL_FOOTER}\" Target=\"{}\"/>",
            relative_to_word(&header),
            relative_to_word(&footer)
        ),
        DOCUMENT_RELS,
    )?;
    changed.push((DOCUMENT_RELS.to_owned(), relationships));
    let types = append_to_root(
        &types,
        &format!(
            "<Override PartName=\"/{header}\" ContentType=\"{TYPE_HEADER}\"/><Override PartName=\"/{footer}\" ContentType=\"{TYPE_FOOTER}\"/>"
        ),
        CONTENT_TYPES,
    )?;
    changed.push((CONTENT_TYPES.to_owned(), types));
    let added = [
        (header, part_xml("hdr", &paragraph)),
        (footer, part_xml("ftr", &paragraph)),
    ];
    package.write(changed, added)
}

/// A Word document's zip, its entry names, and how much XML may still be inflated.
struct Package<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    names: Vec<String>,
    budget: u64,
}

impl<'a> Package<'a> {
    fn open(bytes: &'a [u8]) -> Result<Self, DocumentError> {
        let archive = ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| corrupt(format!("不是有效的 Word 文档（{e}）")))?;
        let names = (0..archive.len())
            .map(|index| match archive.name_for_index(index) {
                Some(Ok(name)) => Ok(name.into_owned()),
                _ => Err(corrupt("Word 文档的目录有误")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            archive,
            names,
            budget: MAX_DOCX_XML,
        })
    }

    /// The entry called `name`, ignoring case as Word does.
    fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n.eq_ignore_ascii_case(name))
    }

    /// Part `name` as text, within what is left of the budget (against zip bombs).
    fn read(&mut self, name: &str) -> Result<String, DocumentError> {
        let index = self
            .index_of(name)
            .ok_or_else(|| corrupt(format!("缺少 {name}")))?;
        let mut entry = self
            .archive
            .by_index(index)
            .map_err(|e| corrupt(format!("无法读取 {name}（{e}）")))?;
        let mut raw = Vec::new();
        (&mut entry)
            .take(self.budget + 1)
            .read_to_end(&mut raw)
            .map_err(|e| corrupt(format!("无法读取 {name}（{e}）")))?;
        self.budget = self
            .budget
            .checked_sub(raw.len() as u64)
            .ok_or_else(|| corrupt(format!("文字部分超过 {} MB", MAX_DOCX_XML >> 20)))?;
        String::from_utf8(raw).map_err(|_| corrupt(format!("{name} 不是 UTF-8 编码")))
    }

    /// `word/header7.xml`: the first number no entry uses.
    fn free_name(&self, stem: &str) -> String {
        (1..)
            .map(|n| format!("{stem}{n}.xml"))
            .find(|name| self.index_of(name).is_none())
            .unwrap_or_else(|| format!("{stem}-mark.xml"))
    }

    /// The package again: `changed` parts rewritten where they were (deflated), the
    /// others copied compressed as they were, `added` parts at the end.
    fn write(
        mut self,
        changed: Vec<(String, String)>,
        added: [(String, String); 2],
    ) -> Result<Vec<u8>, DocumentError> {
        let failed = |e: zip::result::ZipError| corrupt(format!("无法写出加标记的副本（{e}）"));
        let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        let mut pending: Vec<(String, String)> = changed;
        for (index, name) in self.names.iter().enumerate() {
            match pending
                .iter()
                .position(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                Some(at) => {
                    let (_, xml) = pending.swap_remove(at);
                    writer.start_file(name.as_str(), deflated).map_err(failed)?;
                    writer
                        .write_all(xml.as_bytes())
                        .map_err(|e| failed(e.into()))?;
                }
                None => {
                    let entry = self.archive.by_index_raw(index).map_err(failed)?;
                    writer.raw_copy_file(entry).map_err(failed)?;
                }
            }
        }
        // A body without relationships gets them now.
        for (name, xml) in pending.into_iter().chain(added) {
            writer.start_file(name.as_str(), deflated).map_err(failed)?;
            writer
                .write_all(xml.as_bytes())
                .map_err(|e| failed(e.into()))?;
        }
        writer
            .set_raw_comment(self.archive.comment().into())
            .and_then(|()| writer.finish())
            .map(Cursor::into_inner)
            .map_err(failed)
    }
}

/// One relationship of the body.
struct Relation {
    id: String,
    kind: String,
    target: String,
}

fn read_relationships(xml: &str) -> Result<Vec<Relation>, DocumentError> {
    let mut reader = Reader::from_str(xml);
    let mut relations = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => return Ok(relations),
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "Relationship" => {
                relations.push(Relation {
                    id: attribute(&e, "Id").unwrap_or_default(),
                    kind: attribute(&e, "Type").unwrap_or_default(),
                    target: attribute(&e, "Target").unwrap_or_default(),
                });
            }
            Ok(_) => {}
            Err(e) => return Err(corrupt(format!("{DOCUMENT_RELS} 格式有误（{e}）"))),
        }
    }
}

/// Attribute `local` (any prefix), unescaped.
fn attribute(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// `Target` of a body relationship as an entry name (`header1.xml` → `word/header1.xml`).
fn part_name(target: &str) -> Option<String> {
    if target.contains("://") {
        return None;
    }
    Some(match target.strip_prefix('/') {
        Some(absolute) => absolute.to_owned(),
        None => format!("word/{target}"),
    })
}

fn relative_to_word(name: &str) -> &str {
    name.strip_prefix("word/").unwrap_or(name)
}

fn free_id(taken: &BTreeSet<&str>, wanted: &str) -> String {
    (0..)
        .map(|n| match n {
            0 => wanted.to_owned(),
            n => format!("{wanted}{n}"),
        })
        .find(|id| !taken.contains(id.as_str()))
        .unwrap_or_else(|| wanted.to_owned())
}

/// What the body says about its pages' headers and footers.
#[derive(Debug, Default)]
struct Sections {
    /// Every header and footer relationship id the body refers to.
    references: BTreeSet<String>,
    /// The first section's properties: its start tag, whether it is empty
    /// (`<w:sectPr/>`), and the kinds it already has (`header:first`). Later sections
    /// without a kind inherit it from the one before, so the first one is enough.
    first: Option<(Range<usize>, bool, BTreeSet<String>)>,
    /// Where `</w:body>` starts, for a body with no section properties at all.
    body_end: Option<usize>,
}

fn read_sections(xml: &str) -> Result<Sections, DocumentError> {
    let body = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let offset = xml.len() - body.len();
    let mut reader = Reader::from_str(body);
    let mut sections = Sections::default();
    // Inside the first `sectPr` (Some: still reading it), inside a tracked change's
    // old section properties (`sectPrChange`), which do not count.
    let (mut in_first, mut in_change, mut depth) = (false, 0usize, 0usize);
    loop {
        let before = offset + reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| corrupt(format!("{DOCUMENT} 格式有误（{e}）")))?;
        let after = offset + reader.buffer_position() as usize;
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        match event {
            Event::Eof if depth == 0 => return Ok(sections),
            Event::Eof => return Err(corrupt(format!("{DOCUMENT} 不完整"))),
            Event::Start(e) | Event::Empty(e)
                if matches!(
                    e.local_name().as_ref(),
                    "headerReference" | "footerReference"
                ) =>
            {
                let kind = match e.local_name().as_ref() {
                    "headerReference" => "header",
                    _ => "footer",
                };
                sections.references.extend(attribute(&e, "id"));
                if let (true, 0, Some((_, _, kinds))) = (in_first, in_change, &mut sections.first) {
                    let page = attribute(&e, "type").unwrap_or_else(|| "default".into());
                    kinds.insert(format!("{kind}:{page}"));
                }
            }
            Event::Start(e) if e.local_name().as_ref() == "sectPrChange" => in_change += 1,
            Event::End(e) if e.local_name().as_ref() == "sectPrChange" => {
                in_change = in_change.saturating_sub(1);
            }
            Event::Start(e)
                if e.local_name().as_ref() == "sectPr"
                    && in_change == 0
                    && sections.first.is_none() =>
            {
                sections.first = Some((before..after, false, BTreeSet::new()));
                in_first = true;
            }
            Event::Empty(e)
                if e.local_name().as_ref() == "sectPr"
                    && in_change == 0
                    && sections.first.is_none() =>
            {
                sections.first = Some((before..after, true, BTreeSet::new()));
            }
            Event::End(e) if e.local_name().as_ref() == "sectPr" && in_change == 0 => {
                in_first = false;
            }
            Event::End(e) if e.local_name().as_ref() == "body" => {
                sections.body_end = Some(before);
            }
            _ => {}
        }
    }
}

/// The body with references to the new header and footer wherever its first section
/// has none of that kind (a section with none would show no header on those pages).
fn add_references(xml: &str, sections: &Sections, header_id: &str, footer_id: &str) -> String {
    let missing = |have: &BTreeSet<String>| -> String {
        [("header", header_id), ("footer", footer_id)]
            .iter()
            .flat_map(|(kind, id)| {
                PAGE_KINDS
                    .iter()
                    .filter(move |page| !have.contains(&format!("{kind}:{page}")))
                    .map(move |page| {
                        format!("<w:{kind}Reference xmlns:w=\"{W_NS}\" xmlns:r=\"{R_NS}\" w:type=\"{page}\" r:id=\"{id}\"/>")
                    })
            })
            .collect()
    };
    match &sections.first {
        Some((tag, false, have)) => {
            let mut out = xml.to_owned();
            out.insert_str(tag.end, &missing(have));
            out
        }
        Some((tag, true, have)) => {
            let raw = &xml[tag.clone()];
            let open = raw.trim_end_matches('>').trim_end_matches('/');
            let name = open
                .trim_start_matches('<')
                .split_whitespace()
                .next()
                .unwrap_or("w:sectPr");
            format!(
                "{}{open}>{}</{name}>{}",
                &xml[..tag.start],
                missing(have),
                &xml[tag.end..]
            )
        }
        None => {
            let at = sections.body_end.unwrap_or(xml.len());
            let section = format!(
                "<w:sectPr xmlns:w=\"{W_NS}\">{}</w:sectPr>",
                missing(&BTreeSet::new())
            );
            let mut out = xml.to_owned();
            out.insert_str(at, &section);
            out
        }
    }
}

/// The mark as one small grey centred paragraph, in its own namespace declaration so
/// it reads the same whatever prefixes the part uses.
fn mark_paragraph(label: &str) -> String {
    format!(
        "<w:p xmlns:w=\"{W_NS}\"><w:pPr><w:jc w:val=\"center\"/></w:pPr><w:r><w:rPr><w:rFonts w:ascii=\"Courier New\" w:hAnsi=\"Courier New\"/><w:color w:val=\"808080\"/><w:sz w:val=\"16\"/></w:rPr><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
        escape(printable(label))
    )
}

/// A new header (`hdr`) or footer (`ftr`) part holding `paragraph`.
fn part_xml(root: &str, paragraph: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<w:{root} xmlns:w=\"{W_NS}\" xmlns:r=\"{R_NS}\">{paragraph}</w:{root}>"
    )
}

/// `xml` with `inner` as the root element's last child.
fn append_to_root(xml: &str, inner: &str, name: &str) -> Result<String, DocumentError> {
    let (root_end, empty_root) = root_close(xml, name)?;
    Ok(match empty_root {
        None => {
            let mut out = xml.to_owned();
            out.insert_str(root_end.start, inner);
            out
        }
        Some(tag) => {
            let raw = &xml[root_end.clone()];
            let open = raw.trim_end_matches('>').trim_end_matches('/');
            format!(
                "{}{open}>{inner}</{tag}>{}",
                &xml[..root_end.start],
                &xml[root_end.end..]
            )
        }
    })
}

/// Where the root element closes: its end tag, or (`Some(name)`) the whole of an
/// empty root element.
fn root_close(xml: &str, name: &str) -> Result<(Range<usize>, Option<String>), DocumentError> {
    let body = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let offset = xml.len() - body.len();
    let mut reader = Reader::from_str(body);
    let mut depth = 0usize;
    loop {
        let before = offset + reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| corrupt(format!("{name} 格式有误（{e}）")))?;
        let after = offset + reader.buffer_position() as usize;
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) if depth == 1 => return Ok((before..after, None)),
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Empty(e) if depth == 0 => {
                let tag = e.name().as_ref().to_owned();
                return Ok((before..after, Some(tag)));
            }
            Event::Eof => return Err(corrupt(format!("{name} 不完整"))),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Extraction, extract};

    const LABEL: &str = "JS-7KQ2M9XA yn-tax 2026-12-01";

    #[test]
    fn a_text_gets_the_mark_first_and_last_and_keeps_the_rest() {
        let original = "第一段\n第二段\n";
        let stamped = stamp_text(original.as_bytes(), LABEL);
        let head = format!("[{LABEL}]\n\n");
        let tail = format!("\n[{LABEL}]\n");
        assert!(stamped.starts_with(head.as_bytes()));
        assert!(stamped.ends_with(tail.as_bytes()));
        assert_eq!(
            &stamped[head.len()..stamped.len() - tail.len()],
            original.as_bytes()
        );
    }

    #[test]
    fn gb18030_stays_gb18030_and_a_bom_stays_first() {
        let (gbk, _, _) = encoding_rs::GB18030.encode("警示教育\r\n违纪案例");
        let stamped = stamp_text(&gbk, LABEL);
        let (text, _, bad) = encoding_rs::GB18030.decode(&stamped);
        assert!(!bad);
        // Windows line ends, and a missing last line end added before the mark.
        assert_eq!(
            text,
            format!("[{LABEL}]\r\n\r\n警示教育\r\n违纪案例\r\n\r\n[{LABEL}]\r\n")
        );

        let bom = [b"\xef\xbb\xbf".as_slice(), "正文\n".as_bytes()].concat();
        let stamped = stamp_text(&bom, LABEL);
        assert!(stamped.starts_with(format!("\u{feff}[{LABEL}]").as_bytes()));

        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("正文\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let stamped = stamp_text(&utf16, LABEL);
        let (text, _, bad) = encoding_rs::UTF_16LE.decode(&stamped);
        assert!(!bad);
        assert_eq!(text, format!("[{LABEL}]\n\n正文\n\n[{LABEL}]\n"));
    }

    #[test]
    fn a_hostile_label_cannot_add_lines_or_markup() {
        let stamped = stamp_text(b"x", "JS-1\n<script>\u{202e}");
        assert_eq!(stamped, b"[JS-1<script>]\n\nx\n\n[JS-1<script>]\n");
        let paragraph = mark_paragraph("a</w:t><w:t>b&c");
        assert!(
            paragraph.contains("a&lt;/w:t&gt;&lt;w:t&gt;b&amp;c"),
            "{paragraph}"
        );
    }

    fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            zip.start_file(*name, SimpleFileOptions::default())
                .expect("entry");
            zip.write_all(data.as_bytes()).expect("write");
        }
        zip.finish().expect("zip").into_inner()
    }

    const TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/></Types>"#;
    const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;
    const HEADER: &str = r#"<?xml version="1.0" encoding="UTF-8"?><w:hdr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:p><w:r><w:t>内部资料</w:t></w:r></w:p></w:hdr>"#;

    fn document(body: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>{body}</w:body></w:document>"#
        )
    }

    fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut zip = ZipArchive::new(Cursor::new(bytes)).expect("zip");
        (0..zip.len())
            .map(|i| {
                let mut entry = zip.by_index(i).expect("entry");
                let mut data = Vec::new();
                entry.read_to_end(&mut data).expect("read");
                (entry.name().expect("name").into_owned(), data)
            })
            .collect()
    }

    fn part(entries: &[(String, Vec<u8>)], name: &str) -> String {
        let (_, data) = entries.iter().find(|(n, _)| n == name).expect(name);
        String::from_utf8(data.clone()).expect("utf-8")
    }

    /// Every element of `xml` parses (namespaces resolved): what Word needs first.
    fn well_formed(xml: &str) {
        let mut reader = quick_xml::NsReader::from_str(xml);
        loop {
            match reader.read_resolved_event() {
                Ok((_, Event::Eof)) => break,
                Ok((quick_xml::name::ResolveResult::Unknown(p), _)) => {
                    panic!("unbound prefix {p:?} in {xml}")
                }
                Ok(_) => {}
                Err(e) => panic!("{e}: {xml}"),
            }
        }
    }

    #[test]
    fn a_docx_gets_a_header_and_footer_and_keeps_its_other_parts() {
        let body = r#"<w:p><w:r><w:t>正文第一段</w:t></w:r></w:p><w:sectPr><w:headerReference w:type="default" r:id="rId1"/><w:pgSz w:w="11906" w:h="16838"/></w:sectPr>"#;
        let styles = "<w:styles xmlns:w=\"x\"/>";
        let original = zip_of(&[
            ("[Content_Types].xml", TYPES),
            ("word/document.xml", &document(body)),
            ("word/_rels/document.xml.rels", RELS),
            ("word/header1.xml", HEADER),
            ("word/styles.xml", styles),
        ]);
        let stamped = stamp_docx(&original, LABEL).expect("stamped");
        let parts = entries(&stamped);
        let names: Vec<&str> = parts.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "[Content_Types].xml",
                "word/document.xml",
                "word/_rels/document.xml.rels",
                "word/header1.xml",
                "word/styles.xml",
                "word/header2.xml",
                "word/footer1.xml"
            ]
        );
        assert_eq!(part(&parts, "word/styles.xml"), styles);
        for (name, _) in &parts {
            well_formed(&part(&parts, name));
        }
        // The old header keeps its words and gets the mark; the new parts carry it.
        let old_header = part(&parts, "word/header1.xml");
        assert!(old_header.contains("内部资料") && old_header.contains(LABEL));
        assert!(part(&parts, "word/header2.xml").contains(LABEL));
        assert!(part(&parts, "word/footer1.xml").contains(LABEL));
        let document = part(&parts, "word/document.xml");
        assert_eq!(document.matches("headerReference").count(), 3, "{document}");
        assert_eq!(document.matches("footerReference").count(), 3, "{document}");
        assert!(document.contains(r#"w:type="first" r:id="rIdJsMarkHeader""#));
        assert!(!document.contains(r#"w:type="default" r:id="rIdJsMarkHeader""#));
        let rels = part(&parts, "word/_rels/document.xml.rels");
        assert!(
            rels.contains(r#"Id="rIdJsMarkFooter""#) && rels.contains(r#"Target="footer1.xml""#)
        );
        let types = part(&parts, "[Content_Types].xml");
        assert!(types.contains(r#"PartName="/word/footer1.xml""#));

        // The text extractor reads the body as before, without the mark.
        let dir = tempfile::tempdir().expect("dir");
        let (before, after) = (dir.path().join("a.docx"), dir.path().join("b.docx"));
        std::fs::write(&before, &original).expect("write");
        std::fs::write(&after, &stamped).expect("write");
        match (
            extract(&before, FileKind::Docx),
            extract(&after, FileKind::Docx),
        ) {
            (Extraction::Text(a), Extraction::Text(b)) => assert_eq!(a, b),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_docx_without_sections_or_relationships_gets_both() {
        let original = zip_of(&[
            ("[Content_Types].xml", TYPES),
            (
                "word/document.xml",
                &document("<w:p><w:r><w:t>短</w:t></w:r></w:p>"),
            ),
        ]);
        let parts = entries(&stamp_docx(&original, LABEL).expect("stamped"));
        let body = part(&parts, "word/document.xml");
        assert!(body.contains("<w:sectPr"), "{body}");
        assert!(
            body.ends_with("</w:sectPr></w:body></w:document>"),
            "{body}"
        );
        let rels = part(&parts, "word/_rels/document.xml.rels");
        assert!(rels.contains("header1.xml") && rels.contains("footer1.xml"));
        for (name, _) in &parts {
            well_formed(&part(&parts, name));
        }

        let empty_section = zip_of(&[
            ("[Content_Types].xml", TYPES),
            (
                "word/document.xml",
                &document(r#"<w:p/><w:sectPr w:rsidR="1"/>"#),
            ),
        ]);
        let parts = entries(&stamp_docx(&empty_section, LABEL).expect("stamped"));
        let body = part(&parts, "word/document.xml");
        assert!(body.contains(r#"<w:sectPr w:rsidR="1">"#), "{body}");
        well_formed(&body);
    }

    #[test]
    fn a_broken_docx_is_a_clear_error() {
        for bytes in [
            b"not a zip".to_vec(),
            zip_of(&[("[Content_Types].xml", TYPES)]),
            zip_of(&[
                ("[Content_Types].xml", TYPES),
                ("word/document.xml", "<w:document><w:body>"),
            ]),
            zip_of(&[("word/document.xml", &document(""))]),
        ] {
            let err = stamp_docx(&bytes, LABEL).expect_err("refused");
            assert!(err.to_string().starts_with("该 Word 文档已损坏"), "{err}");
        }
    }
}
