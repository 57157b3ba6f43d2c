//! A video's length, read from its header when it is stored: for MP4 the movie header
//! (`moov`/`mvhd`) through the `mp4` crate, which seeks past the media data, so a
//! film of gigabytes costs a few reads. Anything it cannot read (WebM, a damaged or
//! hostile file) has no duration rather than an error: the length is a nicety, the
//! file is accepted or refused on its type alone.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::Duration;

use super::kind::FileKind;

/// Longest length believed (a week): a header that says more is wrong.
const MAX_LENGTH: Duration = Duration::from_secs(7 * 24 * 3600);

/// The length of the video at `path` of type `kind`, when its header says it.
pub fn video_duration(path: &Path, kind: FileKind) -> Option<Duration> {
    match kind {
        FileKind::Mp4 => mp4_duration(path),
        _ => None,
    }
}

fn mp4_duration(path: &Path) -> Option<Duration> {
    let file = File::open(path).ok()?;
    let size = file.metadata().ok()?.len();
    let reader = BufReader::new(file);
    // The parser is not hardened against every malformed box (arithmetic on sizes it
    // read); a panic there means "no duration", not a failed upload.
    let header = std::panic::catch_unwind(move || mp4::Mp4Reader::read_header(reader, size))
        .ok()?
        .ok()?;
    let mvhd = &header.moov.mvhd;
    let movie = scaled(mvhd.duration, mvhd.timescale);
    // A fragmented file's movie header may say 0; its tracks then know better.
    let length = match movie {
        Some(length) if !length.is_zero() => length,
        _ => header
            .moov
            .traks
            .iter()
            .filter_map(|trak| scaled(trak.mdia.mdhd.duration, trak.mdia.mdhd.timescale))
            .max()?,
    };
    (!length.is_zero() && length <= MAX_LENGTH).then_some(length)
}

/// `units` of `1 / timescale` seconds, or `None` without a timescale.
fn scaled(units: u64, timescale: u32) -> Option<Duration> {
    if timescale == 0 {
        return None;
    }
    let millis = u128::from(units) * 1000 / u128::from(timescale);
    u64::try_from(millis).ok().map(Duration::from_millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("content/demo/files")
            .join(name)
    }

    #[test]
    fn reads_the_demo_videos_lengths() {
        // The lengths ffprobe reports for the files make-media.sh generates.
        for (name, millis) in [
            ("video-banquet.mp4", 51_534),
            ("video-mooncake.mp4", 52_000),
            ("video-safety-line.mp4", 46_534),
        ] {
            assert_eq!(
                video_duration(&demo(name), FileKind::Mp4),
                Some(Duration::from_millis(millis)),
                "{name}"
            );
        }
    }

    #[test]
    fn unreadable_or_other_files_have_no_length() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bytes = std::fs::read(demo("video-mooncake.mp4")).expect("demo video");
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("empty.mp4", Vec::new()),
            (
                "noise.mp4",
                (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect(),
            ),
            // Cut inside the movie header.
            ("cut.mp4", bytes[..200].to_vec()),
            // A box claiming to be larger than the file.
            ("liar.mp4", {
                let mut b = bytes[..64].to_vec();
                b[32..36].copy_from_slice(&u32::MAX.to_be_bytes());
                b
            }),
        ];
        for (name, content) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, content).expect("write");
            assert_eq!(video_duration(&path, FileKind::Mp4), None, "{name}");
        }
        assert_eq!(
            video_duration(&dir.path().join("missing.mp4"), FileKind::Mp4),
            None
        );
        // Only MP4 is read; a WebM or a document has no length here.
        assert_eq!(
            video_duration(&demo("video-mooncake.mp4"), FileKind::Webm),
            None
        );
        assert_eq!(
            video_duration(&demo("textbook-sanctions.pdf"), FileKind::Pdf),
            None
        );
    }

    #[test]
    fn a_zero_timescale_or_an_absurd_length_is_no_length() {
        assert_eq!(scaled(10, 0), None);
        assert_eq!(scaled(90_000, 90_000), Some(Duration::from_secs(1)));
        assert_eq!(
            scaled(u64::MAX, 1),
            None,
            "more milliseconds than a u64 holds"
        );
        assert!(scaled(8 * 24 * 3600, 1).is_some_and(|d| d > MAX_LENGTH));
        // A movie header saying a year: patched into the demo file's mvhd.
        let bytes = std::fs::read(demo("video-banquet.mp4")).expect("demo video");
        let mvhd = bytes
            .windows(4)
            .position(|w| w == b"mvhd")
            .expect("movie header");
        // Version 0: 4 type, 4 version/flags, 4 created, 4 modified, 4 timescale, 4 duration.
        let mut patched = bytes.clone();
        let at = mvhd + 4 + 4 + 4 + 4 + 4;
        patched[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        let timescale_at = mvhd + 4 + 4 + 4 + 4;
        patched[timescale_at..timescale_at + 4].copy_from_slice(&1u32.to_be_bytes());
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("long.mp4");
        std::fs::write(&path, patched).expect("write");
        assert_eq!(video_duration(&path, FileKind::Mp4), None);
    }
}
