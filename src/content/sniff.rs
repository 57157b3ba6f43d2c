//! Deciding what a file really is. The bytes decide; the name only says what the uploader
//! believes, and the two must agree. Binary formats are recognised by their magic numbers
//! (`infer`), a DOCX by its zip entries, text types by decoding as text and, for
//! subtitles, by their structure.
//!
//! Over 400 lines only with its tests, one per file type it must tell apart.

use std::fs::File;
use std::io::{Cursor, Read, Seek};
use std::path::Path;

use zip::ZipArchive;

use super::error::ContentError;
use super::kind::{FileKind, claimed_extension};
use super::subtitle::parse_srt;
use super::text::{decode_strict, looks_binary};

/// How many leading bytes sniffing looks at. Enough for every magic number and for the
/// first entries of a zip, small enough to read for every upload.
pub const SNIFF_LEN: usize = 8192;

/// The entry every Word document has; a zip without it is some other zip.
const DOCX_MAIN_PART: &str = "word/document.xml";

/// Determines the real type of a file from its first bytes (up to [`SNIFF_LEN`]; fewer
/// means the whole file) and checks it against the extension of `claimed_name`.
///
/// A zip is accepted as DOCX only when `word/document.xml` is among its entries; given
/// just a prefix this looks at the local headers the prefix holds, so prefer
/// [`sniff_path`] when the whole file is on disk.
pub fn sniff(first_bytes: &[u8], claimed_name: &str) -> Result<FileKind, ContentError> {
    let bytes = &first_bytes[..first_bytes.len().min(SNIFF_LEN)];
    let complete = first_bytes.len() < SNIFF_LEN;
    let docx = is_zip(bytes).then(|| {
        if complete {
            ZipArchive::new(Cursor::new(bytes)).is_ok_and(|mut zip| archive_is_docx(&mut zip))
        } else {
            local_headers_name_docx(bytes)
        }
    });
    classify(bytes, complete, docx, claimed_name)
}

/// Like [`sniff`], for a file on disk; a zip's central directory is read in full.
pub fn sniff_path(path: &Path, claimed_name: &str) -> Result<FileKind, ContentError> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut prefix = Vec::with_capacity(SNIFF_LEN);
    (&mut file)
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut prefix)?;
    let docx = if is_zip(&prefix) {
        let limit = FileKind::Docx.max_size();
        if len > limit {
            // The only zip we accept is a DOCX and no DOCX may be this big, so do not
            // parse a central directory that may have been built to exhaust memory.
            let claimed = claimed_extension(claimed_name).and_then(FileKind::from_extension);
            if claimed == Some(FileKind::Docx) {
                return Err(ContentError::TooLarge {
                    limit,
                    kind: Some(FileKind::Docx),
                });
            }
            Some(false)
        } else {
            file.rewind()?;
            Some(ZipArchive::new(file).is_ok_and(|mut zip| archive_is_docx(&mut zip)))
        }
    } else {
        None
    };
    classify(&prefix, len <= SNIFF_LEN as u64, docx, claimed_name)
}

/// `docx` is `None` for non-zips, else whether the zip is a Word document.
fn classify(
    bytes: &[u8],
    complete: bool,
    docx: Option<bool>,
    name: &str,
) -> Result<FileKind, ContentError> {
    let ext = claimed_extension(name);
    let claimed = ext.and_then(FileKind::from_extension);
    if bytes.is_empty() {
        return Err(ContentError::Malformed(format!("文件“{name}”是空的")));
    }
    let magic = infer::get(bytes);
    let is_pdf = magic.is_some_and(|t| t.mime_type() == "application/pdf");
    // Decode first: weak magic numbers ("MZ", "WEBP" at offset 8) also start real text.
    // Only an all-ASCII PDF is both text and something else, and it is a PDF.
    if docx.is_none()
        && !is_pdf
        && let Some(decoded) = decode_strict(bytes, complete).filter(|d| !looks_binary(&d.text))
    {
        return classify_text(&decoded.text, magic, claimed, ext, name);
    }
    let found = match docx {
        Some(true) => Ok(FileKind::Docx),
        Some(false) => Err(describe_zip(magic, bytes, name)),
        None => match magic {
            Some(t) => allowed_binary(t, bytes).ok_or_else(|| describe(t, bytes, name)),
            None => Err("无法识别的二进制数据".to_owned()),
        },
    };
    match (found, claimed) {
        (Ok(kind), Some(claimed)) if kind == claimed => Ok(kind),
        (Ok(kind), Some(claimed)) => Err(mismatch(name, claimed, kind.label())),
        (Ok(kind), None) if ext.is_none() => Ok(kind),
        (Ok(kind), None) => Err(not_allowed(
            name,
            format!("{}，但扩展名为 .{}", kind.label(), ext_of(ext)),
        )),
        (Err(actual), Some(claimed)) => Err(mismatch(name, claimed, &actual)),
        (Err(actual), None) => Err(not_allowed(name, actual)),
    }
}

/// Bytes that decode as text: the extension says which text type, and the content must
/// fit it (subtitles have a structure).
fn classify_text(
    text: &str,
    magic: Option<infer::Type>,
    claimed: Option<FileKind>,
    ext: Option<&str>,
    name: &str,
) -> Result<FileKind, ContentError> {
    let body = text.trim_start_matches('\u{feff}');
    let actual = match magic.map(|t| t.extension()) {
        Some("html") => "网页 HTML",
        Some("xml") => "XML 文件",
        Some("sh") => "脚本程序",
        _ => "文本文件",
    };
    match claimed {
        Some(kind @ (FileKind::Text | FileKind::Markdown)) => Ok(kind),
        Some(FileKind::Vtt) if is_vtt(body) => Ok(FileKind::Vtt),
        Some(FileKind::Vtt) => Err(mismatch(name, FileKind::Vtt, "普通文本，缺少“WEBVTT”开头")),
        Some(FileKind::Srt) if parse_srt(body).is_ok_and(|cues| !cues.is_empty()) => {
            Ok(FileKind::Srt)
        }
        Some(FileKind::Srt) => Err(mismatch(name, FileKind::Srt, "普通文本，没有 SRT 字幕条目")),
        Some(other) => Err(mismatch(name, other, actual)),
        None if ext.is_some() => Err(not_allowed(
            name,
            format!("{actual}，扩展名为 .{}", ext_of(ext)),
        )),
        // No extension at all: take the text for what it is.
        None if is_vtt(body) => Ok(FileKind::Vtt),
        None => Ok(FileKind::Text),
    }
}

/// The allowed binary type `infer` found, if it is one. WebP is double-checked because
/// `infer` only looks at the "WEBP" tag, not at the RIFF container around it.
fn allowed_binary(t: infer::Type, bytes: &[u8]) -> Option<FileKind> {
    match t.mime_type() {
        "application/pdf" => Some(FileKind::Pdf),
        "video/mp4" | "video/x-m4v" => Some(FileKind::Mp4),
        "video/webm" => Some(FileKind::Webm),
        "image/jpeg" => Some(FileKind::Jpeg),
        "image/png" => Some(FileKind::Png),
        "image/webp" if bytes.starts_with(b"RIFF") => Some(FileKind::Webp),
        _ => None,
    }
}

/// The old Office format inside an OLE compound file, which `infer` reports as an
/// installer ("msi": that matcher runs before its document ones). Its document
/// matchers need the compound file's directory, often beyond the sniffed prefix, so
/// the claimed extension decides when they cannot tell.
fn ole_office_format(bytes: &[u8], name: &str) -> Option<&'static str> {
    if infer::doc::is_doc(bytes) {
        return Some("doc");
    }
    if infer::doc::is_xls(bytes) {
        return Some("xls");
    }
    if infer::doc::is_ppt(bytes) {
        return Some("ppt");
    }
    match claimed_extension(name)?.to_ascii_lowercase().as_str() {
        "doc" | "wps" => Some("doc"),
        "xls" | "et" => Some("xls"),
        "ppt" | "dps" => Some("ppt"),
        _ => None,
    }
}

/// A type outside the allow-list, in words a librarian knows, with a hint where one
/// helps; the bytes and the name tell an old Word document from an installer.
fn describe(t: infer::Type, bytes: &[u8], name: &str) -> String {
    let extension = match t.extension() {
        "msi" => ole_office_format(bytes, name).unwrap_or("msi"),
        other => other,
    };
    let ext = extension.to_uppercase();
    match extension {
        "exe" | "dll" | "elf" | "mach" | "dex" | "dey" | "wasm" | "class" | "msi" => {
            return "可执行程序".to_owned();
        }
        "doc" => return "旧版 Word 文档（DOC），请另存为 DOCX 或 PDF".to_owned(),
        "xls" | "xlsx" | "ods" => return format!("{ext} 表格"),
        "ppt" | "pptx" | "odp" => return format!("{ext} 演示文稿，请另存为 PDF"),
        "zip" => return "ZIP 压缩包".to_owned(),
        _ => {}
    }
    let noun = match t.matcher_type() {
        infer::MatcherType::App => "程序",
        infer::MatcherType::Archive => "压缩包",
        infer::MatcherType::Audio => "音频",
        infer::MatcherType::Book => "电子书",
        infer::MatcherType::Doc => "文档",
        infer::MatcherType::Font => "字体",
        infer::MatcherType::Image => "图片",
        infer::MatcherType::Video => "视频，请转换为 MP4 或 WebM",
        infer::MatcherType::Text => "文本",
        infer::MatcherType::Custom => "文件",
    };
    format!("{ext} 格式的{noun}")
}

fn describe_zip(magic: Option<infer::Type>, bytes: &[u8], name: &str) -> String {
    match magic {
        Some(t) if t.extension() == "docx" => "不完整或损坏的 Word 文档".to_owned(),
        Some(t) if t.extension() != "zip" => describe(t, bytes, name),
        _ => "ZIP 压缩包（不是 Word 文档）".to_owned(),
    }
}

fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// OOXML part names are case-insensitive, so compare them that way.
fn archive_is_docx<R: Read + Seek>(zip: &mut ZipArchive<R>) -> bool {
    zip.file_names()
        .any(|n| n.is_ok_and(|n| n.eq_ignore_ascii_case(DOCX_MAIN_PART)))
}

/// Scans the local file headers present in a zip prefix for the Word main part.
fn local_headers_name_docx(bytes: &[u8]) -> bool {
    const HEADER: usize = 30;
    let mut at = 0;
    while let Some(found) = find(&bytes[at..], b"PK\x03\x04") {
        let start = at + found;
        let Some(header) = bytes.get(start..start + HEADER) else {
            return false;
        };
        let name_len = usize::from(u16::from_le_bytes([header[26], header[27]]));
        if let Some(entry) = bytes.get(start + HEADER..start + HEADER + name_len)
            && entry.eq_ignore_ascii_case(DOCX_MAIN_PART.as_bytes())
        {
            return true;
        }
        at = start + 4;
    }
    false
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A WebVTT file starts with "WEBVTT", then a space, tab or line end.
pub(crate) fn is_vtt(body: &str) -> bool {
    body.strip_prefix("WEBVTT")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\n', '\r']))
}

fn ext_of(ext: Option<&str>) -> String {
    ext.unwrap_or_default().to_lowercase()
}

fn mismatch(name: &str, claimed: FileKind, actual: &str) -> ContentError {
    ContentError::TypeMismatch {
        name: name.to_owned(),
        claimed,
        actual: actual.to_owned(),
    }
}

fn not_allowed(name: &str, detected: String) -> ContentError {
    ContentError::NotAllowed {
        name: name.to_owned(),
        detected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::testutil::*;

    fn actual_of(result: Result<FileKind, ContentError>) -> String {
        match result {
            Err(ContentError::TypeMismatch { actual, .. }) => actual,
            other => panic!("expected TypeMismatch, got {other:?}"),
        }
    }

    #[test]
    fn binary_types_by_magic() {
        assert_eq!(
            sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a.pdf").ok(),
            Some(FileKind::Pdf)
        );
        assert_eq!(sniff(&png_bytes(), "a.PNG").ok(), Some(FileKind::Png));
        assert_eq!(sniff(&mp4_bytes(), "片子.mp4").ok(), Some(FileKind::Mp4));
        assert_eq!(
            sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "a.jpeg").ok(),
            Some(FileKind::Jpeg)
        );
        let mut webp = b"RIFF\x24\x00\x00\x00WEBPVP8 ".to_vec();
        webp.resize(64, 0);
        assert_eq!(sniff(&webp, "a.webp").ok(), Some(FileKind::Webp));
        let mut webm = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm".to_vec();
        webm.resize(400, 0);
        assert_eq!(sniff(&webm, "a.webm").ok(), Some(FileKind::Webm));
        // No extension at all: the bytes decide.
        assert_eq!(sniff(&png_bytes(), "scan").ok(), Some(FileKind::Png));
    }

    #[test]
    fn executables_named_as_documents_are_mismatches() {
        let actual = actual_of(sniff(&elf_bytes(), "report.pdf"));
        assert_eq!(actual, "可执行程序");
        assert_eq!(actual_of(sniff(&pe_bytes(), "report.pdf")), "可执行程序");
        assert_eq!(actual_of(sniff(&png_bytes(), "report.pdf")), "PNG 图片");
        assert_eq!(actual_of(sniff(&mp4_bytes(), "a.webm")), "MP4 视频");
        let err = sniff(&elf_bytes(), "report.pdf").expect_err("refused");
        assert_eq!(
            err.to_string(),
            "文件“report.pdf”的内容不是 PDF（实际为可执行程序），已拒绝"
        );
    }

    #[test]
    fn types_off_the_list_are_not_allowed() {
        let err = sniff(&pe_bytes(), "setup.exe").expect_err("refused");
        assert!(
            matches!(&err, ContentError::NotAllowed { detected, .. } if detected == "可执行程序")
        );
        assert!(err.to_string().contains("不在允许范围内"));
        assert!(matches!(
            sniff(b"<!DOCTYPE html><html><body>x</body></html>", "a.html"),
            Err(ContentError::NotAllowed { .. })
        ));
        // Allowed bytes under a name that is not allowed are refused too, naming both.
        let detected = |result: Result<FileKind, ContentError>| match result {
            Err(ContentError::NotAllowed { detected, .. }) => detected,
            other => panic!("expected NotAllowed, got {other:?}"),
        };
        assert_eq!(
            detected(sniff(&png_bytes(), "a.EXE")),
            format!("{}，但扩展名为 .exe", FileKind::Png.label())
        );
        assert_eq!(
            detected(sniff(b"plain words", "notes.Html")),
            "文本文件，扩展名为 .html"
        );
        let mut mov = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ".to_vec();
        mov.resize(64, 0);
        assert!(actual_of(sniff(&mov, "a.mp4")).contains("MOV"));
        assert!(matches!(
            sniff(b"", "a.txt"),
            Err(ContentError::Malformed(_))
        ));
    }

    #[test]
    fn docx_needs_the_word_part() {
        let docx = docx_bytes("<w:p><w:r><w:t>正文</w:t></w:r></w:p>");
        assert_eq!(sniff(&docx, "a.docx").ok(), Some(FileKind::Docx));
        let plain_zip = zip_bytes(&[("readme.txt", b"hello"), ("word/other.xml", b"<x/>")]);
        assert!(matches!(
            sniff(&plain_zip, "a.zip"),
            Err(ContentError::NotAllowed { .. })
        ));
        assert_eq!(
            actual_of(sniff(&plain_zip, "a.docx")),
            "ZIP 压缩包（不是 Word 文档）"
        );
    }

    #[test]
    fn docx_from_a_prefix_or_a_path() {
        let big = vec![7u8; 3 * SNIFF_LEN];
        let document = b"<w:document><w:body/></w:document>".as_slice();
        let docx = zip_bytes(&[("word/document.xml", document), ("media/big.bin", &big)]);
        assert!(docx.len() > SNIFF_LEN);
        assert_eq!(
            sniff(&docx[..SNIFF_LEN], "a.docx").ok(),
            Some(FileKind::Docx)
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.docx");
        std::fs::write(&path, &docx).expect("write");
        assert_eq!(sniff_path(&path, "a.docx").ok(), Some(FileKind::Docx));
        // The Word part after the sniffed prefix: only the full file can tell.
        let late = zip_bytes(&[("media/big.bin", &big), ("word/document.xml", document)]);
        std::fs::write(&path, &late).expect("write");
        assert_eq!(sniff_path(&path, "a.docx").ok(), Some(FileKind::Docx));
    }

    #[test]
    fn huge_zip_is_not_parsed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big");
        let file = File::create(&path).expect("create");
        std::io::Write::write_all(&mut &file, b"PK\x03\x04").expect("write");
        // Sparse: costs no disk, but is over the DOCX limit.
        file.set_len(FileKind::Docx.max_size() + 1).expect("grow");
        assert!(matches!(
            sniff_path(&path, "big.docx"),
            Err(ContentError::TooLarge {
                kind: Some(FileKind::Docx),
                ..
            })
        ));
        assert!(matches!(
            sniff_path(&path, "big.zip"),
            Err(ContentError::NotAllowed { .. })
        ));
    }

    #[test]
    fn text_types_by_extension_and_content() {
        assert_eq!(
            sniff("纪律处分条例".as_bytes(), "a.txt").ok(),
            Some(FileKind::Text)
        );
        let (gbk, _, _) = encoding_rs::GBK.encode("# 警示录\n以案为鉴");
        assert_eq!(sniff(&gbk, "a.markdown").ok(), Some(FileKind::Markdown));
        // Starts like a Windows executable, but it is text.
        assert_eq!(
            sniff("MZ 同志的忏悔".as_bytes(), "a.txt").ok(),
            Some(FileKind::Text)
        );
        assert_eq!(actual_of(sniff(b"just words", "a.pdf")), "文本文件");
        assert_eq!(
            actual_of(sniff(b"<html><body>404</body></html>", "a.pdf")),
            "网页 HTML"
        );
        assert_eq!(sniff(b"no extension", "README").ok(), Some(FileKind::Text));
        assert!(actual_of(sniff(&elf_bytes(), "a.txt")).contains("可执行程序"));
        assert_eq!(
            actual_of(sniff(&[0x00, 0x01, 0x02, 0x9f, 0x00], "a.txt")),
            "无法识别的二进制数据"
        );
    }

    #[test]
    fn a_character_cut_off_is_allowed_only_where_the_prefix_ends() {
        // A whole file that ends inside a character is not text.
        let mut cut = "纪律".as_bytes().to_vec();
        cut.push("律".as_bytes()[0]);
        assert_eq!(actual_of(sniff(&cut, "a.txt")), "无法识别的二进制数据");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.txt");
        std::fs::write(&path, &cut).expect("write");
        assert!(matches!(
            sniff_path(&path, "a.txt"),
            Err(ContentError::TypeMismatch { .. })
        ));
        // A long file whose sniffed prefix stops inside a character is text.
        let long = "纪".repeat(SNIFF_LEN / 3 + 1).into_bytes();
        assert!(long.len() > SNIFF_LEN && !SNIFF_LEN.is_multiple_of(3));
        assert_eq!(sniff(&long, "a.txt").ok(), Some(FileKind::Text));
        std::fs::write(&path, &long).expect("write");
        assert_eq!(sniff_path(&path, "a.txt").ok(), Some(FileKind::Text));
    }

    #[test]
    fn a_whole_zip_is_judged_by_its_central_directory() {
        // The local header names another part; the directory names the Word part.
        let mut docx = docx_bytes("<w:p/>");
        let name = DOCX_MAIN_PART.as_bytes();
        let at = docx
            .windows(name.len())
            .position(|w| w == name)
            .expect("local header name");
        docx[at + name.len() - 5] = b'X';
        assert_eq!(sniff(&docx, "a.docx").ok(), Some(FileKind::Docx));
    }

    #[test]
    fn a_zip_exactly_at_the_docx_limit_is_still_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("edge.docx");
        let file = File::create(&path).expect("create");
        std::io::Write::write_all(&mut &file, b"PK\x03\x04").expect("write");
        file.set_len(FileKind::Docx.max_size()).expect("grow");
        // Not too large: read, and found to be no Word document.
        assert!(actual_of(sniff_path(&path, "edge.docx")).contains("ZIP"));
    }

    #[test]
    fn markup_and_scripts_are_named_when_refused() {
        assert_eq!(
            actual_of(sniff(b"<?xml version=\"1.0\"?><a/>", "a.pdf")),
            "XML 文件"
        );
        assert_eq!(
            actual_of(sniff(b"#!/bin/sh\necho hi\n", "a.pdf")),
            "脚本程序"
        );
    }

    #[test]
    fn office_files_and_archives_are_named_with_a_hint() {
        // OLE compound files, told apart by their root's class id.
        let ole = |clsid: &str| {
            let mut file =
                cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))
                    .expect("cfb");
            let clsid = uuid::Uuid::parse_str(clsid).expect("clsid");
            file.set_storage_clsid("/", clsid).expect("clsid set");
            file.flush().expect("flush");
            actual_of(sniff(&file.into_inner().into_inner(), "a.pdf"))
        };
        // `infer` tells the Office packages apart by the first entry's folder.
        let ooxml = |part: &str| {
            zip_bytes(&[
                (part, b"<x/>".as_slice()),
                ("[Content_Types].xml", b"<Types/>".as_slice()),
            ])
        };
        let cases = [
            (
                actual_of(sniff(&ooxml("xl/workbook.xml"), "a.docx")),
                "XLSX 表格",
            ),
            (
                actual_of(sniff(&ooxml("ppt/presentation.xml"), "a.docx")),
                "PPTX 演示文稿，请另存为 PDF",
            ),
            // A Word package without its main part.
            (
                actual_of(sniff(&ooxml("word/styles.xml"), "a.docx")),
                "不完整或损坏的 Word 文档",
            ),
            // An empty zip: only the end of its central directory.
            (
                actual_of(sniff(
                    b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
                    "a.pdf",
                )),
                "ZIP 压缩包",
            ),
        ];
        for (actual, expected) in cases {
            assert_eq!(actual, expected);
        }
        assert_eq!(
            ole("00020906-0000-0000-c000-000000000046"),
            "旧版 Word 文档（DOC），请另存为 DOCX 或 PDF"
        );
        assert_eq!(ole("00020820-0000-0000-c000-000000000046"), "XLS 表格");
        // A compound file whose directory lies beyond the prefix: the name tells.
        let mut header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".to_vec();
        header.resize(SNIFF_LEN, 0);
        let refused = |name: &str| match sniff(&header, name) {
            Err(ContentError::NotAllowed { detected, .. }) => detected,
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(
            refused("旧案例.DOC"),
            "旧版 Word 文档（DOC），请另存为 DOCX 或 PDF"
        );
        assert_eq!(refused("统计.et"), "XLS 表格");
        assert_eq!(refused("讲稿.PPT"), "PPT 演示文稿，请另存为 PDF");
        assert_eq!(refused("setup.msi"), "可执行程序");
        assert_eq!(
            ole("64818d10-4f9b-11cf-86ea-00aa00b929e8"),
            "PPT 演示文稿，请另存为 PDF"
        );
    }

    #[test]
    fn webp_needs_its_riff_container() {
        let mut bare = b"RIFX\x24\x00\x00\x00WEBPVP8 ".to_vec();
        bare.resize(64, 0);
        assert!(sniff(&bare, "a.webp").is_err());
    }

    #[test]
    fn a_zip_prefix_is_scanned_past_its_first_entries() {
        let big = vec![7u8; 3 * SNIFF_LEN];
        let document = b"<w:document><w:body/></w:document>".as_slice();
        let docx = zip_bytes(&[
            ("[Content_Types].xml", b"<Types/>".as_slice()),
            ("_rels/.rels", b"<Relationships/>".as_slice()),
            ("word/document.xml", document),
            ("media/big.bin", &big),
        ]);
        assert_eq!(
            sniff(&docx[..SNIFF_LEN], "a.docx").ok(),
            Some(FileKind::Docx)
        );
        // A large zip with no Word part in its prefix is no Word document.
        let archive = zip_bytes(&[
            ("readme.txt", b"hello".as_slice()),
            ("media/big.bin", &big),
            ("word/document.xml", document),
        ]);
        assert!(actual_of(sniff(&archive[..SNIFF_LEN], "a.docx")).contains("ZIP"));
    }

    #[test]
    fn subtitles_must_look_like_subtitles() {
        let vtt = "\u{feff}WEBVTT\n\n00:00.000 --> 00:01.000\n你好\n";
        assert_eq!(sniff(vtt.as_bytes(), "a.vtt").ok(), Some(FileKind::Vtt));
        assert_eq!(sniff(vtt.as_bytes(), "noext").ok(), Some(FileKind::Vtt));
        assert!(actual_of(sniff(b"WEBVTTX\n", "a.vtt")).contains("WEBVTT"));
        let srt = "1\r\n00:00:01,000 --> 00:00:02,000\r\n你好\r\n";
        assert_eq!(sniff(srt.as_bytes(), "a.srt").ok(), Some(FileKind::Srt));
        assert!(actual_of(sniff(b"hello\nworld\n", "a.srt")).contains("SRT"));
    }
}
