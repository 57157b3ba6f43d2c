//! Redacted copies of text, DOCX and subtitle files (being written: issue 18).

use super::Finding;

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

/// `text` with every finding masked.
pub fn redact_text(text: &str, _findings: &[Finding], _how: Redaction) -> String {
    text.to_owned()
}

/// A DOCX file with every finding of its text masked, scanning with `scan`.
pub fn redact_docx(
    bytes: &[u8],
    _scan: &dyn Fn(&str) -> Vec<Finding>,
    _how: Redaction,
) -> Result<Vec<u8>, RedactError> {
    Ok(bytes.to_vec())
}

/// A subtitle file (WebVTT or SRT) with every cue's findings masked; keeps its format.
pub fn redact_subtitle(
    bytes: &[u8],
    _scan: &dyn Fn(&str) -> Vec<Finding>,
    _how: Redaction,
) -> Result<Vec<u8>, RedactError> {
    Ok(bytes.to_vec())
}
