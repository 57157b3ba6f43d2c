//! PDF text. Poppler's `pdftotext` handles Chinese fonts (CMaps, CID fonts) far better
//! than any pure-Rust parser, so it is used when installed; `pdf-extract` is the
//! fallback. Both run in their own process under a time limit and are killed at it: a
//! thread cannot be stopped, so a parser stuck on a hostile file would keep a core busy
//! long after we gave up on it. `pdf-extract` runs in this very program, re-executed as
//! `jingshi pdf-text FILE` ([`pdf_text_helper`]), where its panics and even a stack
//! overflow end only the helper.

use std::panic;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::thread;
use std::time::Duration;

use super::bounded::{Finished, RunError, run_bounded};
use super::extract::{Extraction, MAX_TEXT_BYTES};
use super::text::{normalize_newlines, truncate_chars};

/// How long one PDF may take in one program before it is killed, by default.
const PDF_TIMEOUT: Duration = Duration::from_secs(60);

/// `pdf-extract` needs the whole file in memory; refuse to load more than this.
const MAX_PDF_BYTES: u64 = 256 * 1024 * 1024;

/// Deeply nested PDF objects make parsers recurse; give the parser room before the
/// helper dies of a stack overflow.
const PARSER_STACK: usize = 64 * 1024 * 1024;

/// The hidden subcommand of `jingshi` that runs [`pdf_text_helper`].
pub const PDF_HELPER_COMMAND: &str = "pdf-text";

const TIMED_OUT: &str = "PDF 文字提取超时，已停止";
const BROKEN: &str = "PDF 文件已损坏或格式异常，无法提取文字";

/// Which programs extract PDF text, and for how long.
#[derive(Debug, Clone)]
pub struct PdfSettings {
    /// Poppler's `pdftotext`, looked up on `PATH` by default.
    pub pdftotext: PathBuf,
    /// A `jingshi` binary to run `pdf-extract` in; `None` when none was found.
    pub helper: Option<PathBuf>,
    /// How long each program may take on one file.
    pub timeout: Duration,
}

impl PdfSettings {
    /// From the environment: `JINGSHI_PDF_HELPER` (a `jingshi` binary) and
    /// `JINGSHI_PDF_TIMEOUT_MS`; by default this program when it is `jingshi`, else a
    /// `jingshi` beside it or one folder up (test binaries run from
    /// `target/debug/deps/`), and 60 s.
    pub fn from_env() -> Self {
        let timeout = std::env::var("JINGSHI_PDF_TIMEOUT_MS")
            .ok()
            .and_then(|ms| ms.trim().parse::<u64>().ok())
            .filter(|&ms| ms > 0)
            .map_or(PDF_TIMEOUT, Duration::from_millis);
        let helper = std::env::var_os("JINGSHI_PDF_HELPER")
            .map(PathBuf::from)
            .or_else(find_helper);
        if helper.is_none() {
            tracing::warn!(
                "no jingshi binary found to run pdf-extract in; PDFs that pdftotext cannot read get no text"
            );
        }
        Self {
            pdftotext: PathBuf::from("pdftotext"),
            helper,
            timeout,
        }
    }
}

/// This program if it is `jingshi` (through `/proc/self/exe`, which still works after
/// an upgrade replaced the file), else a `jingshi` next to it or one folder up.
fn find_helper() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    if exe.file_name().is_some_and(|name| name == "jingshi") {
        let proc_exe = PathBuf::from("/proc/self/exe");
        return Some(if proc_exe.exists() { proc_exe } else { exe });
    }
    let dir = exe.parent()?;
    [Some(dir), dir.parent()]
        .into_iter()
        .flatten()
        .map(|d| d.join("jingshi"))
        .find(|candidate| candidate.is_file())
}

/// The settings of this process, read from the environment once.
fn settings() -> &'static PdfSettings {
    static SETTINGS: OnceLock<PdfSettings> = OnceLock::new();
    SETTINGS.get_or_init(PdfSettings::from_env)
}

pub(crate) fn extract_pdf(path: &Path) -> Extraction {
    extract_pdf_with(path, settings())
}

/// [`extract`](super::extract) of a PDF with the given programs and time limit.
/// Blocking for up to twice the timeout.
pub fn extract_pdf_with(path: &Path, settings: &PdfSettings) -> Extraction {
    let text = match run_pdftotext(path, settings) {
        Some(Ok(text)) => Ok(text),
        Some(Err(reason)) => {
            tracing::warn!(path = %path.display(), %reason, "pdftotext failed; trying pdf-extract");
            run_pdf_extract(path, settings)
        }
        None => run_pdf_extract(path, settings),
    };
    match text {
        Ok(text) if text.trim().is_empty() => Extraction::NoTextLayer,
        Ok(text) => {
            // pdftotext ends each page with a form feed.
            let text = normalize_newlines(&text).replace('\x0c', "\n");
            let mut text = join_wrapped_lines(&text);
            truncate_chars(&mut text, MAX_TEXT_BYTES);
            Extraction::Text(text)
        }
        Err(reason) => Extraction::Failed(reason),
    }
}

/// PDF text keeps the page's line wrapping, which splits Chinese words ("处分种类包\n括")
/// and so defeats phrase search. A single line break between two Chinese characters is
/// dropped unless the line ends a sentence; blank lines (paragraphs) stay.
fn join_wrapped_lines(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == '\n' && i > 0 && i + 1 < chars.len() {
            let (before, after) = (chars[i - 1], chars[i + 1]);
            let ends_sentence =
                matches!(before, '。' | '！' | '？' | '：' | '；' | '”' | '）' | '】');
            if is_cjk(before) && is_cjk(after) && !ends_sentence {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Han characters and CJK punctuation, the characters Chinese lines wrap between.
fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303f}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}' | '\u{2018}'..='\u{201d}')
}

/// A path as a program argument: a relative one starting with '-' would be an option.
fn path_arg(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        Path::new(".").join(path)
    }
}

/// `None` when `pdftotext` is not installed.
fn run_pdftotext(path: &Path, settings: &PdfSettings) -> Option<Result<String, String>> {
    let mut command = Command::new(&settings.pdftotext);
    command
        .args(["-enc", "UTF-8", "-q"])
        .arg(path_arg(path))
        .arg("-");
    Some(
        match run_bounded(command, settings.timeout, MAX_TEXT_BYTES as u64) {
            Err(RunError::NotFound) => return None,
            Err(RunError::TimedOut) => Err(TIMED_OUT.to_owned()),
            Err(RunError::Failed(why)) => Err(format!("pdftotext {why}")),
            Ok(done) if !done.status.success() => {
                Err(format!("pdftotext 无法读取此 PDF（{}）", done.status))
            }
            Ok(done) => Ok(String::from_utf8_lossy(&done.stdout).into_owned()),
        },
    )
}

/// Runs `pdf-extract` in the helper process, killed at the timeout.
fn run_pdf_extract(path: &Path, settings: &PdfSettings) -> Result<String, String> {
    let Some(helper) = &settings.helper else {
        return Err("找不到运行 PDF 解析的程序（jingshi），无法提取文字".to_owned());
    };
    let mut command = Command::new(helper);
    command
        .arg(PDF_HELPER_COMMAND)
        .arg("--")
        .arg(path_arg(path));
    match run_bounded(command, settings.timeout, MAX_TEXT_BYTES as u64) {
        Ok(done) if done.status.success() => Ok(String::from_utf8_lossy(&done.stdout).into_owned()),
        Ok(done) => Err(helper_reason(&done)),
        Err(RunError::TimedOut) => Err(TIMED_OUT.to_owned()),
        Err(RunError::NotFound) => {
            Err("找不到运行 PDF 解析的程序（jingshi），无法提取文字".to_owned())
        }
        Err(RunError::Failed(why)) => Err(format!("PDF 解析程序{why}")),
    }
}

/// Why the helper failed: its own last word, or (killed by a signal: a stack overflow,
/// an abort) that the file is broken.
fn helper_reason(done: &Finished) -> String {
    done.stderr
        .lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix("错误："))
        .map_or_else(|| BROKEN.to_owned(), str::to_owned)
}

/// The `jingshi pdf-text FILE` helper, run in its own process by [`extract_pdf`]:
/// `pdf-extract`'s text of FILE, or why there is none. `pdf-extract` panics on some odd
/// files; that is caught and told as a broken file.
pub fn pdf_text_helper(path: &Path) -> Result<String, String> {
    let len = std::fs::metadata(path)
        .map_err(|e| format!("无法读取文件（{e}）"))?
        .len();
    if len > MAX_PDF_BYTES {
        return Err("PDF 太大，无法提取文字".to_owned());
    }
    let bytes = std::fs::read(path).map_err(|e| format!("无法读取文件（{e}）"))?;
    let parser = thread::Builder::new()
        .name("pdf-extract".to_owned())
        .stack_size(PARSER_STACK)
        .spawn(move || panic::catch_unwind(|| pdf_extract::extract_text_from_mem(&bytes)))
        .map_err(|e| format!("无法启动 PDF 解析（{e}）"))?;
    match parser.join() {
        Ok(Ok(Ok(text))) => Ok(text),
        Ok(Ok(Err(e))) => Err(format!("无法读取此 PDF（{e}）")),
        Ok(Err(_)) | Err(_) => Err(BROKEN.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_chinese_lines_are_joined() {
        let text = "处分种类包\n括警告、严重警告。\n第二段\n\n第一节\nEnglish\nwords\n“引号”\n续";
        assert_eq!(
            join_wrapped_lines(text),
            "处分种类包括警告、严重警告。\n第二段\n\n第一节\nEnglish\nwords\n“引号”\n续"
        );
    }

    #[test]
    fn without_a_helper_the_fallback_fails_in_words() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.pdf");
        std::fs::write(&path, b"%PDF-1.4\n\x00garbage").expect("write");
        let settings = PdfSettings {
            pdftotext: PathBuf::from("/nonexistent/pdftotext"),
            helper: None,
            timeout: Duration::from_secs(5),
        };
        match extract_pdf_with(&path, &settings) {
            Extraction::Failed(reason) => assert!(reason.contains("jingshi"), "{reason}"),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn the_helper_reads_a_pdf_in_process_and_refuses_garbage() {
        let dir = tempfile::tempdir().expect("tempdir");
        let good = dir.path().join("good.pdf");
        std::fs::write(&good, crate::content::testutil::pdf_bytes("Helper works")).expect("write");
        let text = pdf_text_helper(&good).expect("text");
        assert!(text.contains("Helper works"), "{text:?}");
        let bad = dir.path().join("bad.pdf");
        std::fs::write(&bad, b"%PDF-1.4\n\x00garbage").expect("write");
        assert!(pdf_text_helper(&bad).is_err());
        assert!(pdf_text_helper(&dir.path().join("missing.pdf")).is_err());
    }
}
