//! What can go wrong while storing, sniffing or reading a file, in words a librarian
//! understands. No HTTP here: `web` maps each variant to a status once.

use std::io;

use super::kind::FileKind;

/// Errors of the file store, type sniffing and subtitle parsing.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    /// The disk failed us (full, permissions, vanished file). Details are for the log.
    #[error("文件读写失败：{0}")]
    Io(#[source] io::Error),

    /// The name promises one allowed type but the bytes are something else.
    #[error("文件“{name}”的内容不是 {}（实际为{actual}），已拒绝", claimed.label())]
    TypeMismatch {
        /// The name the uploader gave.
        name: String,
        /// The type its extension claims.
        claimed: FileKind,
        /// What the bytes really are, in plain words (e.g. "可执行程序").
        actual: String,
    },

    /// Neither the name nor the bytes are a type the library accepts.
    #[error(
        "文件“{name}”的类型（{detected}）不在允许范围内，已拒绝。\
         可上传：PDF、Word（DOCX）、TXT/Markdown、MP4/WebM 视频、VTT/SRT 字幕、JPEG/PNG/WebP 图片"
    )]
    NotAllowed {
        /// The name the uploader gave.
        name: String,
        /// What the file appears to be, in plain words.
        detected: String,
    },

    /// The file is bigger than allowed, overall or for its type.
    #[error("文件太大（{}不能超过 {}），已拒绝", kind.map(|k| spaced(k.label())).unwrap_or_default(), human_size(*limit))]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
        /// The type whose limit applied, when the type was known.
        kind: Option<FileKind>,
    },

    /// A file id that is not exactly 64 lowercase hex digits; never turned into a path.
    #[error("文件编号无效")]
    InvalidHash,

    /// The bytes are of the right type but unusable (empty file, broken subtitles).
    #[error("文件格式有误：{0}")]
    Malformed(String),
}

/// `StagedFile` reports its byte limit through `io::Write`, so the limit arrives wrapped
/// in an `io::Error`; unwrap it here so callers using `io::copy` still see `TooLarge`.
impl From<io::Error> for ContentError {
    fn from(err: io::Error) -> Self {
        if err
            .get_ref()
            .is_some_and(|inner| inner.is::<ContentError>())
        {
            if let Some(inner) = err.into_inner() {
                return match inner.downcast::<ContentError>() {
                    Ok(content) => *content,
                    Err(other) => ContentError::Io(io::Error::other(other)),
                };
            }
            return ContentError::Io(io::Error::other("unknown I/O error"));
        }
        ContentError::Io(err)
    }
}

/// "PDF " but "MP4 视频": a space only where Latin text meets Chinese.
fn spaced(label: &str) -> String {
    if label.ends_with(|c: char| c.is_ascii_alphanumeric()) {
        format!("{label} ")
    } else {
        label.to_owned()
    }
}

/// "50 MB", "4 GB", "512 KB": binary units written the way people read them.
pub(crate) fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = KIB * 1024;
    const GIB: u64 = MIB * 1024;
    match bytes {
        b if b >= GIB && b % GIB == 0 => format!("{} GB", b / GIB),
        b if b >= GIB => format!("{:.1} GB", b as f64 / GIB as f64),
        b if b >= MIB && b % MIB == 0 => format!("{} MB", b / MIB),
        b if b >= MIB => format!("{:.1} MB", b as f64 / MIB as f64),
        b if b >= KIB => format!("{} KB", b / KIB),
        b => format!("{b} 字节"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_large_survives_io_wrapping() {
        let wrapped = io::Error::other(ContentError::TooLarge {
            limit: 10,
            kind: None,
        });
        assert!(matches!(
            ContentError::from(wrapped),
            ContentError::TooLarge { limit: 10, .. }
        ));
        let plain = io::Error::new(io::ErrorKind::NotFound, "gone");
        assert!(matches!(ContentError::from(plain), ContentError::Io(_)));
    }

    #[test]
    fn messages_are_plain_chinese() {
        let err = ContentError::TypeMismatch {
            name: "x.pdf".into(),
            claimed: FileKind::Pdf,
            actual: "可执行程序".into(),
        };
        assert_eq!(
            err.to_string(),
            "文件“x.pdf”的内容不是 PDF（实际为可执行程序），已拒绝"
        );
        let err = ContentError::TooLarge {
            limit: 50 * 1024 * 1024,
            kind: Some(FileKind::Pdf),
        };
        assert_eq!(err.to_string(), "文件太大（PDF 不能超过 50 MB），已拒绝");
    }
}
