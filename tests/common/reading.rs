//! Machine reading in tests: whether this machine can read (Tesseract with chi_sim,
//! Poppler, ffmpeg), pages and films made for the test, and the queue worked by hand.

use std::path::Path;
use std::process::Command;

use jingshi::ocr::Availability;
use jingshi::ocr::queue::work_until_idle;

use super::{TestApp, repo_root};

/// Whether OCR tests can run here. Without the programs they are skipped with a note,
/// unless `JINGSHI_REQUIRE_OCR` is set (CI): then a missing program fails the test.
pub fn ocr_ready(app: &TestApp) -> bool {
    let ready = app.state.ocr.availability() == Availability::Ready;
    if !ready {
        assert!(
            std::env::var_os("JINGSHI_REQUIRE_OCR").is_none(),
            "JINGSHI_REQUIRE_OCR is set but this machine cannot read: {}",
            app.state.ocr.availability().label()
        );
        eprintln!("skipped: {}", app.state.ocr.availability().label());
    }
    ready
}

/// Works the reading queue until nothing is left, then brings the index up to date;
/// answers the steps taken.
pub async fn read_all(app: &TestApp) -> usize {
    let state = app.state.clone();
    let steps = tokio::task::spawn_blocking(move || {
        let clock = state.clock.clone();
        work_until_idle(
            &state.db,
            &state.store,
            &state.ocr.settings,
            state.ocr.availability(),
            || clock.moment(),
        )
        .expect("queue works")
    })
    .await
    .expect("join");
    app.state.refresh_index().await.expect("index refreshed");
    steps
}

/// Runs a program that must succeed.
fn run(command: &mut Command) {
    let out = command.output().expect("program runs");
    assert!(
        out.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Page `page` of the demo's text PDF `name` as a grey PNG at 150 dpi (a page image
/// as a scanner gives it), and the page's own text layer to compare with.
pub fn page_image(dir: &Path, name: &str, page: u32) -> (Vec<u8>, String) {
    let pdf = repo_root().join("content/demo/files").join(name);
    let root = dir.join(format!("page-{page}"));
    let number = page.to_string();
    run(Command::new("pdftoppm")
        .args([
            "-f",
            &number,
            "-l",
            &number,
            "-r",
            "150",
            "-gray",
            "-png",
            "-singlefile",
        ])
        .arg(&pdf)
        .arg(&root));
    let text = Command::new("pdftotext")
        .args(["-f", &number, "-l", &number, "-enc", "UTF-8"])
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    let png = std::fs::read(root.with_extension("png")).expect("rendered page");
    (png, String::from_utf8_lossy(&text.stdout).into_owned())
}

/// A short film (H.264, 640×360, moving test picture) with `cues` burned into the
/// picture and no subtitle file: (text, start s, end s).
pub fn film_with_burned_subtitles(dir: &Path, cues: &[(&str, f64, f64)], seconds: u32) -> Vec<u8> {
    let font = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
    let mut filters = Vec::new();
    for (n, (text, start, end)) in cues.iter().enumerate() {
        let file = dir.join(format!("cue-{n}.txt"));
        std::fs::write(&file, text).expect("cue text");
        filters.push(format!(
            "drawtext=fontfile={font}:textfile={}:fontsize=30:fontcolor=white:borderw=2:bordercolor=black:x=(w-text_w)/2:y=h-60:enable='between(t,{start},{end})'",
            file.display()
        ));
    }
    let out = dir.join("film.mp4");
    run(Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg(format!("testsrc2=size=640x360:rate=25:duration={seconds}"))
        .args(["-vf", &filters.join(",")])
        .args([
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-preset",
            "veryfast",
            "-movflags",
            "+faststart",
        ])
        .arg(&out));
    std::fs::read(out).expect("film written")
}

/// Characters that differ between `read` and `truth` (whitespace ignored), as a share
/// of the truth: the character error rate, as the benchmarks measure it.
pub fn error_rate(read: &str, truth: &str) -> f64 {
    jingshi::ocr::page::char_error_rate(read, truth)
}
