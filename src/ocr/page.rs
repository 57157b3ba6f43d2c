//! Reading scanned pages: a PDF page rendered by `pdftoppm`, or an uploaded page image,
//! read by Tesseract. (Interface; the helper building it replaces the bodies.)

use std::path::Path;

use super::{OcrError, OcrSettings};

/// How many pages the PDF has (`pdfinfo`).
pub fn pdf_pages(_path: &Path, _settings: &OcrSettings) -> Result<u32, OcrError> {
    Err(OcrError::Missing("pdfinfo"))
}

/// Renders page `page` (1-based) at `settings.dpi` and reads it; the text is tidied
/// ([`super::tidy_text`]).
pub fn read_pdf_page(
    _path: &Path,
    _page: u32,
    _settings: &OcrSettings,
) -> Result<String, OcrError> {
    Err(OcrError::Missing("pdftoppm"))
}

/// Reads a page image (JPEG, PNG or WebP); the text is tidied.
pub fn read_image(_path: &Path, _settings: &OcrSettings) -> Result<String, OcrError> {
    Err(OcrError::Missing("tesseract"))
}
