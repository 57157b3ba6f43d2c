//! How well and how fast films' burned-in subtitles are read (issue 21).
//!
//! ```sh
//! nice cargo run --release --example ocr_film_bench
//! ```
//!
//! Makes four films with ffmpeg (60–90 s, 640×360 and 1280×720, H.264) whose subtitles
//! are drawn into a moving picture: a test pattern, drifting gradients crossed by
//! white and yellow boxes, a Mandelbrot zoom, a game of life. The lines are clauses of
//! real Chinese text from `../shared/corpus/ccdi/articles.jsonl`, white with a dark
//! outline in three typefaces, shown 1.5–5 s each, some back to back, some after a pause, a few on two
//! lines. Each film is planned, read stretch by stretch and made into cues as the queue
//! does; every true cue is matched to the read cue overlapping it most. Reported per
//! film and overall: cues true/read, character error rate (Levenshtein distance over
//! the matched texts without whitespace, a missed cue counting all its characters),
//! the share of cue starts within 0.5 s, mean and largest start error, and seconds of
//! reading per minute of film. `SHOW_LINES=1` prints every sample's reading; an
//! argument keeps only the films whose name contains it; `--film FILM SCRIPT.vtt`
//! scores one existing film against its script instead. Films are kept in `target/ocr-film-bench/` and made
//! again only when their script changes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use jingshi::content::Cue;
use jingshi::ocr::OcrSettings;
use jingshi::ocr::film::{self, FrameLine};

const CORPUS: &str = "../shared/corpus/ccdi/articles.jsonl";
const FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
const FONT_BOLD: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc";
/// Used when installed (fonts-wqy-microhei), else the regular Noto face.
const FONT_WQY: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
const OUT_DIR: &str = "target/ocr-film-bench";

/// One film to make: its picture, size, length and subtitle style.
struct Spec {
    name: &'static str,
    width: u32,
    height: u32,
    seconds: f64,
    /// An ffmpeg lavfi source graph for the moving picture, at the film's size.
    picture: &'static str,
    font: &'static str,
    font_size: u32,
    border: u32,
    /// Share of cues shown on two lines.
    two_lines: f64,
}

const FILMS: [Spec; 4] = [
    Spec {
        name: "testsrc2-360p",
        width: 640,
        height: 360,
        seconds: 75.0,
        picture: "testsrc2=s=640x360:r=25",
        font: FONT,
        font_size: 24,
        border: 2,
        two_lines: 0.0,
    },
    Spec {
        name: "gradients-boxes-720p",
        width: 1280,
        height: 720,
        seconds: 60.0,
        picture: "gradients=s=1280x720:r=25:speed=0.02:c0=0x2040a0:c1=0xe0c080:c2=0x103010:c3=0xf0f0f0,\
                  drawbox=x='mod(t*150,iw)':y=560:w=260:h=140:color=white:t=fill,\
                  drawbox=x='iw-mod(t*110,iw)':y=620:w=200:h=90:color=yellow:t=fill,\
                  drawbox=x='mod(t*70,iw)':y=480:w=120:h=240:color=0x808080:t=fill",
        font: FONT_BOLD,
        font_size: 44,
        border: 3,
        two_lines: 0.0,
    },
    Spec {
        name: "mandelbrot-360p",
        width: 640,
        height: 360,
        seconds: 90.0,
        picture: "mandelbrot=s=320x180:r=25,scale=640:360",
        font: FONT,
        font_size: 22,
        border: 2,
        two_lines: 0.15,
    },
    Spec {
        name: "life-720p",
        width: 1280,
        height: 720,
        seconds: 70.0,
        picture: "life=s=320x180:r=25:mold=10:ratio=0.2:life_color=0xc8c8c8:death_color=0x302040,\
                  scale=1280:720:flags=neighbor",
        font: FONT_WQY,
        font_size: 40,
        border: 2,
        two_lines: 0.15,
    },
];

/// A small deterministic generator (xorshift), so every run makes the same films.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in `[low, high)`.
    fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * (self.next() % 1_000_000) as f64 / 1_000_000.0
    }
}

/// Clauses of 6–16 characters from the corpus, as subtitle lines.
fn corpus_lines() -> Vec<String> {
    let text = std::fs::read_to_string(CORPUS).expect("read the corpus (see its README)");
    let mut lines = Vec::new();
    for record in text.lines() {
        let value: serde_json::Value = serde_json::from_str(record).expect("corpus line");
        let body = value["body"].as_str().unwrap_or_default();
        for clause in body.split(['。', '！', '？', '；', '，', '：', '\n']) {
            let clause = clause.trim().trim_matches(['、', ' ', '\u{a0}']);
            let length = clause.chars().count();
            let balanced = clause.matches('“').count() == clause.matches('”').count()
                && clause.matches('‘').count() == clause.matches('’').count()
                && clause.matches('（').count() == clause.matches('）').count();
            let plain = !clause.contains(['\u{a0}', '\t', '%', '\\']);
            if (6..=16).contains(&length) && balanced && plain {
                lines.push(clause.to_owned());
            }
        }
    }
    lines
}

/// The film's true cues: lines in order, timed with pauses and back-to-back changes.
fn script(spec: &Spec, lines: &[String], dice: &mut Dice) -> Vec<Cue> {
    let mut cues = Vec::new();
    let mut at = dice.between(0.3, 1.5);
    loop {
        let length = dice.between(1.5, 5.0);
        if at + length > spec.seconds - 0.3 {
            return cues;
        }
        let pick = |dice: &mut Dice| lines[(dice.next() % lines.len() as u64) as usize].clone();
        let mut text = pick(dice);
        if dice.between(0.0, 1.0) < spec.two_lines {
            text = format!("{text}\n{}", pick(dice));
        }
        cues.push(Cue {
            start_ms: (at * 1000.0).round() as u64,
            end_ms: ((at + length) * 1000.0).round() as u64,
            text,
        });
        // Two cues in five follow at once; the others after a pause.
        at += length;
        if dice.between(0.0, 1.0) >= 0.4 {
            at += dice.between(0.3, 2.5);
        }
    }
}

/// Makes the film unless the same script was made before with the same filters;
/// returns its path.
fn make_film(spec: &Spec, cues: &[Cue]) -> PathBuf {
    let dir = Path::new(OUT_DIR).join(spec.name);
    let film = dir.join("film.mp4");
    let made_file = dir.join("made.txt");
    let font = if Path::new(spec.font).exists() {
        spec.font
    } else {
        FONT
    };
    let mut filters = vec![spec.picture.to_owned()];
    for (n, cue) in cues.iter().enumerate() {
        let text_file = dir.join(format!("cue-{n}.txt"));
        // Bottom-anchored, as films do: a second line grows upwards.
        filters.push(format!(
            "drawtext=fontfile={}:textfile={}:expansion=none:fontsize={}:fontcolor=white:\
             borderw={}:bordercolor=0x101010:line_spacing={}:x=(w-text_w)/2:y=h-{}-text_h:\
             enable='between(t,{:.3},{:.3})'",
            font,
            text_file.display(),
            spec.font_size,
            spec.border,
            spec.font_size / 4,
            spec.height / 14,
            cue.start_ms as f64 / 1000.0,
            // drawtext's `between` includes its end; the cue ends just before it.
            cue.end_ms as f64 / 1000.0 - 0.001,
        ));
    }
    let graph = filters.join(",");
    let script_json = serde_json::to_string_pretty(cues).expect("script as JSON");
    let made = format!("{graph}\n{script_json}\n");
    if film.exists() && std::fs::read_to_string(&made_file).ok().as_deref() == Some(&made) {
        return film;
    }
    std::fs::create_dir_all(&dir).expect("make the film folder");
    for (n, cue) in cues.iter().enumerate() {
        std::fs::write(dir.join(format!("cue-{n}.txt")), &cue.text).expect("write a cue");
    }
    let started = Instant::now();
    let status = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
        ])
        .args(["-i", &format!("{graph},trim=duration={}", spec.seconds)])
        .args([
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
        ])
        .arg(&film)
        .status()
        .expect("run ffmpeg");
    assert!(status.success(), "ffmpeg could not make {}", spec.name);
    std::fs::write(&made_file, made).expect("note what was made");
    eprintln!(
        "made {} in {:.1} s",
        spec.name,
        started.elapsed().as_secs_f64()
    );
    film
}

/// Reads the film as the queue does; the cues and the seconds it took.
fn read_film(film: &Path, settings: &OcrSettings) -> (Vec<Cue>, f64) {
    let started = Instant::now();
    let plan = film::plan_film(film, settings).expect("plan the film");
    eprintln!("  plan {plan:?}");
    let mut lines: Vec<FrameLine> = Vec::new();
    for stretch in 0..plan.stretches() {
        lines.extend(film::read_stretch(film, &plan, stretch, settings).expect("read a stretch"));
    }
    let taken = started.elapsed().as_secs_f64();
    if std::env::var_os("SHOW_LINES").is_some() {
        for line in &lines {
            println!("    {:>7} ms {}", line.at_ms, line.text);
        }
    }
    (film::cues_from_lines(&lines), taken)
}

/// What one film scored.
#[derive(Default)]
struct Score {
    true_cues: usize,
    read_cues: usize,
    chars: usize,
    errors: usize,
    matched: usize,
    starts_close: usize,
    start_error_sum: f64,
    start_error_max: f64,
    minutes: f64,
    seconds_taken: f64,
}

impl Score {
    fn add(&mut self, other: &Score) {
        self.true_cues += other.true_cues;
        self.read_cues += other.read_cues;
        self.chars += other.chars;
        self.errors += other.errors;
        self.matched += other.matched;
        self.starts_close += other.starts_close;
        self.start_error_sum += other.start_error_sum;
        self.start_error_max = self.start_error_max.max(other.start_error_max);
        self.minutes += other.minutes;
        self.seconds_taken += other.seconds_taken;
    }

    fn row(&self, name: &str) -> String {
        format!(
            "| {name} | {}/{} | {:.2}% | {}/{} ({:.0}%) | {:.2} s | {:.2} s | {:.1} s |",
            self.true_cues,
            self.read_cues,
            100.0 * self.errors as f64 / self.chars.max(1) as f64,
            self.starts_close,
            self.true_cues,
            100.0 * self.starts_close as f64 / self.true_cues.max(1) as f64,
            self.start_error_sum / self.matched.max(1) as f64,
            self.start_error_max,
            self.seconds_taken / self.minutes.max(f64::EPSILON),
        )
    }
}

/// Scores read cues against the truth, printing each mistake.
fn score(truth: &[Cue], read: &[Cue]) -> Score {
    let mut score = Score {
        true_cues: truth.len(),
        read_cues: read.len(),
        ..Score::default()
    };
    for cue in truth {
        let expected = bare(&cue.text);
        score.chars += expected.chars().count();
        let overlap = |other: &Cue| {
            other
                .end_ms
                .min(cue.end_ms)
                .saturating_sub(other.start_ms.max(cue.start_ms))
        };
        let best = read
            .iter()
            .filter(|other| overlap(other) > 0)
            .max_by_key(|other| overlap(other));
        let Some(found) = best else {
            score.errors += expected.chars().count();
            println!("  missed  {:>7} ms {expected}", cue.start_ms);
            continue;
        };
        let got = bare(&found.text);
        let errors = levenshtein(&expected, &got);
        score.errors += errors;
        score.matched += 1;
        let off = (found.start_ms as f64 - cue.start_ms as f64).abs() / 1000.0;
        score.start_error_sum += off;
        score.start_error_max = score.start_error_max.max(off);
        score.starts_close += usize::from(off <= 0.5);
        if errors > 0 || off > 0.5 {
            println!(
                "  {:>7} ms {expected} → {:>7} ms {got} ({errors} errors)",
                cue.start_ms, found.start_ms
            );
        }
    }
    score
}

fn bare(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

fn main() {
    let settings = OcrSettings::default();
    assert_eq!(
        settings.availability(),
        jingshi::ocr::Availability::Ready,
        "needs ffmpeg, ffprobe and tesseract with chi_sim"
    );
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, film, script] = args.as_slice()
        && flag == "--film"
    {
        score_one(Path::new(film), Path::new(script), &settings);
        return;
    }
    let lines = corpus_lines();
    let only = args.first();
    let mut dice = Dice(0x5eed_f11e);
    let mut rows = Vec::new();
    let mut total = Score::default();
    for spec in &FILMS {
        let truth = script(spec, &lines, &mut dice);
        if only.is_some_and(|name| !spec.name.contains(name.as_str())) {
            continue;
        }
        let film = make_film(spec, &truth);
        println!(
            "{} ({}×{}, {} s, {} cues)",
            spec.name,
            spec.width,
            spec.height,
            spec.seconds,
            truth.len()
        );
        let (read, seconds_taken) = read_film(&film, &settings);
        let mut result = score(&truth, &read);
        result.minutes = spec.seconds / 60.0;
        result.seconds_taken = seconds_taken;
        total.add(&result);
        rows.push(result.row(spec.name));
    }
    print_table(&rows, &total);
}

/// Reads one film and scores it against its WebVTT script.
fn score_one(film: &Path, script: &Path, settings: &OcrSettings) {
    let text = std::fs::read_to_string(script).expect("read the script");
    let truth = jingshi::content::parse_vtt(&text).expect("a WebVTT script");
    let (read, seconds_taken) = read_film(film, settings);
    for cue in &read {
        println!(
            "  read {:>6} – {:>6} ms {}",
            cue.start_ms, cue.end_ms, cue.text
        );
    }
    let mut result = score(&truth, &read);
    result.minutes = truth.last().map_or(0.0, |cue| cue.end_ms as f64 / 60_000.0);
    result.seconds_taken = seconds_taken;
    let name = film.file_name().unwrap_or_default().to_string_lossy();
    print_table(&[result.row(&name)], &result);
}

fn print_table(rows: &[String], total: &Score) {
    println!();
    println!(
        "| film | cues true/read | CER | starts ≤ 0.5 s | mean start error | max start error | reading s per film minute |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for row in rows {
        println!("{row}");
    }
    println!("{}", total.row("all"));
}
