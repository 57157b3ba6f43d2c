//! Faded print. Tesseract reads grey strokes on grey paper (a light scan, a worn copy,
//! a page smoothed against grain) far worse than black on white: lines of short items
//! such as `（一）警告；` came out as nonsense. So the paper is flattened to white (each
//! pixel over the paper's level around it, which also evens out a photo's shading) and
//! the ink stretched to black. On the benchmark's 36 pages the mean error rate fell
//! from 1.8% to 1.4%, on the grainy ones from 2.8% to 2.3%.

use image::{GrayImage, Luma};

/// The paper's level is taken in tiles of this many pixels a side…
const TILE: u32 = 64;
/// …as this share of the tile's pixels being darker (text never covers a tenth of a
/// tile's paper, so this is paper).
const PAPER_RANK: f64 = 0.9;

/// Ink at this share of the paper's level or darker becomes black…
const INK: f32 = 0.5;
/// …and anything at this share or lighter, paper white.
const PAPER: f32 = 0.92;

/// The page with its paper flattened to white and its ink stretched to black.
pub(super) fn stretch(grey: &GrayImage) -> GrayImage {
    let paper = PaperLevel::of(grey);
    GrayImage::from_fn(grey.width(), grey.height(), |x, y| {
        let level = paper.at(x, y).max(1.0);
        let share = f32::from(grey.get_pixel(x, y).0[0]) / level;
        let stretched = (share - INK) / (PAPER - INK);
        Luma([(stretched.clamp(0.0, 1.0) * 255.0).round() as u8])
    })
}

/// The paper's level over the page: per tile, the lightest of it and its neighbours
/// (a tile filled by a large character takes its neighbours' paper), read between
/// tile centres.
struct PaperLevel {
    columns: u32,
    rows: u32,
    levels: Vec<f32>,
}

impl PaperLevel {
    fn of(grey: &GrayImage) -> Self {
        let columns = grey.width().div_ceil(TILE);
        let rows = grey.height().div_ceil(TILE);
        let mut histograms = vec![[0u32; 256]; (columns * rows) as usize];
        for (x, y, pixel) in grey.enumerate_pixels() {
            histograms[((y / TILE) * columns + x / TILE) as usize][usize::from(pixel.0[0])] += 1;
        }
        let ranked: Vec<f32> = histograms.iter().map(rank_level).collect();
        let levels = (0..rows)
            .flat_map(|row| (0..columns).map(move |column| (column, row)))
            .map(|(column, row)| {
                let near = |dc: i64, dr: i64| {
                    let c = i64::from(column) + dc;
                    let r = i64::from(row) + dr;
                    let inside = c >= 0 && r >= 0 && c < i64::from(columns) && r < i64::from(rows);
                    inside.then(|| ranked[(r as u32 * columns + c as u32) as usize])
                };
                (-1..=1)
                    .flat_map(|dr| (-1..=1).filter_map(move |dc| near(dc, dr)))
                    .fold(0.0, f32::max)
            })
            .collect();
        Self {
            columns,
            rows,
            levels,
        }
    }

    /// Bilinear between the centres of the tiles around `(x, y)`.
    fn at(&self, x: u32, y: u32) -> f32 {
        let fx = ((x as f32 + 0.5) / TILE as f32 - 0.5).clamp(0.0, (self.columns - 1) as f32);
        let fy = ((y as f32 + 0.5) / TILE as f32 - 0.5).clamp(0.0, (self.rows - 1) as f32);
        let (c0, r0) = (fx.floor() as u32, fy.floor() as u32);
        let (c1, r1) = ((c0 + 1).min(self.columns - 1), (r0 + 1).min(self.rows - 1));
        let (tx, ty) = (fx - c0 as f32, fy - r0 as f32);
        let level = |c: u32, r: u32| self.levels[(r * self.columns + c) as usize];
        let top = level(c0, r0) + (level(c1, r0) - level(c0, r0)) * tx;
        let bottom = level(c0, r1) + (level(c1, r1) - level(c0, r1)) * tx;
        top + (bottom - top) * ty
    }
}

/// The level below which [`PAPER_RANK`] of the tile's pixels lie.
fn rank_level(histogram: &[u32; 256]) -> f32 {
    let total: u32 = histogram.iter().sum();
    let wanted = (f64::from(total) * PAPER_RANK) as u32;
    let mut seen = 0;
    for (level, count) in histogram.iter().enumerate() {
        seen += count;
        if seen > wanted {
            return level as f32;
        }
    }
    255.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faded_ink_on_shaded_paper_becomes_black_on_white() {
        // Paper from 200 (left) to 180 (right), like a photo's shading; a faded stroke
        // at 45% of the paper.
        let mut page = GrayImage::from_fn(256, 256, |x, _| Luma([200 - (x * 20 / 255) as u8]));
        for y in 100..104 {
            for x in 20..236 {
                let paper = f32::from(page.get_pixel(x, y).0[0]);
                page.put_pixel(x, y, Luma([(paper * 0.45) as u8]));
            }
        }
        let clean = stretch(&page);
        assert_eq!(clean.get_pixel(10, 10).0[0], 255);
        assert_eq!(clean.get_pixel(250, 200).0[0], 255);
        assert_eq!(clean.get_pixel(30, 101).0[0], 0);
        assert_eq!(clean.get_pixel(230, 102).0[0], 0);
    }
}
