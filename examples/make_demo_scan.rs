//! Makes the demo catalogue's scanned bulletin: the source text
//! (`content/demo/sources/scan-*.md`) set as a red-header document with a seal, given a
//! scan's look (grey paper, slight skew, noise), and written as an image-only PDF, the
//! same on every run. With `--check` it then reads the PDF back with the library's
//! page reader and prints the character error rate and the key words found.
//!
//! ```sh
//! cargo run --example make_demo_scan -- content/demo/sources/scan-fuel-card-case.md \
//!     content/demo/files/scan-fuel-card-case.pdf [--check]
//! ```

mod scan_pages;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use jingshi::ocr::OcrSettings;
use jingshi::ocr::page::{char_error_rate, pdf_pages, read_pdf_page};
use scan_pages::document::{self, Document, Header, Seal, Signature};
use scan_pages::draw::Fonts;
use scan_pages::pack;
use scan_pages::rng::Rng;
use scan_pages::scan::{Scan, scan};

/// 150 dpi, light noise and a JPEG quality of 50 keep two pages under 300 KB.
const DPI: f32 = 150.0;
const JPEG_QUALITY: u8 = 50;

/// Words a librarian would search the bulletin by.
const KEY_WORDS: [&str; 7] = [
    "示例材料",
    "张某",
    "公务加油卡",
    "中央八项规定精神",
    "撤职政务处分",
    "示纪通〔2024〕6号",
    "中共示例省纪委监委",
];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|arg| arg == "--check");
    let paths: Vec<&String> = args.iter().filter(|arg| !arg.starts_with("--")).collect();
    let [source, out] = paths.as_slice() else {
        bail!("usage: make_demo_scan SOURCE.md OUT.pdf [--check]");
    };
    let text = std::fs::read_to_string(source).with_context(|| source.to_string())?;
    let document = parse(&text)?;
    let fonts = Fonts::load().map_err(anyhow::Error::msg)?;
    let mut rng = Rng::new(2024);
    let pages = document::set(&document, &fonts, DPI, None, &mut rng);
    let mut jpegs = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let rough = Scan {
            paper: image::Rgb([236, 233, 225]),
            skew_degrees: if i % 2 == 0 { 0.7 } else { -0.5 },
            blur: 1,
            noise: 2.5,
            specks: 80,
        };
        let image = scan(&page.image, &rough, &mut rng);
        let (width, height) = image.dimensions();
        let jpeg = pack::jpeg(&image, JPEG_QUALITY).map_err(anyhow::Error::msg)?;
        jpegs.push((jpeg, width, height));
    }
    let pdf = pack::pdf(&jpegs, DPI).map_err(anyhow::Error::msg)?;
    std::fs::write(out.as_str(), &pdf).with_context(|| out.to_string())?;
    println!("{out}: {} pages, {} bytes", pages.len(), pdf.len());
    if check {
        let truth: Vec<String> = pages.into_iter().map(|page| page.truth).collect();
        read_back(&PathBuf::from(out.as_str()), &truth)?;
    }
    Ok(())
}

/// The source: `键：值` lines (发文机关, 发文字号, 标题, 署名, 日期, 印章, 印章下方), a
/// line `---`, then the body, a paragraph a line. An HTML comment may come first.
fn parse(text: &str) -> Result<Document> {
    let text = match text.split_once("-->") {
        Some((comment, rest)) if comment.trim_start().starts_with("<!--") => rest,
        _ => text,
    };
    let (head, body) = text
        .split_once("\n---\n")
        .context("no line --- before the body")?;
    let field = |key: &str| -> Result<String> {
        head.lines()
            .find_map(|line| line.trim().strip_prefix(key)?.strip_prefix('：'))
            .map(|value| value.trim().to_owned())
            .with_context(|| format!("no {key}：line"))
    };
    Ok(Document {
        header: Some(Header {
            issuer: field("发文机关")?,
            number: field("发文字号")?,
        }),
        title: field("标题")?,
        paragraphs: body
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect(),
        signature: Some(Signature {
            issuer: field("署名")?,
            date: field("日期")?,
            seal: Some(Seal {
                ring: field("印章")?,
                foot: field("印章下方")?,
            }),
        }),
        sans: false,
    })
}

/// Reads the PDF as the library will and tells how close it came.
fn read_back(pdf: &Path, truth: &[String]) -> Result<()> {
    let settings = OcrSettings::default();
    let count = pdf_pages(pdf, &settings)?;
    let mut all = String::new();
    for (page, truth) in (1..=count).zip(truth) {
        let read = read_pdf_page(pdf, page, &settings)?;
        let rate = char_error_rate(&read, truth);
        println!("page {page}: character error rate {:.2}%", rate * 100.0);
        all.push_str(&read);
    }
    let missing: Vec<&str> = KEY_WORDS
        .iter()
        .copied()
        .filter(|word| !all.contains(word))
        .collect();
    let rate = char_error_rate(&all, &truth.concat());
    println!("whole document: character error rate {:.2}%", rate * 100.0);
    if missing.is_empty() {
        println!("all key words found: {}", KEY_WORDS.join("、"));
        Ok(())
    } else {
        bail!("key words not found by OCR: {}", missing.join("、"))
    }
}
