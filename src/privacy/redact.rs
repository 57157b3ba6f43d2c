//! Redacted copies (SPEC §9): text, Markdown, DOCX and subtitle files rewritten with
//! every finding masked ([`mask`]: names → 某某 or 王某某, numbers partly hidden), the
//! rest of the file kept as it was. Each file's own text is scanned here, with the
//! scanner the caller passes, so what is masked is what the file says now.

mod docx;
mod mask;
mod pieces;
mod subtitle;
#[cfg(test)]
mod testing;

pub use docx::redact_docx;
pub use mask::mask;
pub use pieces::redact_text;
pub use subtitle::redact_subtitle;

use super::Finding;
use crate::content::{MAX_TEXT_BYTES, decode_lossy};

/// How names are masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Redaction {
    /// 王建国 → 王某某 instead of 某某.
    pub keep_surname: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RedactError {
    #[error("无法读取该文件以生成脱敏副本：{0}")]
    Unreadable(String),
}

/// The scanner a redaction uses: every finding in a text (normally [`super::scan`]).
pub type Scan<'a> = &'a dyn Fn(&str) -> Vec<Finding>;

/// A plain text or Markdown file with every finding masked. It is read the way the
/// product reads text (UTF-8, else GB18030; a BOM decides) and written back as UTF-8,
/// with a BOM when it had one; line ends and everything unmasked stay as they were.
pub fn redact_plain(bytes: &[u8], scan: Scan<'_>, how: Redaction) -> Result<Vec<u8>, RedactError> {
    let decoded = decode(bytes)?;
    let findings = scan(&decoded.text);
    Ok(decoded.encode(&redact_text(&decoded.text, &findings, how)))
}

/// A text file's content as the product reads it.
struct Decoded {
    text: String,
    bom: bool,
}

impl Decoded {
    /// `text` as the bytes of a UTF-8 file, with a BOM when the original had one.
    fn encode(&self, text: &str) -> Vec<u8> {
        let bom = if self.bom { "\u{feff}" } else { "" };
        [bom.as_bytes(), text.as_bytes()].concat()
    }
}

/// Decodes a text file, refusing one larger than the product reads: what lies past the
/// extraction limit was never scanned, so it cannot be said to be redacted.
fn decode(bytes: &[u8]) -> Result<Decoded, RedactError> {
    if bytes.len() > MAX_TEXT_BYTES {
        return Err(RedactError::Unreadable(format!(
            "文件超过 {} MB，超出可检查的范围",
            MAX_TEXT_BYTES / (1024 * 1024)
        )));
    }
    let decoded = decode_lossy(bytes, true);
    Ok(Decoded {
        bom: encoding_rs::Encoding::for_bom(bytes).is_some(),
        text: decoded.text,
    })
}

#[cfg(test)]
mod tests {
    use super::testing::fixed_scan;
    use super::*;

    #[test]
    fn plain_text_in_gbk_comes_back_as_utf8() {
        let source = "关于王建国同志的通报\r\n联系电话：13812345678\r\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(source);
        let out =
            redact_plain(&gbk, &fixed_scan, Redaction { keep_surname: true }).expect("redacted");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "关于王某某同志的通报\r\n联系电话：138****5678\r\n"
        );
    }

    #[test]
    fn plain_text_keeps_its_bom_and_refuses_what_is_too_large() {
        let source = "\u{feff}# 通报\n\n欧阳明，邮箱 zhangsan@example.com。\n";
        let out =
            redact_plain(source.as_bytes(), &fixed_scan, Redaction::default()).expect("redacted");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "\u{feff}# 通报\n\n某某，邮箱 z***@example.com。\n"
        );
        let huge = vec![b'a'; MAX_TEXT_BYTES + 1];
        let refused = redact_plain(&huge, &fixed_scan, Redaction::default());
        assert!(
            matches!(&refused, Err(RedactError::Unreadable(reason)) if reason.contains("MB")),
            "{refused:?}"
        );
    }
}
