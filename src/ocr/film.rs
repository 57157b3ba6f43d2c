//! Reading a film's burned-in subtitles: frames sampled by `ffmpeg`, the subtitle band
//! found, each frame's band read by Tesseract, and consecutive identical lines made
//! into cues. (Interface; the helper building it replaces the bodies.)

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{OcrError, OcrSettings};
use crate::content::Cue;

/// A film is read a stretch at a time: the unit of work of the queue.
pub const STRETCH_MS: u64 = 30_000;

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

/// Probes the film and finds its subtitle band.
pub fn plan_film(_path: &Path, _settings: &OcrSettings) -> Result<FilmPlan, OcrError> {
    Err(OcrError::Missing("ffprobe"))
}

/// Samples and reads stretch `stretch` (0-based) of the film.
pub fn read_stretch(
    _path: &Path,
    _plan: &FilmPlan,
    _stretch: u32,
    _settings: &OcrSettings,
) -> Result<Vec<FrameLine>, OcrError> {
    Err(OcrError::Missing("ffmpeg"))
}

/// Consecutive samples showing the same line become one cue, timed from the samples.
pub fn cues_from_lines(_lines: &[FrameLine]) -> Vec<Cue> {
    Vec::new()
}
