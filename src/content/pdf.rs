//! PDF text. Poppler's `pdftotext` handles Chinese fonts (CMaps, CID fonts) far better
//! than any pure-Rust parser, so it is used when installed; `pdf-extract` is the
//! fallback. Both run under a time limit, and `pdf-extract`, which panics on some odd
//! files, runs behind `catch_unwind` on its own thread.

use std::io::{self, Read};
use std::panic;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::extract::{Extraction, MAX_TEXT_BYTES};
use super::text::{normalize_newlines, truncate_chars};

/// How long one PDF may take before we give up on it.
const PDF_TIMEOUT: Duration = Duration::from_secs(60);

/// `pdf-extract` needs the whole file in memory; refuse to load more than this.
const MAX_PDF_BYTES: u64 = 256 * 1024 * 1024;

/// Deeply nested PDF objects make parsers recurse; a stack overflow would abort the
/// whole process, which `catch_unwind` cannot stop, so give the parser room.
const PARSER_STACK: usize = 64 * 1024 * 1024;

pub(crate) fn extract_pdf(path: &Path) -> Extraction {
    let text = match run_pdftotext(path) {
        Some(Ok(text)) => Ok(text),
        Some(Err(reason)) => {
            tracing::warn!(path = %path.display(), %reason, "pdftotext failed; trying pdf-extract");
            run_pdf_extract(path)
        }
        None => run_pdf_extract(path),
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

/// `None` when `pdftotext` is not installed.
fn run_pdftotext(path: &Path) -> Option<Result<String, String>> {
    // A relative path starting with '-' would be read as an option.
    let arg = if path.is_absolute() {
        path.to_path_buf()
    } else {
        Path::new(".").join(path)
    };
    let mut child = match Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-q"])
        .arg(&arg)
        .arg("-")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        Err(e) => return Some(Err(format!("无法运行 pdftotext（{e}）"))),
    };
    let Some(stdout) = child.stdout.take() else {
        return Some(Err("pdftotext 没有输出".to_owned()));
    };
    let reader = thread::spawn(move || {
        let mut limited = stdout.take(MAX_TEXT_BYTES as u64);
        let mut out = Vec::new();
        let read = limited.read_to_end(&mut out);
        // Drain the rest, or pdftotext blocks on a full pipe and only the timeout ends it.
        let _ = io::copy(&mut limited.into_inner(), &mut io::sink());
        read.map(|_| out)
    });
    let deadline = Instant::now() + PDF_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            Ok(None) => break Err("PDF 文字提取超时".to_owned()),
            Err(e) => break Err(format!("等待 pdftotext 失败（{e}）")),
        }
    };
    if status.is_err() {
        // Killing closes the pipe, which also ends the reader thread.
        let _ = child.kill();
        let _ = child.wait();
    }
    let output = reader.join();
    let status = match status {
        Ok(status) => status,
        Err(reason) => return Some(Err(reason)),
    };
    if !status.success() {
        return Some(Err(format!("pdftotext 无法读取此 PDF（{status}）")));
    }
    Some(match output {
        Ok(Ok(bytes)) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Ok(Err(e)) => Err(format!("读取 pdftotext 输出失败（{e}）")),
        Err(_) => Err("读取 pdftotext 输出失败".to_owned()),
    })
}

/// Runs `pdf-extract` on its own thread. On timeout the thread is left to finish on its
/// own (threads cannot be killed); the caller gets `Err` and moves on.
fn run_pdf_extract(path: &Path) -> Result<String, String> {
    let len = std::fs::metadata(path)
        .map_err(|e| format!("无法读取文件（{e}）"))?
        .len();
    if len > MAX_PDF_BYTES {
        return Err("PDF 太大，无法提取文字".to_owned());
    }
    let bytes = std::fs::read(path).map_err(|e| format!("无法读取文件（{e}）"))?;
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name("pdf-extract".to_owned())
        .stack_size(PARSER_STACK)
        .spawn(move || {
            let result = panic::catch_unwind(|| pdf_extract::extract_text_from_mem(&bytes));
            let _ = tx.send(result);
        })
        .map_err(|e| format!("无法启动 PDF 解析（{e}）"))?;
    match rx.recv_timeout(PDF_TIMEOUT) {
        Ok(Ok(Ok(text))) => Ok(text),
        Ok(Ok(Err(e))) => Err(format!("无法读取此 PDF（{e}）")),
        Ok(Err(_)) => Err("PDF 文件已损坏或格式异常，无法提取文字".to_owned()),
        Err(mpsc::RecvTimeoutError::Timeout) => Err("PDF 文字提取超时".to_owned()),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err("PDF 解析意外中止".to_owned()),
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
}
