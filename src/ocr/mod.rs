//! Machine reading (OCR) of scans and of films' burned-in subtitles, with Tesseract's
//! Simplified Chinese model. Every program (`pdfinfo`, `pdftoppm`, `tesseract`,
//! `ffmpeg`, `ffprobe`) runs in a process of its own, killed at a time limit, the way
//! `pdftotext` does (`content::pdf`): a stuck page costs its time limit, never a core.
//!
//! What is here is pure work on one file: read a page, read a stretch of film. The
//! queue that makes it survive a restart, one unit at a time, is [`queue`].

pub mod film;
pub mod page;
pub mod queue;
mod tidy;
mod worker;

use std::path::PathBuf;
use std::time::Duration;

pub use tidy::tidy_text;
pub use worker::{OcrService, spawn as spawn_worker};

use crate::content::RunError;

/// The Tesseract language model used: Simplified Chinese (it reads Latin letters and
/// digits too).
pub const LANGUAGE: &str = "chi_sim";

/// Which programs read, and for how long each may take on one unit of work.
#[derive(Debug, Clone)]
pub struct OcrSettings {
    pub tesseract: PathBuf,
    pub pdftoppm: PathBuf,
    pub pdfinfo: PathBuf,
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    /// Rendering resolution of a PDF page.
    pub dpi: u32,
    /// The most one page (rendering plus reading) or one stretch of film may take.
    pub unit_timeout: Duration,
}

impl Default for OcrSettings {
    fn default() -> Self {
        Self {
            tesseract: PathBuf::from("tesseract"),
            pdftoppm: PathBuf::from("pdftoppm"),
            pdfinfo: PathBuf::from("pdfinfo"),
            ffmpeg: PathBuf::from("ffmpeg"),
            ffprobe: PathBuf::from("ffprobe"),
            dpi: 200,
            unit_timeout: Duration::from_secs(120),
        }
    }
}

/// Whether this machine can read scans and films.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Tesseract with `chi_sim`, Poppler and ffmpeg are all there.
    Ready,
    /// Scans can be read; films cannot (no ffmpeg).
    NoFilms,
    /// Tesseract or its Chinese model is missing: nothing is read.
    Unavailable,
}

impl Availability {
    pub fn reads_pages(self) -> bool {
        self != Availability::Unavailable
    }

    pub fn reads_films(self) -> bool {
        self == Availability::Ready
    }

    /// As a librarian reads it, with what to install when something is missing.
    pub fn label(self) -> &'static str {
        match self {
            Availability::Ready => "机器识别可用",
            Availability::NoFilms => "可识别扫描件；未安装 ffmpeg，影片字幕无法识别",
            Availability::Unavailable => {
                "机器识别（OCR）不可用：请安装 tesseract-ocr 与 tesseract-ocr-chi-sim"
            }
        }
    }
}

impl OcrSettings {
    /// Asks the programs themselves (`tesseract --list-langs`, `ffmpeg -version`).
    /// Blocking, a few hundred milliseconds.
    pub fn availability(&self) -> Availability {
        let mut langs = std::process::Command::new(&self.tesseract);
        langs.arg("--list-langs");
        let tesseract = match crate::content::run_bounded(langs, Duration::from_secs(10), 64 * 1024)
        {
            Ok(done) => {
                // Tesseract 4 printed the list on stderr, 5 on stdout.
                let listed = String::from_utf8_lossy(&done.stdout).into_owned() + &done.stderr;
                done.status.success() && listed.lines().any(|line| line.trim() == LANGUAGE)
            }
            Err(_) => false,
        };
        let runs = |program: &PathBuf, arg: &str| {
            let mut command = std::process::Command::new(program);
            command.arg(arg);
            crate::content::run_bounded(command, Duration::from_secs(10), 64 * 1024)
                .is_ok_and(|done| done.status.success())
        };
        if !tesseract || !runs(&self.pdftoppm, "-v") {
            Availability::Unavailable
        } else if runs(&self.ffmpeg, "-version") && runs(&self.ffprobe, "-version") {
            Availability::Ready
        } else {
            Availability::NoFilms
        }
    }
}

/// Why a unit of reading failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OcrError {
    /// A program is not installed.
    #[error("未安装 {0}，无法进行机器识别")]
    Missing(&'static str),
    /// A program ran past the time limit and was stopped.
    #[error("{0} 超时，已停止")]
    TimedOut(&'static str),
    /// A program failed on this file; the reason is for the librarian and the log.
    #[error("{program} 无法读取此文件（{reason}）")]
    Failed {
        program: &'static str,
        reason: String,
    },
    /// Reading or writing a temporary file failed.
    #[error("临时文件读写失败（{0}）")]
    Io(String),
}

impl OcrError {
    /// A failed run of `program`, in these terms.
    pub(crate) fn of_run(program: &'static str, err: RunError) -> Self {
        match err {
            RunError::NotFound => OcrError::Missing(program),
            RunError::TimedOut => OcrError::TimedOut(program),
            RunError::Failed(reason) => OcrError::Failed { program, reason },
        }
    }
}

impl From<std::io::Error> for OcrError {
    fn from(err: std::io::Error) -> Self {
        OcrError::Io(err.to_string())
    }
}
