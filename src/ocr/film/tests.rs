//! A real film, made by ffmpeg with subtitles drawn into a moving test picture, read
//! back by the real programs.

use std::path::Path;
use std::process::Command;

use super::*;

const FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

/// Whether ffmpeg, Tesseract's Chinese model and the font are here; without them the
/// test says so and passes, unless `JINGSHI_REQUIRE_OCR=1`.
fn tools_ready() -> bool {
    let ready = OcrSettings::default().availability() == super::super::Availability::Ready
        && Path::new(FONT).exists();
    if !ready {
        let message = "ffmpeg, tesseract (chi_sim) or the Noto CJK font is missing";
        if std::env::var("JINGSHI_REQUIRE_OCR").as_deref() == Ok("1") {
            panic!("{message}, but JINGSHI_REQUIRE_OCR=1 requires them");
        }
        eprintln!("skipped: {message}");
    }
    ready
}

/// A six-second 640×360 film showing `cues` (seconds, text) low in the picture, white
/// with a dark outline.
fn make_film(dir: &Path, cues: &[(f64, f64, &str)]) -> std::path::PathBuf {
    let mut filters = Vec::new();
    for (n, (from, to, text)) in cues.iter().enumerate() {
        let file = dir.join(format!("cue{n}.txt"));
        std::fs::write(&file, text).expect("write cue text");
        filters.push(format!(
            "drawtext=fontfile={FONT}:textfile={}:fontsize=26:fontcolor=white:borderw=2:\
             bordercolor=black:x=(w-text_w)/2:y=h-62:enable='between(t,{from},{to})'",
            file.display()
        ));
    }
    if filters.is_empty() {
        filters.push("null".to_owned());
    }
    let film = dir.join("film.mp4");
    let made = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
        .args(["-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=6"])
        .args(["-vf", &filters.join(",")])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(&film)
        .status()
        .expect("run ffmpeg");
    assert!(made.success(), "ffmpeg made no film");
    film
}

#[test]
fn a_film_with_burned_in_subtitles_reads_into_its_cues() {
    if !tools_ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let truth = [
        (0.7, 2.4, "严守纪律规矩"),
        (2.4, 4.0, "拒收礼品礼金"),
        (4.6, 5.8, "廉洁从政"),
    ];
    let film = make_film(dir.path(), &truth);
    let settings = OcrSettings::default();
    let plan = plan_film(&film, &settings).expect("plan");
    assert_eq!(
        (plan.duration_ms, plan.width, plan.height, plan.stretches()),
        (6_000, 640, 360, 1)
    );
    // The text stands on rows 300–330 or so.
    assert!(
        plan.band_top <= 296 && plan.band_top + plan.band_height >= 332,
        "{plan:?}"
    );
    assert!(plan.band_top >= 180, "{plan:?}");

    let lines = read_stretch(&film, &plan, 0, &settings).expect("read");
    let times: Vec<u64> = lines.iter().map(|line| line.at_ms).collect();
    assert_eq!(times, (0..12).map(|k| k * 500).collect::<Vec<_>>());
    assert_eq!(lines[0].text, "");
    let cues = cues_from_lines(&lines);
    let texts: Vec<&str> = cues.iter().map(|cue| cue.text.as_str()).collect();
    assert_eq!(
        texts,
        ["严守纪律规矩", "拒收礼品礼金", "廉洁从政"],
        "{lines:?}"
    );
    for (cue, (from, _, _)) in cues.iter().zip(truth) {
        let error = (cue.start_ms as f64 - from * 1000.0).abs();
        assert!(error <= 500.0, "{cue:?} starts {error} ms off");
    }
    assert!(
        read_stretch(&film, &plan, 1, &settings)
            .expect("past the end")
            .is_empty()
    );
}

#[test]
fn a_film_without_text_gets_the_bottom_fifth_and_empty_lines() {
    if !tools_ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let film = make_film(dir.path(), &[]);
    let settings = OcrSettings::default();
    let plan = plan_film(&film, &settings).expect("plan");
    assert_eq!((plan.band_top, plan.band_height), (288, 72));
    let lines = read_stretch(&film, &plan, 0, &settings).expect("read");
    assert!(lines.iter().all(|line| line.text.is_empty()), "{lines:?}");
    assert!(cues_from_lines(&lines).is_empty());
}

#[test]
fn a_missing_program_is_told_as_missing() {
    let settings = OcrSettings {
        ffprobe: "/nonexistent/ffprobe".into(),
        ..OcrSettings::default()
    };
    assert_eq!(
        plan_film(Path::new("-film.mp4"), &settings),
        Err(OcrError::Missing("ffprobe"))
    );
}
