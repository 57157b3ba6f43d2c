//! Text for the search index and the reader: from TXT/Markdown (UTF-8 or GB18030), DOCX,
//! PDF and subtitles. Extraction never panics and never fails the caller: a file whose
//! text cannot be read gives `Failed` with a reason, and memory stays bounded.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use quick_xml::events::{BytesRef, Event};
use serde::{Deserialize, Serialize};
use zip::ZipArchive;

use super::kind::FileKind;
#[cfg(test)]
use super::kind::FileRole;
use super::pdf::extract_pdf;
use super::subtitle::{Cue, parse_srt, parse_vtt};
use super::text::{decode_lossy, normalize_newlines, truncate_chars};

/// The most text kept from one file, in bytes of UTF-8; the rest is dropped.
pub const MAX_TEXT_BYTES: usize = 8 * 1024 * 1024;

/// The most `word/document.xml` read after decompression, against zip bombs.
pub const MAX_DOCX_XML: u64 = 64 * 1024 * 1024;

/// What a file's text turned out to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Extraction {
    /// Running text (newlines normalised to `\n`).
    Text(String),
    /// Timed subtitle cues.
    Cues(Vec<Cue>),
    /// A PDF without a text layer (a scan): it needs OCR before it can be searched.
    NoTextLayer,
    /// Video and images carry no text.
    NotApplicable,
    /// The text could not be read; the reason is for the librarian and the log.
    Failed(String),
}

impl Extraction {
    /// The plain text to index: the text itself, or the cue texts one per line.
    pub fn plain_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Extraction::Text(text) => Some(Cow::Borrowed(text)),
            Extraction::Cues(cues) => Some(Cow::Owned(
                cues.iter()
                    .map(|c| c.text.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            )),
            Extraction::NoTextLayer | Extraction::NotApplicable | Extraction::Failed(_) => None,
        }
    }
}

/// Extracts the text of a stored file whose type has already been sniffed. Called once,
/// when a file is attached: the text is stored with the file and read from there.
/// Blocking (it reads the file, and a PDF may take `pdftotext` and then the
/// `pdf-extract` helper a minute each): call it from `spawn_blocking` in async code.
pub fn extract(path: &Path, kind: FileKind) -> Extraction {
    match kind {
        FileKind::Text | FileKind::Markdown => match read_text(path) {
            Ok(text) => Extraction::Text(text),
            Err(reason) => Extraction::Failed(reason),
        },
        FileKind::Vtt | FileKind::Srt => {
            let parsed = read_text(path).and_then(|text| {
                let cues = if kind == FileKind::Vtt {
                    parse_vtt(&text)
                } else {
                    parse_srt(&text)
                };
                cues.map_err(|e| e.to_string())
            });
            match parsed {
                Ok(cues) => Extraction::Cues(cues),
                Err(reason) => Extraction::Failed(reason),
            }
        }
        FileKind::Docx => match extract_docx(path) {
            Ok(text) => Extraction::Text(text),
            Err(reason) => Extraction::Failed(reason),
        },
        FileKind::Pdf => extract_pdf(path),
        FileKind::Mp4 | FileKind::Webm | FileKind::Jpeg | FileKind::Png | FileKind::Webp => {
            Extraction::NotApplicable
        }
    }
}

/// Reads a text file as UTF-8, else GB18030, else lossy UTF-8 (logged), up to the cap.
fn read_text(path: &Path) -> Result<String, String> {
    let file = File::open(path).map_err(|e| format!("无法打开文件：{e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_TEXT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("无法读取文件：{e}"))?;
    let truncated = bytes.len() > MAX_TEXT_BYTES;
    bytes.truncate(MAX_TEXT_BYTES);
    let decoded = decode_lossy(&bytes, !truncated);
    if decoded.lossy {
        tracing::warn!(path = %path.display(), "text is neither UTF-8 nor GB18030; undecodable bytes replaced");
    }
    let mut text = normalize_newlines(&decoded.text);
    // GB18030 grows by half when turned into UTF-8.
    truncate_chars(&mut text, MAX_TEXT_BYTES);
    Ok(text)
}

/// The text of `word/document.xml`: `w:t` runs, a line per paragraph, `w:tab` as a tab
/// and `w:br`/`w:cr` as line breaks. Deleted text and field codes are other elements
/// (`w:delText`, `w:instrText`) and so are left out; the fallback copy of a text box
/// (`mc:Fallback`) is skipped so its text does not appear twice.
fn extract_docx(path: &Path) -> Result<String, String> {
    let file = File::open(path).map_err(|e| format!("无法打开文件：{e}"))?;
    let mut zip = ZipArchive::new(BufReader::new(file))
        .map_err(|e| format!("不是有效的 Word 文档（{e}）"))?;
    let part = zip
        .file_names()
        .filter_map(Result::ok)
        .find(|n| n.eq_ignore_ascii_case("word/document.xml"))
        .map(|n| n.into_owned())
        .ok_or("Word 文档缺少正文部分（word/document.xml）")?;
    let entry = zip
        .by_name(&part)
        .map_err(|e| format!("无法读取 Word 正文（{e}）"))?;
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(entry.take(MAX_DOCX_XML)));
    let mut buf = Vec::new();
    let mut out = String::new();
    let mut in_text = false;
    let mut in_tab_stops = false;
    let mut fallback_depth = 0usize;
    loop {
        let event = match xml.read_event_into(&mut buf) {
            Ok(Event::Eof) => break,
            Ok(event) => event,
            // Hitting the size cap mid-element also lands here: keep what was read.
            Err(_) if !out.trim().is_empty() => break,
            Err(e) => return Err(format!("Word 正文格式有误（{e}）")),
        };
        let skipping = fallback_depth > 0;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "t" => in_text = true,
                "tabs" => in_tab_stops = true,
                "Fallback" => fallback_depth += 1,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "tabs" => in_tab_stops = false,
                "p" if !skipping => out.push('\n'),
                "Fallback" => fallback_depth = fallback_depth.saturating_sub(1),
                _ => {}
            },
            Event::Empty(e) if !skipping => match e.local_name().as_ref() {
                // Tab stops in paragraph properties are also called `tab`.
                "tab" if !in_tab_stops => out.push('\t'),
                "br" | "cr" | "p" => out.push('\n'),
                _ => {}
            },
            Event::Text(t) if in_text && !skipping => out.push_str(&t),
            Event::CData(t) if in_text && !skipping => out.push_str(&t),
            Event::GeneralRef(r) if in_text && !skipping => out.push_str(&resolve_entity(&r)),
            _ => {}
        }
        if out.len() > MAX_TEXT_BYTES {
            truncate_chars(&mut out, MAX_TEXT_BYTES);
            break;
        }
        buf.clear();
    }
    Ok(out.trim_end().to_owned())
}

/// `&amp;` and friends arrive as separate events; unknown entities are kept verbatim.
fn resolve_entity(r: &BytesRef<'_>) -> Cow<'static, str> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Cow::Owned(c.to_string());
    }
    let name: &str = r;
    Cow::Borrowed(match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => return Cow::Owned(format!("&{name};")),
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::content::testutil::*;

    fn extract_bytes(bytes: &[u8], kind: FileKind) -> Extraction {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("file");
        std::fs::write(&path, bytes).expect("write");
        extract(&path, kind)
    }

    fn text_of(extraction: Extraction) -> String {
        match extraction {
            Extraction::Text(text) => text,
            other => panic!("expected text, got {other:?}"),
        }
    }

    #[test]
    fn gbk_and_utf8_text() {
        let source = "关于违规收送礼金问题的通报\r\n某局副局长张某某收受礼金。\r\n";
        let (gbk, _, unmappable) = encoding_rs::GBK.encode(source);
        assert!(!unmappable);
        let expected = "关于违规收送礼金问题的通报\n某局副局长张某某收受礼金。\n";
        assert_eq!(text_of(extract_bytes(&gbk, FileKind::Text)), expected);
        let bom = [b"\xef\xbb\xbf".as_slice(), source.as_bytes()].concat();
        assert_eq!(text_of(extract_bytes(&bom, FileKind::Markdown)), expected);
        // Neither UTF-8 nor GB18030: kept, with replacement characters.
        let text = text_of(extract_bytes(b"ok \xff\xfe\xff end", FileKind::Text));
        assert!(text.starts_with("ok ") && text.ends_with(" end") && text.contains('\u{fffd}'));
    }

    #[test]
    fn docx_paragraphs_runs_and_breaks() {
        let body = r#"
            <w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>
              <w:r><w:t>中共中央</w:t></w:r><w:r><w:t xml:space="preserve"> 八项规定</w:t></w:r></w:p>
            <w:p><w:r><w:t>第一条</w:t><w:tab/><w:t>A &amp; B &lt;C&gt; &#x4E2D;</w:t><w:br/><w:t>换行</w:t></w:r></w:p>
            <w:p><w:del><w:r><w:delText>已删除</w:delText></w:r></w:del>
              <w:r><w:instrText> PAGE </w:instrText></w:r>
              <mc:AlternateContent><mc:Choice Requires="wps"><w:r><w:t>文本框</w:t></w:r></mc:Choice>
              <mc:Fallback><w:p><w:r><w:t>文本框</w:t></w:r></w:p></mc:Fallback></mc:AlternateContent></w:p>
            <w:p/>
            <w:tbl><w:tr><w:tc><w:p><w:r><w:t>单元格</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"#;
        let text = text_of(extract_bytes(&docx_bytes(body), FileKind::Docx));
        assert_eq!(
            text,
            "中共中央 八项规定\n第一条\tA & B <C> 中\n换行\n文本框\n\n单元格"
        );
    }

    #[test]
    fn broken_docx_fails_gently() {
        let no_body = zip_bytes(&[("word/styles.xml", b"<w:styles/>")]);
        assert!(matches!(
            extract_bytes(&no_body, FileKind::Docx),
            Extraction::Failed(_)
        ));
        assert!(matches!(
            extract_bytes(b"not a zip", FileKind::Docx),
            Extraction::Failed(_)
        ));
        let bad_xml = zip_bytes(&[("word/document.xml", b"<w:document><w:body></w:p>")]);
        assert!(matches!(
            extract_bytes(&bad_xml, FileKind::Docx),
            Extraction::Failed(_)
        ));
    }

    #[test]
    fn pdf_text_and_garbage() {
        let text = text_of(extract_bytes(
            &pdf_bytes("Warning education"),
            FileKind::Pdf,
        ));
        assert!(text.contains("Warning education"), "{text:?}");
        // None of these may panic, whatever the parser thinks of them.
        let mut truncated = pdf_bytes("cut off");
        truncated.truncate(truncated.len() / 2);
        for garbage in [
            b"%PDF-1.4\n\x00\x01\x02garbage".to_vec(),
            b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF".to_vec(),
            truncated,
            elf_bytes(),
            Vec::new(),
        ] {
            let result = extract_bytes(&garbage, FileKind::Pdf);
            assert!(
                matches!(result, Extraction::Failed(_) | Extraction::NoTextLayer),
                "{result:?}"
            );
        }
    }

    #[test]
    fn subtitles_media_and_plain_text() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\n<i>廉洁</i>\n\n2\n00:00:03,000 --> 00:00:04,000\n自律\n";
        let cues = extract_bytes(srt.as_bytes(), FileKind::Srt);
        assert_eq!(cues.plain_text().as_deref(), Some("廉洁\n自律"));
        let (gbk_vtt, _, _) =
            encoding_rs::GBK.encode("WEBVTT\n\n00:01.000 --> 00:02.000\n警钟长鸣\n");
        match extract_bytes(&gbk_vtt, FileKind::Vtt) {
            Extraction::Cues(cues) => assert_eq!(cues[0].text, "警钟长鸣"),
            other => panic!("expected cues, got {other:?}"),
        }
        assert!(matches!(
            extract_bytes(b"not vtt", FileKind::Vtt),
            Extraction::Failed(_)
        ));
        assert_eq!(
            extract_bytes(&mp4_bytes(), FileKind::Mp4),
            Extraction::NotApplicable
        );
        assert_eq!(
            extract_bytes(&png_bytes(), FileKind::Png),
            Extraction::NotApplicable
        );
        assert_eq!(Extraction::NoTextLayer.plain_text(), None);
    }

    /// The demo catalogue's real files (when present): every one is accepted under its
    /// own name and its text, Chinese included, comes out.
    #[test]
    fn demo_files_sniff_and_extract() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("content/demo/files");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return;
        };
        for entry in entries {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("utf-8 name");
            let kind =
                crate::content::sniff_path(&path, name).unwrap_or_else(|e| panic!("{name}: {e}"));
            let extraction = extract(&path, kind);
            match kind.role() {
                // The demo's scan has no text layer on purpose: OCR reads it later.
                FileRole::Document if name.starts_with("scan-") => {
                    assert_eq!(extraction, Extraction::NoTextLayer, "{name}");
                }
                FileRole::Document | FileRole::Subtitle => {
                    let text = extraction
                        .plain_text()
                        .unwrap_or_else(|| panic!("{name}: {extraction:?}"));
                    let chinese = text
                        .chars()
                        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
                        .count();
                    assert!(chinese >= 10, "{name}: too little Chinese in {text:?}");
                }
                FileRole::Video | FileRole::Image => {
                    assert_eq!(extraction, Extraction::NotApplicable, "{name}");
                }
            }
        }
    }
}
