//! Reading a film's burned-in subtitles: `ffprobe` gives its size and length, frames
//! sampled over the whole film show where the subtitle band is ([`plan_film`]); then
//! each 30-second stretch is sampled twice a second, only the band decoded, its text
//! strokes picked out of the picture and each distinct line read once by Tesseract
//! ([`read_stretch`]); consecutive samples reading the same line become one cue
//! ([`cues_from_lines`]).

mod band;
mod cues;
mod reading;
mod render;
mod strokes;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{OcrError, OcrSettings};
use crate::content::{Cue, run_bounded};
use strokes::Gray;

/// A film is read a stretch at a time: the unit of work of the queue.
pub const STRETCH_MS: u64 = 30_000;

/// Time between two sampled frames: a subtitle shown for a second is caught twice.
const SAMPLE_STEP_MS: u64 = 500;
/// Frames looked at to find the band, spread over the film.
const PLAN_FRAMES: u64 = 16;
/// Width frames are scaled to for finding the band, and the most a band is read at.
const PLAN_WIDTH: u32 = 640;
const READ_WIDTH: u32 = 1280;

/// What is known of a film before its frames are read: kept with the job, so a restart
/// goes on with the same band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilmPlan {
    pub duration_ms: u64,
    pub width: u32,
    pub height: u32,
    /// The subtitle band: rows `band_top .. band_top + band_height` of the frame.
    pub band_top: u32,
    pub band_height: u32,
    /// How tall a subtitle line's characters are, in rows of the frame; 0 when no text
    /// was seen while planning (then lines of any height are read).
    #[serde(default)]
    pub line_height: u32,
}

impl FilmPlan {
    /// How many stretches of [`STRETCH_MS`] the film has.
    pub fn stretches(&self) -> u32 {
        u32::try_from(self.duration_ms.div_ceil(STRETCH_MS)).unwrap_or(u32::MAX)
    }
}

/// The line read on one sampled frame (empty when the band holds no text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameLine {
    pub at_ms: u64,
    pub text: String,
}

/// Probes the film and finds its subtitle band: where text lines turn up in the lower
/// half of frames spread over the film, with room for a second line above; the bottom
/// fifth of the frame when no text is seen.
pub fn plan_film(path: &Path, settings: &OcrSettings) -> Result<FilmPlan, OcrError> {
    let deadline = Instant::now() + settings.unit_timeout;
    let (duration_ms, width, height) = probe(path, settings, deadline)?;
    let (sample_width, sample_height) = fit(width, height, PLAN_WIDTH);
    let mut frames = Vec::new();
    // Two samples half a second apart at each point, of which the steady part is kept.
    for i in 0..PLAN_FRAMES {
        let at_ms = duration_ms * (2 * i + 1) / (2 * PLAN_FRAMES);
        if let Some(frame) = still(
            path,
            at_ms,
            (sample_width, sample_height),
            settings,
            deadline,
        )? {
            frames.push(frame);
        }
    }
    let to_film = |rows: usize| rows as f64 * f64::from(height) / f64::from(sample_height);
    let (band_top, band_bottom, line_height) = match band::find_band(&frames) {
        Some(found) => {
            // Room for a second line above the lines seen, and for descending strokes.
            let above = to_film(found.top.saturating_sub(found.line_height * 2));
            let below = to_film(found.bottom + found.line_height / 2);
            let line_height = to_film(found.line_height).round() as u32;
            (
                above.floor() as u32,
                (below.ceil() as u32).min(height),
                line_height,
            )
        }
        None => (height - height / 5, height, 0),
    };
    // Even rows and sizes, which every pixel format crops at.
    let band_top = band_top & !1;
    Ok(FilmPlan {
        duration_ms,
        width,
        height,
        band_top,
        band_height: (band_bottom - band_top) & !1,
        line_height,
    })
}

/// Samples and reads stretch `stretch` (0-based) of the film: one line per sample,
/// `SAMPLE_STEP_MS` apart from the stretch's start, empty where no text shows.
pub fn read_stretch(
    path: &Path,
    plan: &FilmPlan,
    stretch: u32,
    settings: &OcrSettings,
) -> Result<Vec<FrameLine>, OcrError> {
    let deadline = Instant::now() + settings.unit_timeout;
    let start_ms = u64::from(stretch) * STRETCH_MS;
    if start_ms >= plan.duration_ms || plan.band_height < 2 || plan.width < 2 {
        return Ok(Vec::new());
    }
    let samples = (plan.duration_ms - start_ms)
        .min(STRETCH_MS)
        .div_ceil(SAMPLE_STEP_MS);
    // A sample before and after the stretch too: each sample is steadied by both its
    // neighbours, also at the stretch's ends.
    let lead = start_ms.min(SAMPLE_STEP_MS);
    let frames = band_frames(path, plan, start_ms - lead, samples + 2, settings, deadline)?;
    let first = usize::from(lead > 0);
    let (shown, distinct) = distinct_lines(plan, &frames, first..first + samples as usize);
    let images: Vec<&[Gray]> = distinct.iter().map(Vec::as_slice).collect();
    let texts = reading::read_lines(&images, settings, deadline)?;
    Ok(shown
        .into_iter()
        .enumerate()
        .map(|(k, seen)| FrameLine {
            at_ms: start_ms + k as u64 * SAMPLE_STEP_MS,
            text: seen.map(|index| texts[index].clone()).unwrap_or_default(),
        })
        .collect())
}

/// For each frame in `range` (those there are), the index of the lines it shows in
/// the list of distinct ones, `None` when it shows none; and that list, each entry
/// the line images to read. A frame showing the strokes of the last distinct lines
/// again is not read again.
fn distinct_lines(
    plan: &FilmPlan,
    frames: &[Gray],
    range: std::ops::Range<usize>,
) -> (Vec<Option<usize>>, Vec<Vec<Gray>>) {
    // A character is at most a seventh of the frame's height, at the scale read.
    let scale = frames
        .first()
        .map_or(1.0, |frame| frame.width as f64 / f64::from(plan.width));
    let max_glyph = ((f64::from(plan.height) / 7.0 * scale) as usize).max(8);
    // Lines of another size than the subtitles seen while planning are the picture's.
    let usual = f64::from(plan.line_height) * scale;
    let sized = |line: &strokes::TextLine| {
        let tall = line.height() as f64;
        plan.line_height == 0 || (tall >= usual * 0.6 && tall <= usual * 1.6)
    };
    let mut shown = Vec::with_capacity(range.len());
    let mut distinct: Vec<(Vec<usize>, Vec<Gray>)> = Vec::new();
    for k in range.take_while(|&k| k < frames.len()) {
        let before = k.checked_sub(1).and_then(|k| frames.get(k));
        let frame = &frames[k].steady(before, frames.get(k + 1));
        let mut lines =
            strokes::text_lines(frame, strokes::find_pieces(frame, max_glyph), max_glyph);
        lines.retain(sized);
        if lines.is_empty() {
            shown.push(None);
            continue;
        }
        let strokes = render::strokes_of(&lines);
        let same = distinct
            .last()
            .is_some_and(|(last, _)| render::same_strokes(last, &strokes));
        if !same {
            let images = lines.iter().map(|line| render::line_image(frame, line));
            distinct.push((strokes, images.collect()));
        }
        shown.push(Some(distinct.len() - 1));
    }
    (
        shown,
        distinct.into_iter().map(|(_, images)| images).collect(),
    )
}

/// Consecutive samples showing the same line become one cue, timed from the samples.
pub fn cues_from_lines(lines: &[FrameLine]) -> Vec<Cue> {
    cues::cues_from_lines(lines)
}

/// Length (ms), width and height of the film's first video stream, as shown (a film
/// marked as turned a quarter is decoded turned).
fn probe(
    path: &Path,
    settings: &OcrSettings,
    deadline: Instant,
) -> Result<(u64, u32, u32), OcrError> {
    let mut command = Command::new(&settings.ffprobe);
    command
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-select_streams",
            "v:0",
        ])
        .args([
            "-show_entries",
            "format=duration:stream=width,height,duration",
        ])
        .args(["-show_entries", "stream_side_data=rotation"])
        .arg(path_arg(path));
    let done = run_bounded(command, left(deadline, "ffprobe")?, 1 << 20)
        .map_err(|err| OcrError::of_run("ffprobe", err))?;
    let failed = |reason: &str| OcrError::Failed {
        program: "ffprobe",
        reason: reason.to_owned(),
    };
    if !done.status.success() {
        return Err(failed(done.stderr.trim()));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&done.stdout).map_err(|_| failed("输出无法解析"))?;
    let stream = &json["streams"][0];
    let size = |key: &str| {
        let pixels = stream[key].as_u64().and_then(|v| u32::try_from(v).ok());
        pixels.filter(|pixels| *pixels >= 16)
    };
    let (Some(width), Some(height)) = (size("width"), size("height")) else {
        return Err(failed("没有视频画面"));
    };
    let seconds = [&json["format"]["duration"], &stream["duration"]]
        .into_iter()
        .find_map(|value| value.as_str()?.parse::<f64>().ok())
        .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
        .ok_or_else(|| failed("无法得知影片时长"))?;
    let turned = stream["side_data_list"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|data| data["rotation"].as_i64())
        .any(|degrees| degrees.rem_euclid(180) == 90);
    let (width, height) = if turned {
        (height, width)
    } else {
        (width, height)
    };
    Ok(((seconds * 1000.0).round() as u64, width, height))
}

/// The frame at `at_ms` and the one half a second later, scaled to `size`, in grey, as
/// their [steady](Gray::steady) part; `None` when ffmpeg finds no frame there.
fn still(
    path: &Path,
    at_ms: u64,
    (width, height): (u32, u32),
    settings: &OcrSettings,
    deadline: Instant,
) -> Result<Option<Gray>, OcrError> {
    let mut command = Command::new(&settings.ffmpeg);
    command
        .args(["-nostdin", "-hide_banner", "-loglevel", "error"])
        .args(["-ss", &seconds(at_ms), "-i"])
        .arg(path_arg(path))
        .args(["-an", "-sn", "-frames:v", "2", "-vf"])
        .arg(format!("{},scale={width}:{height},format=gray", sampling()))
        .args(["-f", "rawvideo", "-"]);
    let bytes = (width as usize) * (height as usize);
    let done = run_bounded(command, left(deadline, "ffmpeg")?, 2 * bytes as u64)
        .map_err(|err| OcrError::of_run("ffmpeg", err))?;
    if !done.status.success() || done.stdout.len() < bytes {
        return Ok(None);
    }
    let mut frames = done.stdout.chunks_exact(bytes).map(|pixels| Gray {
        width: width as usize,
        height: height as usize,
        pixels: pixels.to_vec(),
    });
    let first = frames.next();
    let second = frames.next();
    Ok(first.map(|first| first.steady(second.as_ref(), None)))
}

/// The band of `samples` frames sampled from `start_ms` on (fewer at the film's end),
/// in grey, at most [`READ_WIDTH`] wide.
fn band_frames(
    path: &Path,
    plan: &FilmPlan,
    start_ms: u64,
    samples: u64,
    settings: &OcrSettings,
    deadline: Instant,
) -> Result<Vec<Gray>, OcrError> {
    let (width, height) = fit(plan.width, plan.band_height, READ_WIDTH.min(plan.width));
    let scale = if (width, height) == (plan.width, plan.band_height) {
        String::new()
    } else {
        format!(",scale={width}:{height}")
    };
    let filters = format!(
        "{},format=gray,crop=iw:{}:0:{}{scale}",
        sampling(),
        plan.band_height,
        plan.band_top
    );
    let mut command = Command::new(&settings.ffmpeg);
    command
        .args(["-nostdin", "-hide_banner", "-loglevel", "error"])
        .args([
            "-ss",
            &seconds(start_ms),
            "-t",
            &seconds(samples * SAMPLE_STEP_MS),
            "-i",
        ])
        .arg(path_arg(path))
        .args(["-an", "-sn", "-vf", &filters, "-f", "rawvideo", "-"]);
    let frame_bytes = (width as usize) * (height as usize);
    let limit = frame_bytes as u64 * (samples + 2);
    let done = run_bounded(command, left(deadline, "ffmpeg")?, limit)
        .map_err(|err| OcrError::of_run("ffmpeg", err))?;
    if !done.status.success() {
        return Err(OcrError::Failed {
            program: "ffmpeg",
            reason: done.stderr.trim().chars().take(300).collect(),
        });
    }
    Ok(done
        .stdout
        .chunks_exact(frame_bytes)
        .take(usize::try_from(samples).unwrap_or(usize::MAX))
        .map(|pixels| Gray {
            width: width as usize,
            height: height as usize,
            pixels: pixels.to_vec(),
        })
        .collect())
}

/// The filter sampling a frame every [`SAMPLE_STEP_MS`] from the seek point. `round=up`
/// gives each sample the last frame at or before its time, and `start_time=0` starts
/// counting at the seek point: sample k shows the picture at `start + k × step`, not a
/// quarter step later as with the default rounding.
fn sampling() -> String {
    format!("fps=1000/{SAMPLE_STEP_MS}:start_time=0:round=up")
}

/// Time left before `deadline`, or the program that would have run timed out.
fn left(deadline: Instant, program: &'static str) -> Result<Duration, OcrError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(OcrError::TimedOut(program))
    } else {
        Ok(left)
    }
}

/// `width × height` scaled to at most `max_width` wide, both even.
fn fit(width: u32, height: u32, max_width: u32) -> (u32, u32) {
    let out_width = width.min(max_width).max(2) & !1;
    let out_height = (u64::from(height) * u64::from(out_width) / u64::from(width.max(1))) as u32;
    (out_width, out_height.max(2) & !1)
}

/// Milliseconds as ffmpeg's seconds.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// A relative path starting with '-' would be read as an option.
fn path_arg(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        Path::new(".").join(path)
    }
}

#[cfg(test)]
mod tests;
