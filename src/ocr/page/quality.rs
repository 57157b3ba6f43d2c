//! How close a reading is to the text on the page, for tests and the benchmark
//! (`examples/ocr_pages_bench.rs`).

/// The character error rate: the edit distance (Levenshtein, in characters) between
/// what was read and the truth, both with all whitespace removed, over the truth's
/// length. 0 is perfect; it can pass 1 when the reading holds much that is not there.
pub fn char_error_rate(read: &str, truth: &str) -> f64 {
    let read: Vec<char> = read.chars().filter(|c| !c.is_whitespace()).collect();
    let truth: Vec<char> = truth.chars().filter(|c| !c.is_whitespace()).collect();
    if truth.is_empty() {
        return if read.is_empty() { 0.0 } else { 1.0 };
    }
    // One row of the distance table at a time.
    let mut row: Vec<usize> = (0..=truth.len()).collect();
    for (i, r) in read.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, t) in truth.iter().enumerate() {
            let substitution = diagonal + usize::from(r != t);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[truth.len()] as f64 / truth.len() as f64
}

#[cfg(test)]
mod tests {
    use super::char_error_rate;

    #[test]
    fn distance_counts_edits_over_the_truth_ignoring_whitespace() {
        assert_eq!(char_error_rate("中共 某省\n纪委", "中共某省纪委"), 0.0);
        // One substitution, one deletion in six characters.
        let rate = char_error_rate("中共其省委", "中共某省纪委");
        assert!((rate - 2.0 / 6.0).abs() < 1e-9, "{rate}");
        assert_eq!(char_error_rate("", ""), 0.0);
        assert_eq!(char_error_rate("abc", "   "), 1.0);
        assert_eq!(char_error_rate("", "纪委"), 1.0);
    }
}
