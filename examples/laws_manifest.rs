//! Writes an import manifest for the shared law corpus (`../shared/corpus/laws`, about
//! 1,600 Markdown files), so that `jingshi import` can be measured on real text:
//!
//! ```sh
//! cargo run --release --example laws_manifest -- target/laws
//! time target/release/jingshi --data target/laws-data import target/laws/manifest.json
//! ```

// Benchmarks and tools: a failed step ends the run with its message.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

fn main() -> anyhow::Result<()> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/laws".into()),
    );
    let corpus = PathBuf::from(
        std::env::var("JINGSHI_CORPUS").unwrap_or_else(|_| "../shared/corpus".into()),
    )
    .join("laws");
    std::fs::create_dir_all(&out)?;
    let out_abs = out.canonicalize()?;
    let corpus = corpus.canonicalize()?;
    let mut files = Vec::new();
    collect(&corpus, &mut files)?;
    files.sort();
    // The import takes only files inside the manifest's folder: link (or copy) each
    // law under `files/`, keeping the corpus's folders.
    let mut placed = Vec::with_capacity(files.len());
    for path in &files {
        let inside = out_abs
            .join("files")
            .join(path.strip_prefix(&corpus).unwrap_or(path));
        if let Some(parent) = inside.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if !inside.exists() && std::fs::hard_link(path, &inside).is_err() {
            std::fs::copy(path, &inside)?;
        }
        placed.push(inside);
    }
    let resources: Vec<serde_json::Value> = files
        .iter()
        .zip(&placed)
        .map(|(path, inside)| {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("未命名");
            let (title, date) = split_date(stem);
            let folder = path
                .parent()
                .and_then(|p| p.file_name())
                .and_then(|n| n.to_str())
                .unwrap_or("");
            let is_case = path.components().any(|c| c.as_os_str() == "案例");
            let id = format!(
                "law-{}",
                &hex::encode(Sha256::digest(path.to_string_lossy().as_bytes()))[..16]
            );
            let mut resource = serde_json::json!({
                "id": id,
                "kind": if is_case { "case" } else { "textbook" },
                "title": title,
                "tags": [folder],
                "source": "法律法规公开文本（语料）",
                "access": "open",
                "files": [relative(&out_abs, inside)],
            });
            if let Some(date) = date {
                resource["date"] = serde_json::json!(date);
            }
            resource
        })
        .collect();
    let manifest = out.join("manifest.json");
    std::fs::write(
        &manifest,
        serde_json::to_vec_pretty(&serde_json::json!({ "resources": resources }))?,
    )?;
    println!(
        "{} resources written to {}",
        resources.len(),
        manifest.display()
    );
    Ok(())
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "md")
            && path
                .file_name()
                .is_some_and(|n| n != "_index.md" && n != "README.md")
        {
            files.push(path);
        }
    }
    Ok(())
}

/// `刑法修正案（十二）(2023-12-29)` → (`刑法修正案（十二）`, `2023-12-29`).
fn split_date(stem: &str) -> (String, Option<String>) {
    if let Some(open) = stem.rfind('(')
        && stem.ends_with(')')
    {
        let inner = &stem[open + 1..stem.len() - 1];
        if inner.len() == 10 && inner.as_bytes()[4] == b'-' && inner.as_bytes()[7] == b'-' {
            return (stem[..open].trim().to_owned(), Some(inner.to_owned()));
        }
    }
    (stem.to_owned(), None)
}

/// `target` relative to the folder `from` (both absolute).
fn relative(from: &Path, target: &Path) -> String {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = target.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}
