//! From the line read on each sampled frame to cues. A subtitle held for three seconds
//! is six samples at two a second, and OCR may read them a character apart (the
//! picture behind changes), so samples are joined while they read nearly alike, and
//! the cue says what most of them read.

use super::FrameLine;
use crate::content::Cue;

/// Two readings at most this far apart (edits per character of the longer) are taken
/// for the same subtitle.
const SAME_LINE: f32 = 0.3;
/// A subtitle shows before the first sample that catches it and after the last one:
/// half the time between samples is the best guess for both.
const HALF_STEP_MS: u64 = 250;
/// Readings further apart than this are not of one showing. It bridges one empty
/// sample between two alike readings (a frame where the picture hid the text from the
/// reader) but not two, nor a stretch that failed to read.
const MAX_STEP_MS: u64 = 1_000;

/// Runs of samples reading (nearly) the same line become one cue; empty samples end a
/// cue, except a single one between two alike readings.
pub(super) fn cues_from_lines(lines: &[FrameLine]) -> Vec<Cue> {
    let mut sorted: Vec<&FrameLine> = lines.iter().collect();
    sorted.sort_by_key(|line| line.at_ms);
    let mut cues: Vec<Cue> = Vec::new();
    let mut run: Vec<&FrameLine> = Vec::new();
    for line in sorted {
        if line.text.trim().is_empty() {
            continue;
        }
        // Compared with the run's first and last readings: a misread sample matches
        // one of them, and the cost stays linear in a run of any length.
        let continues = run.first().zip(run.last()).is_some_and(|(first, last)| {
            line.at_ms - last.at_ms <= MAX_STEP_MS
                && (alike(&last.text, &line.text) || alike(&first.text, &line.text))
        });
        if !continues {
            close(&mut run, &mut cues);
        }
        run.push(line);
    }
    close(&mut run, &mut cues);
    cues
}

/// Ends the run: its cue, timed from its samples and not overlapping the cue before.
fn close(run: &mut Vec<&FrameLine>, cues: &mut Vec<Cue>) {
    let (Some(first), Some(last)) = (run.first(), run.last()) else {
        return;
    };
    let earliest = cues.last().map_or(0, |cue| cue.end_ms);
    cues.push(Cue {
        start_ms: first.at_ms.saturating_sub(HALF_STEP_MS).max(earliest),
        end_ms: last.at_ms + HALF_STEP_MS,
        text: reading(run),
    });
    run.clear();
}

/// The text of a run: the reading most samples gave; on a tie, the one closest to all
/// the others, then the earliest.
fn reading(run: &[&FrameLine]) -> String {
    let mut tally: Vec<(&str, usize)> = Vec::new();
    for line in run {
        let text = line.text.trim();
        match tally.iter_mut().find(|(seen, _)| *seen == text) {
            Some((_, count)) => *count += 1,
            None => tally.push((text, 1)),
        }
    }
    let most = tally.iter().map(|(_, count)| *count).max().unwrap_or(0);
    let spread = |text: &str| -> usize {
        tally
            .iter()
            .map(|(other, count)| distance(text, other) * count)
            .sum()
    };
    let mut best: Option<(&str, usize)> = None;
    for &(text, _) in tally.iter().filter(|(_, count)| *count == most) {
        let far = spread(text);
        if best.is_none_or(|(_, best_far)| far < best_far) {
            best = Some((text, far));
        }
    }
    best.map(|(text, _)| text.to_owned()).unwrap_or_default()
}

/// Whether two readings are of the same line.
fn alike(a: &str, b: &str) -> bool {
    let longer = a.chars().count().max(b.chars().count());
    longer == 0 || distance(a, b) as f32 <= SAME_LINE * longer as f32
}

/// Levenshtein distance in characters.
fn distance(a: &str, b: &str) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(from_ms: u64, texts: &[&str]) -> Vec<FrameLine> {
        texts
            .iter()
            .enumerate()
            .map(|(i, text)| FrameLine {
                at_ms: from_ms + 500 * i as u64,
                text: (*text).to_owned(),
            })
            .collect()
    }

    fn cue(start_ms: u64, end_ms: u64, text: &str) -> Cue {
        Cue {
            start_ms,
            end_ms,
            text: text.to_owned(),
        }
    }

    #[test]
    fn a_held_line_is_one_cue_timed_half_a_step_out() {
        let lines = samples(1_000, &["", "严守纪律", "严守纪律", "严守纪律", ""]);
        assert_eq!(cues_from_lines(&lines), vec![cue(1_250, 2_750, "严守纪律")]);
    }

    #[test]
    fn misreadings_join_the_run_and_the_majority_names_it() {
        let lines = samples(
            0,
            &[
                "违反八项规定精神",
                "违反八项规宝精神",
                "违反八项规定精神",
                "违及八项规定精神",
            ],
        );
        let cues = cues_from_lines(&lines);
        assert_eq!(cues, vec![cue(0, 1_750, "违反八项规定精神")]);
    }

    #[test]
    fn back_to_back_lines_meet_without_overlap() {
        let lines = samples(
            2_000,
            &[
                "第一句字幕内容",
                "第一句字幕内容",
                "完全不同的话",
                "完全不同的话",
            ],
        );
        assert_eq!(
            cues_from_lines(&lines),
            vec![
                cue(1_750, 2_750, "第一句字幕内容"),
                cue(2_750, 3_750, "完全不同的话")
            ]
        );
    }

    #[test]
    fn two_empty_samples_separate_even_the_same_line_one_does_not() {
        let lines = samples(
            0,
            &["同一句话", "", "", "同一句话", "", "同一句话", "", "别的话"],
        );
        assert_eq!(
            cues_from_lines(&lines),
            vec![
                cue(0, 250, "同一句话"),
                cue(1_250, 2_750, "同一句话"),
                cue(3_250, 3_750, "别的话")
            ]
        );
    }

    #[test]
    fn a_missing_stretch_separates_and_order_does_not_matter() {
        let mut lines = samples(29_000, &["跨段的话", "跨段的话"]);
        lines.extend(samples(61_000, &["跨段的话"]));
        lines.reverse();
        assert_eq!(
            cues_from_lines(&lines),
            vec![
                cue(28_750, 29_750, "跨段的话"),
                cue(60_750, 61_250, "跨段的话")
            ]
        );
    }

    #[test]
    fn nothing_read_is_no_cue_and_ties_go_to_the_central_reading() {
        assert!(cues_from_lines(&samples(0, &["", " ", ""])).is_empty());
        assert!(cues_from_lines(&[]).is_empty());
        let lines = samples(500, &["坚持廉洁自律好好", "坚持廉洁自律", "坚持廉洁自律女"]);
        assert_eq!(
            cues_from_lines(&lines),
            vec![cue(250, 1_750, "坚持廉洁自律")]
        );
    }

    #[test]
    fn edit_distance_counts_characters() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("受贿", ""), 2);
        assert_eq!(distance("受贿罪", "行贿罪"), 1);
        assert_eq!(distance("abc", "acb"), 2);
    }
}
