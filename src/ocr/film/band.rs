//! Where a film's subtitles are: the rows of the lower half where text lines turn up
//! across frames sampled over the whole film. Subtitles come and go but keep their
//! place and their size; a bright detail of the picture that passes for a line in one
//! frame is elsewhere, or of another size, in the next. So the heaviest line seen sets
//! the size, lines of about that size and weight vote for their rows, and the band is
//! the rows around the most voted one.

use super::strokes::{self, Gray};

/// The rows (of the frames given) that hold the subtitles, and how tall a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Band {
    pub top: usize,
    pub bottom: usize,
    pub line_height: usize,
}

/// A line must have been seen in this many frames for the band to be believed.
const MIN_FRAMES: usize = 2;

/// A line seen on a sampled frame: which frame, its rows, its weight and brightness.
struct Seen {
    frame: usize,
    top: usize,
    bottom: usize,
    mass: usize,
    peak: u8,
}

/// The subtitle band of `frames` (whole frames, all of one size, each already
/// [steadied](Gray::steady)), when text was seen.
pub(super) fn find_band(frames: &[Gray]) -> Option<Band> {
    let height = frames.first()?.height;
    let seen = lines_seen(frames);
    // Subtitles are the brightest text on screen; the heaviest such line sets the size.
    let brightest = seen.iter().map(|line| line.peak).max()?;
    let heaviest = seen
        .iter()
        .filter(|line| line.peak.saturating_add(strokes::DIMMER) >= brightest)
        .max_by_key(|line| line.mass)?;
    let (size, weight) = (heaviest.bottom - heaviest.top, heaviest.mass);
    let like: Vec<&Seen> = seen
        .iter()
        .filter(|line| {
            let tall = line.bottom - line.top;
            tall * 5 >= size * 3 && tall * 5 <= size * 7 && line.mass * 4 >= weight
        })
        .collect();
    let mut votes = vec![0usize; height];
    for line in &like {
        for vote in &mut votes[line.top..line.bottom] {
            *vote += line.mass;
        }
    }
    let peak_row = (0..height).max_by_key(|&row| votes[row])?;
    let floor = (votes[peak_row] / 5).max(1);
    // Grow from the peak over voted rows, and across the gap between the two lines of
    // a two-line subtitle.
    let gap = size / 2 + 1;
    let (mut top, mut bottom) = (peak_row, peak_row + 1);
    while let Some(row) = (top.saturating_sub(gap)..top).find(|&row| votes[row] >= floor) {
        top = row;
    }
    while let Some(row) = (bottom..(bottom + gap).min(height))
        .rev()
        .find(|&row| votes[row] >= floor)
    {
        bottom = row + 1;
    }
    let inside: Vec<&&Seen> = like
        .iter()
        .filter(|line| line.top < bottom && line.bottom > top)
        .collect();
    let mut frames_seen: Vec<usize> = inside.iter().map(|line| line.frame).collect();
    frames_seen.dedup();
    if frames_seen.len() < MIN_FRAMES {
        return None;
    }
    let mut heights: Vec<usize> = inside.iter().map(|line| line.bottom - line.top).collect();
    heights.sort_unstable();
    Some(Band {
        top: inside.iter().map(|line| line.top).min()?,
        bottom: inside.iter().map(|line| line.bottom).max()?,
        line_height: heights[heights.len() / 2],
    })
}

/// Every text line in the lower half of every frame, in frame rows.
fn lines_seen(frames: &[Gray]) -> Vec<Seen> {
    let mut seen = Vec::new();
    for (index, frame) in frames.iter().enumerate() {
        let (height, half) = (frame.height, frame.height / 2);
        // A subtitle character is at most about a seventh of the frame's height.
        let max_glyph = (height / 7).max(8);
        let lower = frame.rows(half, height);
        let pieces = strokes::find_pieces(&lower, max_glyph);
        for line in strokes::text_lines(&lower, pieces, max_glyph) {
            seen.push(Seen {
                frame: index,
                top: line.top + half,
                bottom: line.bottom + half,
                mass: line.mass(),
                peak: line.peak,
            });
        }
    }
    seen
}
