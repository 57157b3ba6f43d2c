//! What the catalogue hands to the index: one plain record per resource.

use serde::{Deserialize, Serialize};

/// One resource as the index sees it, built by the catalogue from SQLite.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchDoc {
    pub id: String,
    /// `video`, `case`, `confession`, `textbook` or `base`.
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub tags: Vec<String>,
    pub sectors: Vec<String>,
    pub violations: Vec<String>,
    pub region: String,
    pub year: Option<i32>,
    /// `YYYYMMDD` with missing parts as 0, for the "newest" sort.
    pub date_key: i64,
    /// `open` or `loan`.
    pub access: String,
    /// `draft`, `published` or `withdrawn`.
    pub status: String,
    /// Who may find it once published: `all`, `sector:<sector>`, `unit:<code>`
    /// (`catalog::Visibility::scope_terms`).
    pub scope: Vec<String>,
    /// Extracted full text of the resource's documents.
    pub body: String,
    /// Subtitle cues of the resource's videos.
    pub cues: Vec<CueDoc>,
    /// How often the resource was lent, for the most-borrowed sort.
    pub borrow_count: u64,
    /// A video's length in seconds, shown with a hit.
    pub duration: Option<u32>,
    /// Some of `body` or `cues` was read by machine (OCR) and not yet corrected: hits
    /// say "机器识别文本，可能有误".
    pub machine_read: bool,
}

/// One subtitle cue of a video file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CueDoc {
    pub file_id: String,
    pub start_ms: u64,
    pub text: String,
}
