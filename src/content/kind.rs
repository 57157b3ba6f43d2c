//! The allow-list of file types: what each is called, served as, used for and may weigh.
//! Deciding which type a file really is lives in `sniff`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

/// A file type the library accepts. Anything else is refused at upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// PDF document.
    Pdf,
    /// Word document (Office Open XML).
    Docx,
    /// Plain text (UTF-8 or GB18030/GBK).
    Text,
    /// Markdown text.
    Markdown,
    /// MP4 video.
    Mp4,
    /// WebM video.
    Webm,
    /// WebVTT subtitles.
    Vtt,
    /// SubRip subtitles.
    Srt,
    /// JPEG image.
    Jpeg,
    /// PNG image.
    Png,
    /// WebP image.
    Webp,
}

/// What a file is for on a resource page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FileRole {
    /// Readable text: PDF, DOCX, TXT, Markdown.
    Document,
    /// Playable video: MP4, WebM.
    Video,
    /// Subtitles or transcript for a video: VTT, SRT.
    Subtitle,
    /// A picture (cover, illustration).
    Image,
}

impl FileRole {
    pub const ALL: [FileRole; 4] = [
        FileRole::Document,
        FileRole::Video,
        FileRole::Subtitle,
        FileRole::Image,
    ];

    /// As stored and shown in the API.
    pub fn code(self) -> &'static str {
        match self {
            FileRole::Document => "document",
            FileRole::Video => "video",
            FileRole::Subtitle => "subtitle",
            FileRole::Image => "image",
        }
    }

    /// The role stored as `code`, if it is one.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            FileRole::Document => "文档",
            FileRole::Video => "视频",
            FileRole::Subtitle => "字幕",
            FileRole::Image => "图片",
        }
    }
}

/// What became of a file's text: extracted, none to extract, or why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExtractionState {
    Ok,
    NoTextLayer,
    Failed,
    NotApplicable,
    Pending,
}

impl ExtractionState {
    pub const ALL: [ExtractionState; 5] = [
        Self::Ok,
        Self::NoTextLayer,
        Self::Failed,
        Self::NotApplicable,
        Self::Pending,
    ];

    /// As stored and shown in the API.
    pub fn code(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::NoTextLayer => "no_text_layer",
            Self::Failed => "failed",
            Self::NotApplicable => "not_applicable",
            Self::Pending => "pending",
        }
    }

    /// The state stored as `code`, if it is one.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.code() == code)
    }

    /// As a librarian reads it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ok => "已提取文字",
            Self::NoTextLayer => "无文字层",
            Self::Failed => "提取失败",
            Self::NotApplicable => "无需提取",
            Self::Pending => "等待提取",
        }
    }
}

impl FileKind {
    /// Every accepted type, in a stable order.
    pub const ALL: [FileKind; 11] = [
        FileKind::Pdf,
        FileKind::Docx,
        FileKind::Text,
        FileKind::Markdown,
        FileKind::Mp4,
        FileKind::Webm,
        FileKind::Vtt,
        FileKind::Srt,
        FileKind::Jpeg,
        FileKind::Png,
        FileKind::Webp,
    ];

    /// The MIME type to serve the bytes with. Text types carry no charset because a
    /// stored TXT may be GB18030; serve extracted text when the encoding matters.
    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileKind::Text => "text/plain",
            FileKind::Markdown => "text/markdown",
            FileKind::Mp4 => "video/mp4",
            FileKind::Webm => "video/webm",
            FileKind::Vtt => "text/vtt",
            FileKind::Srt => "application/x-subrip",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Webp => "image/webp",
        }
    }

    /// The usual file extension, without the dot (for download names).
    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Docx => "docx",
            FileKind::Text => "txt",
            FileKind::Markdown => "md",
            FileKind::Mp4 => "mp4",
            FileKind::Webm => "webm",
            FileKind::Vtt => "vtt",
            FileKind::Srt => "srt",
            FileKind::Jpeg => "jpg",
            FileKind::Png => "png",
            FileKind::Webp => "webp",
        }
    }

    /// What the file is for.
    pub fn role(self) -> FileRole {
        match self {
            FileKind::Pdf | FileKind::Docx | FileKind::Text | FileKind::Markdown => {
                FileRole::Document
            }
            FileKind::Mp4 | FileKind::Webm => FileRole::Video,
            FileKind::Vtt | FileKind::Srt => FileRole::Subtitle,
            FileKind::Jpeg | FileKind::Png | FileKind::Webp => FileRole::Image,
        }
    }

    /// The largest file of this type the store accepts, in bytes.
    pub fn max_size(self) -> u64 {
        match self.role() {
            FileRole::Document => 50 * MIB,
            FileRole::Video => 4 * GIB,
            FileRole::Subtitle => 5 * MIB,
            FileRole::Image => 10 * MIB,
        }
    }

    /// The largest size of any accepted type: the limit while the type is still unknown.
    pub fn max_size_any() -> u64 {
        Self::ALL.iter().map(|k| k.max_size()).max().unwrap_or(0)
    }

    /// A short name for messages and pages ("PDF", "MP4 视频").
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Pdf => "PDF",
            FileKind::Docx => "Word 文档（DOCX）",
            FileKind::Text => "纯文本",
            FileKind::Markdown => "Markdown 文本",
            FileKind::Mp4 => "MP4 视频",
            FileKind::Webm => "WebM 视频",
            FileKind::Vtt => "WebVTT 字幕",
            FileKind::Srt => "SRT 字幕",
            FileKind::Jpeg => "JPEG 图片",
            FileKind::Png => "PNG 图片",
            FileKind::Webp => "WebP 图片",
        }
    }

    /// The type a file name's extension claims, case-insensitively; `None` when the
    /// extension is missing or not on the allow-list.
    pub fn from_extension(ext: &str) -> Option<FileKind> {
        Some(match ext.to_ascii_lowercase().as_str() {
            "pdf" => FileKind::Pdf,
            "docx" => FileKind::Docx,
            "txt" | "text" => FileKind::Text,
            "md" | "markdown" => FileKind::Markdown,
            "mp4" | "m4v" => FileKind::Mp4,
            "webm" => FileKind::Webm,
            "vtt" => FileKind::Vtt,
            "srt" => FileKind::Srt,
            "jpg" | "jpeg" => FileKind::Jpeg,
            "png" => FileKind::Png,
            "webp" => FileKind::Webp,
            _ => return None,
        })
    }

    /// The stable lowercase name used in the database and JSON ("pdf", "mp4").
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Docx => "docx",
            FileKind::Text => "text",
            FileKind::Markdown => "markdown",
            FileKind::Mp4 => "mp4",
            FileKind::Webm => "webm",
            FileKind::Vtt => "vtt",
            FileKind::Srt => "srt",
            FileKind::Jpeg => "jpeg",
            FileKind::Png => "png",
            FileKind::Webp => "webp",
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name given by `as_str` was not recognised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("未知的文件类型“{0}”")]
pub struct UnknownFileKind(pub String);

impl FromStr for FileKind {
    type Err = UnknownFileKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FileKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownFileKind(s.to_owned()))
    }
}

/// The extension of a claimed file name, if it has one. Only the last component counts,
/// so a browser-supplied "C:\\Users\\a\\x.pdf" or "../x.pdf" is judged by "x.pdf".
pub(crate) fn claimed_extension(claimed_name: &str) -> Option<&str> {
    let base = claimed_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(claimed_name);
    let (stem, ext) = base.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then_some(ext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in FileKind::ALL {
            assert_eq!(kind.as_str().parse::<FileKind>(), Ok(kind));
            assert_eq!(FileKind::from_extension(kind.extension()), Some(kind));
            let json = serde_json::to_string(&kind).expect("serialise");
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert!("exe".parse::<FileKind>().is_err());
    }

    #[test]
    fn roles_and_limits() {
        assert_eq!(FileKind::Mp4.role(), FileRole::Video);
        assert_eq!(FileKind::Srt.role(), FileRole::Subtitle);
        assert_eq!(FileKind::Pdf.max_size(), 50 * MIB);
        assert_eq!(FileKind::Webm.max_size(), 4 * GIB);
        assert_eq!(FileKind::Vtt.max_size(), 5 * MIB);
        assert_eq!(FileKind::Png.max_size(), 10 * MIB);
        assert_eq!(FileKind::max_size_any(), 4 * GIB);
    }

    #[test]
    fn extension_of_claimed_names() {
        assert_eq!(claimed_extension("报告.PDF"), Some("PDF"));
        assert_eq!(claimed_extension("C:\\dir.v2\\x.docx"), Some("docx"));
        assert_eq!(claimed_extension("dir.v2/README"), None);
        assert_eq!(claimed_extension(".bashrc"), None);
        assert_eq!(claimed_extension("x."), None);
        assert_eq!(FileKind::from_extension("JPEG"), Some(FileKind::Jpeg));
        assert_eq!(FileKind::from_extension("exe"), None);
    }
}
