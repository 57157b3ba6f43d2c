//! Reading scanned pages: a PDF page rendered by `pdftoppm`, or an uploaded page image,
//! read by Tesseract.
//!
//! Scans of official documents (红头文件) carry red ink: the issuer's name and a rule
//! at the top, and a round seal stamped over the last lines. Read in grey, the seal
//! turns into dark strokes that break the text under it, so the header and the seals
//! are seen through the red channel, where red ink is as light as paper and black ink
//! stays black; the red header is read on its own from a mask of the red ink and put
//! first ([`ink`]).

mod contrast;
mod denoise;
mod ink;
mod punctuation;
mod quality;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use image::{ImageReader, Limits, RgbImage};
use tempfile::TempDir;

use super::{LANGUAGE, OcrError, OcrSettings};
use crate::content::run_bounded;

pub use quality::char_error_rate;

/// The most text kept of one page's reading; a page holds a few thousand characters.
const MAX_PAGE_TEXT: u64 = 1024 * 1024;

/// A page is read as one block of text (`--psm 6`), not with Tesseract's automatic
/// layout analysis (`--psm 3`): scans of documents are one column, and the analysis
/// dropped whole lines and short items. On 36 generated 公文 pages, each read from a PDF
/// and a PNG (examples/ocr_pages_bench.rs), the mean character error rate fell from
/// 2.3% to 1.8% (worst page 17.5% to 11%) at the same speed.
const BODY_PSM: &str = "6";

/// A line of the header is read as one line: read as a block, large characters of a
/// header were broken up (中共示范市纪委监委 came out as 中引示；市乡).
const HEADER_PSM: &str = "7";

/// How many pages the PDF has (`pdfinfo`).
pub fn pdf_pages(path: &Path, settings: &OcrSettings) -> Result<u32, OcrError> {
    let mut command = Command::new(&settings.pdfinfo);
    command.arg(path_arg(path));
    let done = run_bounded(command, settings.unit_timeout, 1024 * 1024)
        .map_err(|err| OcrError::of_run("pdfinfo", err))?;
    if !done.status.success() {
        return Err(failed("pdfinfo", &done.stderr, "不是可读的 PDF"));
    }
    let info = String::from_utf8_lossy(&done.stdout);
    info.lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .and_then(|count| count.trim().parse::<u32>().ok())
        .ok_or_else(|| OcrError::Failed {
            program: "pdfinfo",
            reason: "未给出页数".to_owned(),
        })
}

/// Renders page `page` (1-based) at `settings.dpi` and reads it; the text is tidied
/// ([`super::tidy_text`]). Rendering and reading together take at most
/// `settings.unit_timeout`.
pub fn read_pdf_page(path: &Path, page: u32, settings: &OcrSettings) -> Result<String, OcrError> {
    let deadline = Instant::now() + settings.unit_timeout;
    let dir = TempDir::new()?;
    let root = dir.path().join("page");
    let mut command = Command::new(&settings.pdftoppm);
    let page_number = page.to_string();
    command
        .args(["-f", &page_number, "-l", &page_number])
        .args(["-r", &settings.dpi.to_string()])
        .arg("-singlefile")
        .arg(path_arg(path))
        .arg(&root);
    let done = run_bounded(command, time_left("pdftoppm", deadline)?, 64 * 1024)
        .map_err(|err| OcrError::of_run("pdftoppm", err))?;
    if !done.status.success() {
        return Err(failed("pdftoppm", &done.stderr, "无法渲染此页"));
    }
    let rendered = std::fs::read(root.with_extension("ppm"))?;
    let pixels = ink::parse_ppm(&rendered).ok_or_else(|| OcrError::Failed {
        program: "pdftoppm",
        reason: "渲染结果无法解析".to_owned(),
    })?;
    drop(rendered);
    read_pixels(&pixels, &dir, deadline, settings)
}

/// Reads a page image (JPEG, PNG or WebP); the text is tidied. Decoding and reading
/// together take at most `settings.unit_timeout`.
pub fn read_image(path: &Path, settings: &OcrSettings) -> Result<String, OcrError> {
    let deadline = Instant::now() + settings.unit_timeout;
    let not_an_image = |err: &dyn std::fmt::Display| OcrError::Failed {
        program: "图像解码",
        reason: format!("不是可读的 JPEG、PNG 或 WebP 图片：{err}"),
    };
    let mut reader = ImageReader::open(path)?
        .with_guessed_format()
        .map_err(|err| not_an_image(&err))?;
    reader.limits(image_limits());
    let pixels = reader
        .decode()
        .map_err(|err| not_an_image(&err))?
        .into_rgb8();
    let dir = TempDir::new()?;
    read_pixels(&pixels, &dir, deadline, settings)
}

/// A photographed page is a few thousand pixels a side; refuse a decompression bomb
/// before it takes the memory.
fn image_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(16_000);
    limits.max_image_height = Some(16_000);
    limits.max_alloc = Some(768 * 1024 * 1024);
    limits
}

/// Reads the red header (if any) and the body of a page, header first. The body is
/// smoothed when grainy and its contrast stretched; each step was kept because it
/// lowered the error rate on the benchmark's pages ([`denoise`], [`contrast`]).
fn read_pixels(
    pixels: &RgbImage,
    dir: &TempDir,
    deadline: Instant,
    settings: &OcrSettings,
) -> Result<String, OcrError> {
    let red = ink::RedInk::find(pixels);
    let mut header = String::new();
    let lines = red.header.map(|area| ink::red_lines(pixels, area));
    for line in lines.unwrap_or_default() {
        let file = dir.path().join("header.pgm");
        std::fs::write(&file, ink::pgm_bytes(&ink::red_mask(pixels, line)))?;
        header += &run_tesseract(&file, HEADER_PSM, deadline, settings)?;
        header.push('\n');
    }
    let mut body = ink::body_grey(pixels, &red);
    if denoise::is_grainy(&body) {
        body = denoise::median(&body);
    }
    let mut body = contrast::stretch(&body);
    denoise::remove_specks(&mut body);
    let file = dir.path().join("body.pgm");
    std::fs::write(&file, ink::pgm_bytes(&body))?;
    let body = run_tesseract(&file, BODY_PSM, deadline, settings)?;
    let text = format!("{header}\n\n{body}");
    let text = punctuation::full_width_punctuation(&punctuation::document_number_brackets(&text));
    Ok(super::tidy_text(&text))
}

/// Tesseract on one image, its text on standard output.
fn run_tesseract(
    image: &Path,
    psm: &str,
    deadline: Instant,
    settings: &OcrSettings,
) -> Result<String, OcrError> {
    let mut command = Command::new(&settings.tesseract);
    command
        .arg(image)
        .arg("stdout")
        .args(["-l", LANGUAGE, "--psm", psm])
        // OpenMP threads make a page slower, not faster, when cores are shared
        // (measured: 8.6 s with two threads, 4.4 s with one); the queue reads one
        // page at a time anyway.
        .env("OMP_THREAD_LIMIT", "1");
    let done = run_bounded(command, time_left("tesseract", deadline)?, MAX_PAGE_TEXT)
        .map_err(|err| OcrError::of_run("tesseract", err))?;
    if !done.status.success() {
        return Err(failed("tesseract", &done.stderr, "识别失败"));
    }
    Ok(String::from_utf8_lossy(&done.stdout).into_owned())
}

/// What is left of the unit's time; none left is a time-out of the program about to run.
fn time_left(program: &'static str, deadline: Instant) -> Result<Duration, OcrError> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|left| !left.is_zero())
        .ok_or(OcrError::TimedOut(program))
}

/// A program's failure, with the first line of what it said (or `fallback`).
fn failed(program: &'static str, stderr: &str, fallback: &str) -> OcrError {
    let said = stderr.lines().map(str::trim).find(|line| !line.is_empty());
    OcrError::Failed {
        program,
        reason: said.unwrap_or(fallback).chars().take(200).collect(),
    }
}

/// A path as a program argument: a relative one starting with '-' would be an option.
fn path_arg(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        Path::new(".").join(path)
    }
}

/// Whether tests that run Tesseract can run here. When it is missing they are skipped
/// with a note, unless `JINGSHI_REQUIRE_OCR=1` (CI with OCR installed), which fails them.
#[cfg(test)]
pub(crate) fn ocr_ready() -> bool {
    if OcrSettings::default().availability().reads_pages() {
        return true;
    }
    assert!(
        std::env::var("JINGSHI_REQUIRE_OCR").as_deref() != Ok("1"),
        "JINGSHI_REQUIRE_OCR=1 but tesseract with chi_sim or pdftoppm is missing"
    );
    eprintln!("skipped: tesseract with chi_sim or pdftoppm is not installed");
    false
}

#[cfg(test)]
mod tests;
