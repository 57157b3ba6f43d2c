//! Redacting real Word documents built here, read back with the product's own
//! extraction.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::*;
use crate::content::{Extraction, FileKind, extract};
use crate::privacy::redact::testing::{KNOWN, fixed_scan};

const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006""#;

const SURNAME: Redaction = Redaction { keep_surname: true };

/// The body: a name split over three runs (the last without `xml:space` and left
/// starting with a space), a table cell, escapes, a tab, deleted text and a text box
/// with its fallback copy.
fn document() -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document {W}><w:body>
<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t>经查，科长</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>王</w:t></w:r><w:r><w:rPr><w:i/></w:rPr><w:t>建</w:t></w:r><w:r><w:t>国 同志违规收受礼金。</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>联系电话</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>13812345678</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:p><w:r><w:t>A &amp; B &lt;欧阳明&gt;</w:t><w:tab/><w:t>车牌 云A12345</w:t><w:t xml:space="preserve"> 6222021234567890123</w:t></w:r></w:p>
<w:p><w:del w:id="1" w:author="审稿人"><w:r><w:delText>李红梅</w:delText></w:r></w:del><w:r><w:t>（已删）</w:t></w:r></w:p>
<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:txbxContent><w:p><w:r><w:t>欧阳</w:t></w:r><w:r><w:t>明</w:t></w:r></w:p></w:txbxContent></mc:Choice><mc:Fallback><w:txbxContent><w:p><w:r><w:t>欧阳明</w:t></w:r></w:p></w:txbxContent></mc:Fallback></mc:AlternateContent></w:r></w:p>
<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> HYPERLINK "mailto:zhangsan@example.com" </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>来信</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>
<w:p/>
<w:sectPr><w:headerReference r:id="rId1" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/></w:sectPr>
</w:body></w:document>"#
    )
}

fn part(root: &str, text: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:{root} {W}><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:{root}>"#
    )
}

const CORE: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>关于王建国问题的通报</dc:title><dc:creator>李红梅</dc:creator></cp:coreProperties>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="mailto:zhangsan@example.com?subject=%E9%80%9A%E6%8A%A5&amp;x=1" TargetMode="External"/></Relationships>"#;

/// A fake PNG that holds no personal data; stored, as Word stores images.
const IMAGE: &[u8] = b"\x89PNG\r\n\x1a\n fictional image bytes";

/// Entries that are not text parts, with how they are stored.
fn untouched_entries() -> Vec<(&'static str, Vec<u8>, CompressionMethod)> {
    vec![
        (
            "[Content_Types].xml",
            br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#.to_vec(),
            CompressionMethod::Deflated,
        ),
        ("_rels/.rels", b"<Relationships/>".to_vec(), CompressionMethod::Deflated),
        (
            "word/styles.xml",
            format!(r#"<w:styles {W}><w:style w:styleId="a"/></w:styles>"#).into_bytes(),
            CompressionMethod::Deflated,
        ),
        ("word/media/image1.png", IMAGE.to_vec(), CompressionMethod::Stored),
    ]
}

fn build(entries: &[(&str, Vec<u8>, CompressionMethod)]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data, method) in entries {
        let options = SimpleFileOptions::default().compression_method(*method);
        zip.start_file(*name, options).expect("start entry");
        zip.write_all(data).expect("write entry");
    }
    zip.finish().expect("finish").into_inner()
}

fn sample() -> Vec<u8> {
    let mut entries = untouched_entries();
    entries.extend([
        (
            "word/document.xml",
            document().into_bytes(),
            CompressionMethod::Deflated,
        ),
        (
            "word/header1.xml",
            part("hdr", "承办人：李红梅 电话 0871-63101234").into_bytes(),
            CompressionMethod::Deflated,
        ),
        (
            "word/footer1.xml",
            part("ftr", "来信请寄 zhangsan@example.com").into_bytes(),
            CompressionMethod::Stored,
        ),
        (
            "word/footnotes.xml",
            part("footnotes", "身份证号53010219800101123X").into_bytes(),
            CompressionMethod::Deflated,
        ),
        (
            "docProps/core.xml",
            CORE.as_bytes().to_vec(),
            CompressionMethod::Deflated,
        ),
        (
            "word/_rels/document.xml.rels",
            RELS.as_bytes().to_vec(),
            CompressionMethod::Deflated,
        ),
    ]);
    build(&entries)
}

/// Every entry's name, compression and inflated bytes.
fn entries_of(bytes: &[u8]) -> Vec<(String, CompressionMethod, Vec<u8>)> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).expect("entry");
            let mut data = Vec::new();
            entry.read_to_end(&mut data).expect("inflate");
            let name = entry.name().expect("a name").into_owned();
            (name, entry.compression(), data)
        })
        .collect()
}

fn raw_entry(bytes: &[u8], name: &str) -> Vec<u8> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    let index = archive.index_for_name(name).expect("present");
    let mut raw = Vec::new();
    archive
        .by_index_raw(index)
        .expect("entry")
        .read_to_end(&mut raw)
        .expect("read raw");
    raw
}

fn entry_bytes(bytes: &[u8], name: &str) -> Vec<u8> {
    let (_, _, data) = entries_of(bytes)
        .into_iter()
        .find(|(n, _, _)| n == name)
        .expect("entry present");
    data
}

fn entry_text(bytes: &[u8], name: &str) -> String {
    String::from_utf8(entry_bytes(bytes, name)).expect("utf-8")
}

fn extracted(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("redacted.docx");
    std::fs::write(&path, bytes).expect("write");
    match extract(&path, FileKind::Docx) {
        Extraction::Text(text) => text,
        other => panic!("the redacted copy does not open: {other:?}"),
    }
}

#[test]
fn the_body_is_masked_across_runs_and_still_opens() {
    let original = sample();
    let redacted = redact_docx(&original, &fixed_scan, SURNAME).expect("redacted");
    assert_eq!(
        extracted(&redacted),
        "经查，科长王某某 同志违规收受礼金。\n联系电话\n138****5678\n\
         A & B <欧阳某某>\t车牌 云A****5 ***************0123\n（已删）\n欧阳某某\n\n来信"
    );
    let body = entry_text(&redacted, "word/document.xml");
    // The mask went into the first run, with its formatting; the others lost their
    // characters, and the one now starting with a space keeps it.
    assert!(
        body.contains("<w:rPr><w:b/></w:rPr><w:t>王某某</w:t>"),
        "{body}"
    );
    assert!(body.contains("<w:rPr><w:i/></w:rPr><w:t></w:t>"), "{body}");
    assert!(
        body.contains(r#"<w:t xml:space="preserve"> 同志违规收受礼金。</w:t>"#),
        "{body}"
    );
    assert!(body.contains("A &amp; B &lt;欧阳某某&gt;"), "{body}");
    // Deleted text and the text box's fallback copy are masked too.
    assert!(body.contains("<w:delText>李某某</w:delText>"), "{body}");
    assert!(
        body.contains("<mc:Fallback><w:txbxContent><w:p><w:r><w:t>欧阳某某</w:t>"),
        "{body}"
    );
    assert!(
        body.contains(
            r#"<w:instrText xml:space="preserve"> HYPERLINK "mailto:z***@example.com" </w:instrText>"#
        ),
        "{body}"
    );
    // Everything else of the part is as it was.
    assert!(body.starts_with(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#));
    assert!(body.contains(r#"<w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs>"#));
    assert!(body.contains(r#"<w:del w:id="1" w:author="审稿人">"#));
}

#[test]
fn no_entry_keeps_a_trace_and_the_others_are_copied_as_stored() {
    let original = sample();
    let redacted = redact_docx(&original, &fixed_scan, SURNAME).expect("redacted");
    let entries = entries_of(&redacted);
    for (name, _, data) in &entries {
        let text = String::from_utf8_lossy(data);
        for (known, _) in KNOWN {
            assert!(!text.contains(known), "{name} still holds {known}: {text}");
        }
    }
    let header = entry_text(&redacted, "word/header1.xml");
    assert!(
        header.contains("承办人：李某某 电话 0871-******34"),
        "{header}"
    );
    let footer = entry_text(&redacted, "word/footer1.xml");
    assert!(footer.contains("来信请寄 z***@example.com"), "{footer}");
    let footnotes = entry_text(&redacted, "word/footnotes.xml");
    assert!(
        footnotes.contains("身份证号530102********123X"),
        "{footnotes}"
    );
    let core = entry_text(&redacted, "docProps/core.xml");
    assert!(
        core.contains("<dc:title>关于王某某问题的通报</dc:title><dc:creator>李某某</dc:creator>"),
        "{core}"
    );
    let rels = entry_text(&redacted, "word/_rels/document.xml.rels");
    assert_eq!(
        rels,
        RELS.replace("mailto:zhangsan@", "mailto:z***@"),
        "only the link's target changes"
    );
    // Same entries in the same order, each stored the way it was; the rest unchanged
    // down to their compressed bytes.
    let before = entries_of(&original);
    let names = |list: &[(String, CompressionMethod, Vec<u8>)]| {
        list.iter()
            .map(|(n, m, _)| (n.clone(), *m))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&entries), names(&before));
    for (name, data, _) in untouched_entries() {
        assert_eq!(entry_bytes(&redacted, name), data, "{name}");
        assert_eq!(
            raw_entry(&redacted, name),
            raw_entry(&original, name),
            "{name}"
        );
    }
}

#[test]
fn a_document_without_findings_keeps_its_parts() {
    let original = sample();
    let nothing = |_: &str| Vec::new();
    let copy = redact_docx(&original, &nothing, SURNAME).expect("copied");
    let before = entries_of(&original);
    for (name, _, _) in &before {
        assert_eq!(raw_entry(&copy, name), raw_entry(&original, name), "{name}");
    }
}

#[test]
fn what_is_not_a_word_document_is_refused() {
    let reason = |result: Result<Vec<u8>, RedactError>| match result {
        Err(RedactError::Unreadable(reason)) => reason,
        Ok(_) => panic!("accepted"),
    };
    let not_zip = reason(redact_docx(b"PK but not a zip", &fixed_scan, SURNAME));
    assert!(not_zip.contains("不是有效的 Word 文档"), "{not_zip}");
    let no_body = build(&untouched_entries());
    let missing = reason(redact_docx(&no_body, &fixed_scan, SURNAME));
    assert!(missing.contains("word/document.xml"), "{missing}");
    let broken = build(&[(
        "word/document.xml",
        b"<w:document><w:body></w:p>".to_vec(),
        CompressionMethod::Deflated,
    )]);
    let malformed = reason(redact_docx(&broken, &fixed_scan, SURNAME));
    assert!(malformed.contains("格式有误"), "{malformed}");
    let latin1 = build(&[(
        "word/document.xml",
        b"<w:document>\xe9</w:document>".to_vec(),
        CompressionMethod::Deflated,
    )]);
    assert!(reason(redact_docx(&latin1, &fixed_scan, SURNAME)).contains("UTF-8"));
}

#[test]
fn text_parts_beyond_the_limit_are_refused() {
    // A part that inflates far beyond its compressed size, against a small limit: the
    // same check guards MAX_DOCX_XML.
    let padding = " ".repeat(64 * 1024);
    let bomb = build(&[(
        "word/document.xml",
        part("document", &padding).into_bytes(),
        CompressionMethod::Deflated,
    )]);
    assert!(bomb.len() < 4096);
    let refused = redact_docx_within(&bomb, &fixed_scan, SURNAME, 16 * 1024);
    assert!(
        matches!(&refused, Err(RedactError::Unreadable(reason)) if reason.contains("MB")),
        "{refused:?}"
    );
    // Within the limit it goes through; the parts share one budget.
    assert!(redact_docx_within(&bomb, &fixed_scan, SURNAME, 128 * 1024).is_ok());
    let two = build(&[
        (
            "word/document.xml",
            part("document", &padding).into_bytes(),
            CompressionMethod::Deflated,
        ),
        (
            "word/header1.xml",
            part("hdr", &padding).into_bytes(),
            CompressionMethod::Deflated,
        ),
    ]);
    assert!(redact_docx_within(&two, &fixed_scan, SURNAME, 100 * 1024).is_err());
}

#[test]
fn which_entries_are_text_parts() {
    for name in [
        "word/document.xml",
        "WORD/Document.xml",
        "word/header1.xml",
        "word/footer12.xml",
        "word/footnotes.xml",
        "word/endnotes.xml",
        "word/comments.xml",
        "word/glossary/document.xml",
    ] {
        assert_eq!(layout_of(name), Some(Layout::Paragraphs), "{name}");
    }
    assert_eq!(layout_of("docProps/core.xml"), Some(Layout::Fields));
    assert_eq!(
        layout_of("word/_rels/header1.xml.rels"),
        Some(Layout::Links)
    );
    for name in [
        "word/styles.xml",
        "_rels/.rels",
        "word/headers.xml",
        "word/media/image1.png",
        "customXml/item1.xml",
    ] {
        assert_eq!(layout_of(name), None, "{name}");
    }
}

#[test]
fn a_byte_order_mark_does_not_shift_the_edits() {
    let xml = format!("\u{feff}{}", part("document", "王建国"));
    let out = rewrite_xml(&xml, Layout::Paragraphs, &fixed_scan, Redaction::default())
        .expect("parsed")
        .expect("changed");
    assert_eq!(out, format!("\u{feff}{}", part("document", "某某")));
}

/// The demo catalogue's Word file (written by another program than these tests): a
/// word masked everywhere reads back as the same text with the mask in its place.
#[test]
fn the_demo_document_reads_back_the_same_but_for_the_masks() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("content/demo/files/confession-tax-deputy.docx");
    let Ok(original) = std::fs::read(&path) else {
        return;
    };
    let every = |text: &str| {
        text.match_indices("虚构")
            .map(|(byte, word)| {
                let start = text[..byte].chars().count();
                crate::privacy::redact::testing::finding(
                    crate::privacy::FindingKind::PersonName,
                    start,
                    start + 2,
                    word,
                )
            })
            .collect()
    };
    let redacted = redact_docx(&original, &every, SURNAME).expect("redacted");
    let before = extracted(&original);
    assert!(before.contains("虚构"), "{before}");
    assert_eq!(extracted(&redacted), before.replace("虚构", "虚某某"));
    for (name, _, _) in entries_of(&original) {
        if layout_of(&name).is_none() {
            assert_eq!(
                raw_entry(&redacted, &name),
                raw_entry(&original, &name),
                "{name}"
            );
        }
    }
}
