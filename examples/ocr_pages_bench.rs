//! How well and how fast scanned pages are read (`jingshi::ocr::page`), on pages drawn
//! here from real text: bulletins and laws from the shared corpus, set like official
//! documents at 200 dpi, in three variants: clean; noisy (a scan: grey paper, skew,
//! blur, noise, dust, JPEG) with a red header and a red seal over the last lines; and
//! clean with the red header and seal. Each variant is read through the real path (an
//! image-only PDF, `read_pdf_page`) and as PNG page images (`read_image`).
//!
//! ```sh
//! nice cargo run --release --example ocr_pages_bench [-- --pages 12 --only noisy --keep DIR]
//! ```
//!
//! Needs Tesseract with `chi_sim`, Poppler, fonts-noto-cjk, and `../shared/corpus`
//! (or `JINGSHI_CORPUS`).

mod scan_pages;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use jingshi::ocr::OcrSettings;
use jingshi::ocr::page::{char_error_rate, pdf_pages, read_image, read_pdf_page};
use scan_pages::document::{self, Document, Header, Seal, Signature};
use scan_pages::draw::Fonts;
use scan_pages::pack;
use scan_pages::rng::Rng;
use scan_pages::scan::{Scan, scan};

const DPI: f32 = 200.0;

/// The fictional issuers of the red-header variants.
const ISSUERS: [(&str, &str); 4] = [
    ("中共示例省纪委监委", "中共示例省纪律检查委员会"),
    ("中共示范市纪委监委", "中共示范市纪律检查委员会"),
    ("中共样板县纪委监委", "中共样板县纪律检查委员会"),
    ("示例省纪律检查委员会", "示例省纪律检查委员会"),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    Clean,
    Noisy,
    RedInk,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Clean => "clean",
            Variant::Noisy => "noisy",
            Variant::RedInk => "clean+red",
        }
    }
}

struct Options {
    pages: usize,
    only: Option<String>,
    keep: Option<PathBuf>,
}

fn options() -> Result<Options> {
    let mut options = Options {
        pages: 12,
        only: None,
        keep: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--pages" => options.pages = value()?.parse()?,
            "--only" => options.only = Some(value()?),
            "--keep" => options.keep = Some(PathBuf::from(value()?)),
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(options)
}

fn main() -> Result<()> {
    let options = options()?;
    let fonts = Fonts::load().map_err(anyhow::Error::msg)?;
    let texts = corpus_texts(options.pages)?;
    let settings = OcrSettings::default();
    let dir = tempfile::TempDir::new()?;
    let out = options
        .keep
        .clone()
        .unwrap_or_else(|| dir.path().to_path_buf());
    std::fs::create_dir_all(&out)?;
    let mut rows = Vec::new();
    for variant in [Variant::Clean, Variant::Noisy, Variant::RedInk] {
        if options
            .only
            .as_deref()
            .is_some_and(|only| only != variant.name())
        {
            continue;
        }
        let pages = draw_pages(&texts, variant, &fonts)?;
        rows.extend(read_variant(variant, &pages, &out, &settings)?);
    }
    println!("\n| variant | read as | pages | mean CER | worst CER | pages/min |");
    println!("| --- | --- | ---: | ---: | ---: | ---: |");
    for row in rows {
        println!("{row}");
    }
    Ok(())
}

/// One page's text: a title and paragraphs.
struct Text {
    title: String,
    paragraphs: Vec<String>,
}

/// Bulletins and commentary of the discipline commission and articles of laws, a page
/// each, alternating.
fn corpus_texts(count: usize) -> Result<Vec<Text>> {
    let corpus = std::env::var_os("JINGSHI_CORPUS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
        PathBuf::from,
    );
    let articles = std::fs::read_to_string(corpus.join("ccdi/articles.jsonl"))
        .context("the shared corpus (ccdi/articles.jsonl)")?;
    let mut bulletins = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for line in articles.lines() {
        let article: serde_json::Value = serde_json::from_str(line)?;
        let title = article["title"]
            .as_str()
            .unwrap_or_default()
            .trim()
            .to_owned();
        let body = article["body"].as_str().unwrap_or_default();
        if body.chars().count() < 1500 || title.is_empty() || !seen.insert(title.clone()) {
            continue;
        }
        // The first line is the byline.
        let paragraphs = body
            .lines()
            .skip(1)
            .map(str::trim)
            .filter(|p| !p.is_empty());
        bulletins.push(Text {
            title,
            paragraphs: paragraphs.map(str::to_owned).collect(),
        });
    }
    let laws = [
        "宪法相关法/公职人员政务处分法(2020-06-20).md",
        "宪法相关法/监察法(2018-03-20).md",
        "行政法规/行政机关公务员处分条例(2007-04-22).md",
        "宪法相关法/监察法(2024-12-25).md",
    ];
    let mut laws = laws
        .iter()
        .enumerate()
        .map(|(i, file)| law_text(&corpus.join("laws").join(file), 8 + 12 * i))
        .collect::<Result<Vec<_>>>()?
        .into_iter();
    let mut bulletins = bulletins.into_iter().step_by(5);
    let texts: Vec<Text> = (0..count)
        .filter_map(|i| {
            if i % 3 == 2 {
                laws.next()
            } else {
                bulletins.next()
            }
        })
        .collect();
    if texts.len() < count {
        bail!("the corpus gave {} pages of text, not {count}", texts.len());
    }
    Ok(texts)
}

/// A law's title and its paragraphs from the `skip`th on.
fn law_text(path: &Path, skip: usize) -> Result<Text> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    let title = text
        .lines()
        .find_map(|line| line.strip_prefix("# "))
        .unwrap_or("法律")
        .to_owned();
    let body = text.split("<!-- INFO END -->").nth(1).unwrap_or(&text);
    let paragraphs = body
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#') && !line.starts_with("<!--"))
        .skip(skip)
        .map(str::to_owned)
        .collect();
    Ok(Text { title, paragraphs })
}

/// A drawn page, ready to be read: PNG bytes, JPEG bytes (for the PDF), the truth.
struct Drawn {
    png: Vec<u8>,
    jpeg: (Vec<u8>, u32, u32),
    truth: String,
}

fn draw_pages(texts: &[Text], variant: Variant, fonts: &Fonts) -> Result<Vec<Drawn>> {
    let mut rng = Rng::new(21);
    let mut pages = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let red = variant != Variant::Clean;
        let (issuer, ring) = ISSUERS[i % ISSUERS.len()];
        let document = Document {
            header: red.then(|| Header {
                issuer: issuer.to_owned(),
                number: format!("示纪发〔2024〕{}号", 3 + i * 7),
            }),
            title: text.title.clone(),
            paragraphs: text.paragraphs.clone(),
            signature: red.then(|| Signature {
                issuer: issuer.to_owned(),
                date: format!("2024年{}月{}日", 1 + i % 12, 3 + i * 2),
                seal: Some(Seal {
                    ring: ring.to_owned(),
                    foot: String::new(),
                }),
            }),
            sans: i % 2 == 1,
        };
        let mut set = document::set(&document, fonts, DPI, Some(1), &mut rng);
        let page = set.pop().context("a page")?;
        let (image, quality) = match variant {
            Variant::Noisy => (scan(&page.image, &noisy_scan(&mut rng), &mut rng), 75),
            _ => (page.image, 90),
        };
        let (width, height) = image.dimensions();
        pages.push(Drawn {
            png: pack::png(&image).map_err(anyhow::Error::msg)?,
            jpeg: (
                pack::jpeg(&image, quality).map_err(anyhow::Error::msg)?,
                width,
                height,
            ),
            truth: page.truth,
        });
    }
    Ok(pages)
}

/// An office scanner on a bad day: skewed by ½–1½°, either way.
fn noisy_scan(rng: &mut Rng) -> Scan {
    let skew = rng.between(0.5, 1.5) * if rng.unit() < 0.5 { -1.0 } else { 1.0 };
    Scan {
        paper: image::Rgb([238, 234, 224]),
        skew_degrees: skew,
        blur: 1,
        noise: 12.0,
        specks: 1500,
    }
}

/// Reads the variant's pages as one PDF and as PNGs; a table row for each.
fn read_variant(
    variant: Variant,
    pages: &[Drawn],
    out: &Path,
    settings: &OcrSettings,
) -> Result<Vec<String>> {
    let jpegs: Vec<_> = pages.iter().map(|page| page.jpeg.clone()).collect();
    let pdf = out.join(format!("{}.pdf", variant.name()));
    std::fs::write(&pdf, pack::pdf(&jpegs, DPI).map_err(anyhow::Error::msg)?)?;
    let count = pdf_pages(&pdf, settings)?;
    if count as usize != pages.len() {
        bail!("pdfinfo counts {count} pages, not {}", pages.len());
    }
    let mut rows = Vec::new();
    for read_as in ["pdf", "png"] {
        let mut rates = Vec::new();
        let mut spent = Duration::ZERO;
        for (i, page) in pages.iter().enumerate() {
            let started = Instant::now();
            let read = if read_as == "pdf" {
                read_pdf_page(&pdf, i as u32 + 1, settings)?
            } else {
                let png = out.join(format!("{}-{:02}.png", variant.name(), i + 1));
                std::fs::write(&png, &page.png)?;
                std::fs::write(png.with_extension("txt"), &page.truth)?;
                read_image(&png, settings)?
            };
            spent += started.elapsed();
            let rate = char_error_rate(&read, &page.truth);
            eprintln!(
                "{} {read_as} page {:2}: CER {:.4}",
                variant.name(),
                i + 1,
                rate
            );
            if std::env::var_os("BENCH_SHOW").is_some() {
                eprintln!("--- truth\n{}\n--- read\n{read}\n", page.truth);
            }
            rates.push(rate);
        }
        let mean = rates.iter().sum::<f64>() / rates.len() as f64;
        let worst = rates.iter().copied().fold(0.0, f64::max);
        let per_minute = rates.len() as f64 * 60.0 / spent.as_secs_f64();
        rows.push(format!(
            "| {} | {read_as} | {} | {:.2}% | {:.2}% | {per_minute:.1} |",
            variant.name(),
            rates.len(),
            mean * 100.0,
            worst * 100.0
        ));
    }
    Ok(rows)
}
