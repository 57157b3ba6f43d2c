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
fn a_film_without_text_reads_as_empty_lines() {
    if !tools_ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let film = make_film(dir.path(), &[]);
    let settings = OcrSettings::default();
    let plan = plan_film(&film, &settings).expect("plan");
    // Bright details of the test picture may pass for a line now and then; the band is
    // low in the frame all the same, and nothing in it reads as text.
    assert!(
        plan.band_top >= 180 && plan.band_top + plan.band_height <= 360,
        "{plan:?}"
    );
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

/// A `width × height` grey image of `background`, with white strokes (rectangles
/// `(left, top, width, height)`) each outlined two pixels wide in `outline`.
fn strokes_image(
    (width, height): (usize, usize),
    background: u8,
    outline: u8,
    rects: &[(usize, usize, usize, usize)],
) -> strokes::Gray {
    let mut pixels = vec![background; width * height];
    let mut paint = |(left, top, w, h): (usize, usize, usize, usize), value: u8| {
        for row in top..top + h {
            for col in left..left + w {
                pixels[row * width + col] = value;
            }
        }
    };
    for &(left, top, w, h) in rects {
        paint((left - 2, top - 2, w + 4, h + 4), outline);
    }
    for &rect in rects {
        paint(rect, 250);
    }
    strokes::Gray {
        width,
        height,
        pixels,
    }
}

/// Eight "characters" of two strokes each, 20 pixels tall, in a row.
fn a_line_of_characters() -> Vec<(usize, usize, usize, usize)> {
    (0..8)
        .flat_map(|n| [(10 + 26 * n, 10, 3, 20), (14 + 26 * n, 18, 14, 3)])
        .collect()
}

#[test]
fn outlined_strokes_make_a_line_and_the_picture_does_not() {
    let max_glyph = 30;
    let image = strokes_image((240, 40), 120, 10, &a_line_of_characters());
    let pieces = strokes::find_pieces(&image, max_glyph);
    assert_eq!(pieces.len(), 16);
    let lines = strokes::text_lines(&image, pieces, max_glyph);
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (lines[0].top, lines[0].bottom, lines[0].pieces.len()),
        (10, 30, 16)
    );

    // The same shapes on a light ground with no dark outline are the picture, and so
    // are a patch larger than a character and one running off the edge.
    let bare = strokes_image((240, 40), 190, 190, &a_line_of_characters());
    assert!(strokes::find_pieces(&bare, max_glyph).is_empty());
    let large = strokes_image((240, 40), 120, 10, &[(10, 4, 40, 20)]);
    assert!(strokes::find_pieces(&large, max_glyph).is_empty());
    let mut edge = strokes_image((240, 40), 120, 10, &[(2, 10, 10, 20)]);
    for row in 10..30 {
        edge.pixels[row * 240] = 250;
        edge.pixels[row * 240 + 1] = 250;
    }
    assert!(strokes::find_pieces(&edge, max_glyph).is_empty());
}

#[test]
fn a_line_drawn_once_is_rendered_dark_on_white_and_enlarged() {
    let image = strokes_image((240, 40), 120, 10, &a_line_of_characters());
    let lines = strokes::text_lines(&image, strokes::find_pieces(&image, 30), 30);
    let picture = render::line_image(&image, &lines[0]);
    assert!(picture.height >= 36 && picture.width > picture.height * 4);
    let dark = picture.pixels.iter().filter(|&&p| p < 100).count();
    let white = picture.pixels.iter().filter(|&&p| p == 255).count();
    assert!(
        dark > 0 && white > picture.pixels.len() / 2,
        "{dark} dark, {white} white"
    );
    assert!(render::pgm(&picture).starts_with(b"P5\n"));

    let strokes = render::strokes_of(&lines);
    assert!(render::same_strokes(&strokes, &strokes));
    assert!(!render::same_strokes(
        &strokes,
        &strokes[..strokes.len() / 3]
    ));
    assert!(render::same_strokes(&[], &[]) && !render::same_strokes(&strokes, &[]));
}

#[test]
fn what_moves_behind_the_text_is_dimmed_what_stays_is_kept() {
    let frame = |value: u8| strokes::Gray {
        width: 2,
        height: 1,
        pixels: vec![value, 250],
    };
    let (before, now, after) = (frame(20), frame(240), frame(30));
    assert_eq!(now.steady(Some(&before), Some(&after)).pixels, [30, 250]);
    assert_eq!(now.steady(None, Some(&now)).pixels, [240, 250]);
    assert_eq!(now.steady(None, None).pixels, now.pixels);
}

#[test]
fn the_band_is_where_lines_recur_low_in_the_frame() {
    let low: Vec<_> = a_line_of_characters()
        .into_iter()
        .map(|(left, top, w, h)| (left + 100, top + 290, w, h))
        .collect();
    let high: Vec<_> = a_line_of_characters()
        .into_iter()
        .map(|(left, top, w, h)| (left + 100, top + 40, w, h))
        .collect();
    let with_text = strokes_image((640, 360), 90, 10, &[low.clone(), high].concat());
    let without = strokes_image((640, 360), 90, 10, &[]);
    let frames = [
        with_text.clone(),
        without.clone(),
        with_text,
        without.clone(),
    ];
    let found = band::find_band(&frames).expect("a band");
    assert_eq!((found.top, found.bottom, found.line_height), (300, 320, 20));
    // Text seen once is not believed.
    let once = strokes_image((640, 360), 90, 10, &low);
    assert_eq!(band::find_band(&[once, without.clone(), without]), None);
}
