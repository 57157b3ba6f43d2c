//! Stamping speed (issue 23): a 300-page PDF of some 40 MB (a line of text and an
//! uncompressed image on every page) stamped with a reader's mark, directly through
//! `marks::cache` and over HTTP through `GET /api/v1/files/{id}` of an in-process
//! server, uncached (the copy is made for the request) and cached.
//!
//! ```sh
//! nice cargo build --release --bin jingshi --examples && target/release/examples/stamp_bench
//! ```
//!
//! Prints the time to the first byte of a stamped fetch and the whole file's
//! throughput; targets: first byte < 300 ms, at least 50 MB/s.

// Benchmarks and tools: a failed step ends the run with its message.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use jiff::civil::date;
use jingshi::config::{DataDir, Settings};
use jingshi::marks::Mark;
use jingshi::marks::cache::MarkedCopies;
use jingshi::marks::pdf::Stamp;
use lopdf::{Document, Object, Stream, dictionary};
use serde_json::json;

const PAGES: usize = 300;
const PASSWORD: &str = "stamp-bench-password-1";
const MB: f64 = 1_000_000.0;

/// `PAGES` pages of text and a 256×170 RGB image each (130 kB, uncompressed, varied).
fn big_pdf() -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
    "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" });
    let mut seed: u32 = 0x9e37_79b9;
    let mut kids = Vec::new();
    for n in 0..PAGES {
        let pixels: Vec<u8> = (0..256 * 170 * 3)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed as u8
            })
            .collect();
        let image = doc.add_object(Stream::new(
            dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => 256,
            "Height" => 170, "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8 },
            pixels,
        ));
        let text = format!(
            "BT /F1 14 Tf 72 760 Td (Page {n} of the warning bulletin) Tj ET q 400 0 0 265 97 400 cm /Im1 Do Q"
        );
        let content = doc.add_object(Stream::new(dictionary! {}, text.into_bytes()));
        kids.push(Object::from(
            doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content,
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font },
                                         "XObject" => dictionary! { "Im1" => image } } }),
        ));
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
        "Type" => "Pages", "Kids" => kids, "Count" => PAGES as i64,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()] }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

fn mark(code: &str) -> Mark {
    Mark {
        code: code.to_owned(),
        loan_id: None,
        unit_code: Some("yn-tax".to_owned()),
        user_id: 1,
        resource_id: "bench".to_owned(),
        created_at: "2026-12-01T00:00:00Z".to_owned(),
    }
}

/// The cache called directly: a copy made, then found.
fn direct(dir: &Path, pdf: &[u8]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let original = dir.join("original.pdf");
    std::fs::write(&original, pdf)?;
    let cache = MarkedCopies::open(dir.join("marked"), 1 << 34)?;
    let stamp = Stamp::new(&mark("7KQ2M9XA"), date(2026, 12, 1));
    let started = Instant::now();
    let made = cache.copy_of(&original, "bench", &stamp)?;
    let uncached = started.elapsed();
    ensure!(made.made, "the first copy is made");
    let started = Instant::now();
    let found = cache.copy_of(&original, "bench", &stamp)?;
    let cached = started.elapsed();
    ensure!(!found.made, "the second is found");
    let size = std::fs::metadata(&made.path)?.len() as f64;
    println!(
        "direct: copy made in {:.0} ms ({:.0} MB/s of stamped file), found again in {:.2} ms; update {} bytes",
        ms(uncached),
        size / MB / uncached.as_secs_f64(),
        ms(cached),
        size as usize - pdf.len()
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One fetch: time to the first body byte, whole time, bytes.
async fn fetch(client: &reqwest::Client, url: &str) -> anyhow::Result<(Duration, Duration, usize)> {
    let started = Instant::now();
    let mut resp = client.get(url).send().await?;
    ensure!(resp.status() == 200, "GET {url}: {}", resp.status());
    let mut first = None;
    let mut total = 0;
    while let Some(chunk) = resp.chunk().await? {
        first.get_or_insert_with(|| started.elapsed());
        total += chunk.len();
    }
    Ok((first.unwrap_or_default(), started.elapsed(), total))
}

/// An in-process server over `dir`; the admin (a librarian: their own mark) fetches.
async fn over_http(dir: &Path, pdf: Vec<u8>) -> anyhow::Result<(Duration, f64, Duration, f64)> {
    let settings = Settings {
        admin_password: Some(PASSWORD.to_owned()),
        demo: false,
        ocr_worker: false,
        ..Settings::new(DataDir::new(dir))
    };
    let state =
        tokio::task::spawn_blocking(move || jingshi::app::AppState::open(settings)).await??;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(jingshi::app::serve(listener, state, std::future::pending()));
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, base.parse()?);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .build()?;
    for _ in 0..400 {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let signed = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await?;
    ensure!(signed.status().is_success(), "sign-in: {}", signed.status());
    let created = client.post(format!("{base}/api/v1/resources"))
        .json(&json!({"id": "stamp-bench", "kind": "textbook", "title": "盖章基准", "status": "published"}))
        .send().await?;
    ensure!(created.status() == 201, "resource: {}", created.status());
    let part = reqwest::multipart::Part::bytes(pdf).file_name("bench.pdf");
    let uploaded: serde_json::Value = client
        .post(format!("{base}/api/v1/resources/stamp-bench/files"))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await?
        .json()
        .await?;
    let file = uploaded["id"].as_str().context("file id")?.to_owned();
    let url = format!("{base}/api/v1/files/{file}");
    let (first_uncached, whole_uncached, size) = fetch(&client, &url).await?;
    let mut best = (Duration::MAX, Duration::MAX);
    for _ in 0..5 {
        let (first, whole, _) = fetch(&client, &url).await?;
        best = (best.0.min(first), best.1.min(whole));
    }
    let rate = |whole: Duration| size as f64 / MB / whole.as_secs_f64();
    Ok((first_uncached, rate(whole_uncached), best.0, rate(best.1)))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    let pdf = big_pdf();
    println!(
        "stamp_bench: {PAGES} pages, {:.1} MB, generated in {:.1} s",
        pdf.len() as f64 / MB,
        started.elapsed().as_secs_f64()
    );
    direct(&dir.path().join("direct"), &pdf)?;
    let (first_uncached, rate_uncached, first_cached, rate_cached) =
        over_http(&dir.path().join("server"), pdf).await?;
    println!(
        "http: first byte uncached {:.0} ms, cached {:.1} ms (best of 5); whole file uncached {:.0} MB/s, cached {:.0} MB/s",
        ms(first_uncached),
        ms(first_cached),
        rate_uncached,
        rate_cached
    );
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!(
        "targets: first byte < 300 ms {} (uncached {:.0} ms); >= 50 MB/s {} (uncached {:.0} MB/s)",
        verdict(first_uncached < Duration::from_millis(300)),
        ms(first_uncached),
        verdict(rate_uncached >= 50.0),
        rate_uncached
    );
    Ok(())
}
