//! The cache on a real folder: made once, served again, bounded, never partial.

use std::time::Duration;

use jiff::civil::date;

use super::*;
use crate::marks::pdf::tests::{mark, sample_pdf};

fn stamp(code: &str) -> Stamp {
    let mut mark = mark();
    mark.code = code.to_owned();
    Stamp::new(&mark, date(2026, 12, 1))
}

fn original(dir: &Path) -> PathBuf {
    let path = dir.join("original.pdf");
    fs::write(&path, sample_pdf()).expect("write");
    path
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("name"))
        .collect();
    names.sort();
    names
}

#[test]
fn a_copy_is_made_once_and_the_original_stays_as_it_was() {
    let dir = tempfile::tempdir().expect("dir");
    let source = original(dir.path());
    let before = fs::read(&source).expect("read");
    let cache = MarkedCopies::open(dir.path().join("marked"), 1 << 30).expect("cache");
    let first = cache
        .copy_of(&source, "ab12", &stamp("7KQ2M9XA"))
        .expect("copy");
    assert!(first.made);
    let modified = fs::metadata(&first.path)
        .and_then(|m| m.modified())
        .expect("mtime");
    let again = cache
        .copy_of(&source, "ab12", &stamp("7KQ2M9XA"))
        .expect("again");
    assert_eq!(
        (again.path.as_path(), again.made),
        (first.path.as_path(), false)
    );
    // Serving again keeps the copy's validators.
    assert_eq!(
        fs::metadata(&again.path)
            .and_then(|m| m.modified())
            .expect("mtime"),
        modified
    );
    assert_eq!(fs::read(&source).expect("read"), before);
    assert!(fs::read(&first.path).expect("copy").starts_with(&before));
    let other = cache
        .copy_of(&source, "ab12", &stamp("00000000"))
        .expect("other");
    assert_ne!(other.path, first.path);
}

#[test]
fn the_least_recently_used_copies_go_first() {
    let dir = tempfile::tempdir().expect("dir");
    let source = original(dir.path());
    let probe = MarkedCopies::open(dir.path().join("probe"), 1 << 30).expect("probe");
    let size = fs::metadata(
        probe
            .copy_of(&source, "s", &stamp("11111111"))
            .expect("copy")
            .path,
    )
    .expect("size")
    .len();
    // Room for two copies.
    let cache = MarkedCopies::open(dir.path().join("marked"), size * 2 + size / 2)
        .expect("cache")
        .with_in_use(Duration::ZERO);
    cache.copy_of(&source, "s", &stamp("AAAAAAAA")).expect("a");
    std::thread::sleep(Duration::from_millis(20));
    cache.copy_of(&source, "s", &stamp("BBBBBBBB")).expect("b");
    std::thread::sleep(Duration::from_millis(20));
    // A is used again: B is now the least recently used.
    cache
        .copy_of(&source, "s", &stamp("AAAAAAAA"))
        .expect("a again");
    std::thread::sleep(Duration::from_millis(20));
    cache.copy_of(&source, "s", &stamp("CCCCCCCC")).expect("c");
    let names = files_in(cache.dir());
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("AAAAAAAA")), "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("CCCCCCCC")), "{names:?}");
}

#[test]
fn a_file_that_cannot_be_stamped_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("dir");
    let broken = dir.path().join("broken.pdf");
    fs::write(&broken, b"%PDF-1.4\nnot really").expect("write");
    let cache = MarkedCopies::open(dir.path().join("marked"), 1 << 30).expect("cache");
    let refused = cache.copy_of(&broken, "x", &stamp("7KQ2M9XA"));
    assert!(
        matches!(refused, Err(StampError::Unreadable(_))),
        "{refused:?}"
    );
    assert!(
        files_in(cache.dir()).is_empty(),
        "{:?}",
        files_in(cache.dir())
    );
    let missing = cache.copy_of(&dir.path().join("gone.pdf"), "x", &stamp("7KQ2M9XA"));
    assert!(matches!(missing, Err(StampError::Io(_))), "{missing:?}");
}
