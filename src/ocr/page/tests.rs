use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::*;

fn demo_pdf() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content/demo/files/textbook-sanctions.pdf")
}

/// Page `page` of the demo textbook as `pdftotext` reads its text layer.
fn text_layer(page: u32) -> String {
    let page = page.to_string();
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-f", &page, "-l", &page])
        .arg(demo_pdf())
        .arg("-")
        .output()
        .expect("pdftotext runs");
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn white_png(dir: &Path) -> PathBuf {
    let path = dir.join("white.png");
    RgbImage::from_pixel(40, 20, image::Rgb([255, 255, 255]))
        .save(&path)
        .expect("png written");
    path
}

#[test]
fn a_rendered_page_image_reads_like_its_text_layer() {
    if !ocr_ready() {
        return;
    }
    let dir = TempDir::new().unwrap();
    let root = dir.path().join("page");
    let rendered = Command::new("pdftoppm")
        .args(["-f", "1", "-l", "1", "-r", "200", "-png", "-singlefile"])
        .arg(demo_pdf())
        .arg(&root)
        .status()
        .expect("pdftoppm runs");
    assert!(rendered.success());
    let read = read_image(&root.with_extension("png"), &OcrSettings::default()).unwrap();
    let rate = char_error_rate(&read, &text_layer(1));
    assert!(
        rate <= 0.05,
        "character error rate {rate:.3}; read:\n{read}"
    );
    // Tidied: no spaces between Chinese characters.
    assert!(read.contains("党纪处分"), "{read}");
}

#[test]
fn a_pdf_page_is_counted_rendered_and_read() {
    if !ocr_ready() {
        return;
    }
    let settings = OcrSettings::default();
    assert_eq!(pdf_pages(&demo_pdf(), &settings), Ok(2));
    // Page 1: page 2 holds three lines under a heading, and Tesseract drops the
    // heading of so sparse a page in either layout mode.
    let read = read_pdf_page(&demo_pdf(), 1, &settings).unwrap();
    let rate = char_error_rate(&read, &text_layer(1));
    assert!(
        rate <= 0.05,
        "character error rate {rate:.3}; read:\n{read}"
    );
    let past_the_end = read_pdf_page(&demo_pdf(), 3, &settings);
    assert!(
        matches!(
            past_the_end,
            Err(OcrError::Failed {
                program: "pdftoppm",
                ..
            })
        ),
        "{past_the_end:?}"
    );
}

#[test]
fn missing_files_and_files_of_another_kind_are_failures_not_panics() {
    let dir = TempDir::new().unwrap();
    let settings = OcrSettings::default();
    let missing = dir.path().join("missing.png");
    assert!(matches!(
        read_image(&missing, &settings),
        Err(OcrError::Io(_))
    ));
    let text = dir.path().join("notes.png");
    std::fs::write(&text, "不是图片，只是文字").unwrap();
    let read = read_image(&text, &settings);
    assert!(
        matches!(
            read,
            Err(OcrError::Failed {
                program: "图像解码",
                ..
            })
        ),
        "{read:?}"
    );
    if !ocr_ready() {
        return;
    }
    let counted = pdf_pages(&missing.with_extension("pdf"), &settings);
    assert!(
        matches!(
            counted,
            Err(OcrError::Failed {
                program: "pdfinfo",
                ..
            })
        ),
        "{counted:?}"
    );
    let read = read_pdf_page(&text, 1, &settings);
    assert!(
        matches!(
            read,
            Err(OcrError::Failed {
                program: "pdftoppm",
                ..
            })
        ),
        "{read:?}"
    );
}

#[test]
fn a_missing_program_is_told_as_missing() {
    let dir = TempDir::new().unwrap();
    let nowhere = PathBuf::from("/nonexistent/ocr-program");
    let settings = OcrSettings {
        tesseract: nowhere.clone(),
        ..OcrSettings::default()
    };
    assert_eq!(
        read_image(&white_png(dir.path()), &settings),
        Err(OcrError::Missing("tesseract"))
    );
    let settings = OcrSettings {
        pdftoppm: nowhere.clone(),
        pdfinfo: nowhere,
        ..OcrSettings::default()
    };
    assert_eq!(
        read_pdf_page(&demo_pdf(), 1, &settings),
        Err(OcrError::Missing("pdftoppm"))
    );
    assert_eq!(
        pdf_pages(&demo_pdf(), &settings),
        Err(OcrError::Missing("pdfinfo"))
    );
}

#[test]
fn no_time_left_stops_before_the_next_program() {
    let dir = TempDir::new().unwrap();
    let settings = OcrSettings {
        unit_timeout: Duration::ZERO,
        ..OcrSettings::default()
    };
    assert_eq!(
        read_image(&white_png(dir.path()), &settings),
        Err(OcrError::TimedOut("tesseract"))
    );
    assert_eq!(
        read_pdf_page(&demo_pdf(), 1, &settings),
        Err(OcrError::TimedOut("pdftoppm"))
    );
}

#[test]
fn a_relative_path_never_reads_as_an_option() {
    assert_eq!(path_arg(Path::new("-f.pdf")), PathBuf::from("./-f.pdf"));
    assert_eq!(
        path_arg(Path::new("/tmp/a.pdf")),
        PathBuf::from("/tmp/a.pdf")
    );
}
