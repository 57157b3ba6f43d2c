//! The file store (hash-named, atomic writes, safe paths) and text extraction.
//!
//! Files enter through [`FileStore`]: staged in a temp file while hashed, their type
//! [sniffed](sniff) from the bytes and checked against the claimed name and the
//! allow-list of [`FileKind`]s, then renamed into place under their SHA-256. Text for
//! the search index comes from [`extract`], run once per attached file; PDFs are read by
//! programs in processes of their own that are killed at a time limit. Nothing here
//! knows about HTTP or SQL.

mod bounded;
mod error;
mod extract;
mod kind;
mod media;
mod pdf;
mod sniff;
mod staged;
mod store;
mod subtitle;
mod text;

#[cfg(test)]
mod testutil;

pub(crate) use bounded::{RunError, run_bounded};
pub use error::ContentError;
pub use extract::{Extraction, MAX_DOCX_XML, MAX_TEXT_BYTES, extract};
pub use kind::{ExtractionState, FileKind, FileRole, UnknownFileKind};
pub use media::video_duration;
pub use pdf::{PDF_HELPER_COMMAND, PdfSettings, extract_pdf_with, pdf_text_helper};
pub use sniff::{SNIFF_LEN, sniff, sniff_path};
pub use staged::StagedFile;
pub use store::{FileStore, StoredBlob};
pub use subtitle::{Cue, cues_to_vtt, format_cue_time, parse_cue_time, parse_srt, parse_vtt};
pub(crate) use text::decode_lossy;
