//! Grain and dust of a rough scan. Tesseract binarizes a page with one threshold; on
//! a grainy page the grain breaks thin strokes and speckles the paper around them,
//! and whole lines come out as nonsense. A 5 × 5 median takes the grain and the dust
//! out and keeps the strokes' edges (on the benchmark's grainy pages, the error rate of
//! one page fell from 24% to 5%; 3 × 3 twice left 7%, a Gaussian blur 14%); on a clean
//! page it would only thin fine strokes, so it is used when the page is grainy.

use image::{GrayImage, Luma};

/// The typical difference between neighbouring pixels from which a page counts as
/// grainy: a clean render or a good scan differs by 0–2 levels, the grain that spoils
/// Tesseract's reading by 5 or more.
const GRAINY: u8 = 4;

/// How far the median reaches on each side.
const RADIUS: u32 = 2;

/// Whether the page is grainy enough to be smoothed first.
pub(super) fn is_grainy(grey: &GrayImage) -> bool {
    grain(grey) >= GRAINY
}

/// The median difference between horizontal neighbours over every fourth row: on a
/// page that is mostly paper, the paper's grain.
fn grain(grey: &GrayImage) -> u8 {
    let mut histogram = [0u64; 256];
    for y in (0..grey.height()).step_by(4) {
        for x in 1..grey.width() {
            let left = grey.get_pixel(x - 1, y).0[0];
            let here = grey.get_pixel(x, y).0[0];
            histogram[usize::from(left.abs_diff(here))] += 1;
        }
    }
    let half = histogram.iter().sum::<u64>() / 2;
    let mut seen = 0;
    for (difference, count) in histogram.iter().enumerate() {
        seen += count;
        if seen > half {
            return u8::try_from(difference).unwrap_or(u8::MAX);
        }
    }
    0
}

/// The 5 × 5 median of each pixel (the edge repeated beyond the border). Each row
/// slides one histogram along (Huang's method), so a page takes a fraction of a second.
pub(super) fn median(grey: &GrayImage) -> GrayImage {
    let (width, height) = grey.dimensions();
    let side = 2 * RADIUS + 1;
    let half = (side * side / 2) as u16;
    let at = |x: i64, y: i64| {
        let x = x.clamp(0, i64::from(width) - 1) as u32;
        let y = y.clamp(0, i64::from(height) - 1) as u32;
        usize::from(grey.get_pixel(x, y).0[0])
    };
    let reach = i64::from(RADIUS);
    let mut out = GrayImage::new(width, height);
    for y in 0..height {
        let y = i64::from(y);
        let mut histogram = [0u16; 256];
        for dy in -reach..=reach {
            for dx in -reach..=reach {
                histogram[at(dx, y + dy)] += 1;
            }
        }
        // `below` counts the window's values under `level`; the median is the level
        // where it passes half the window.
        let (mut level, mut below) = (0usize, 0u16);
        for x in 0..i64::from(width) {
            if x > 0 {
                for dy in -reach..=reach {
                    let (gone, new) = (at(x - reach - 1, y + dy), at(x + reach, y + dy));
                    histogram[gone] -= 1;
                    histogram[new] += 1;
                    below = below + u16::from(new < level) - u16::from(gone < level);
                }
            }
            while below > half {
                level -= 1;
                below -= histogram[level];
            }
            while below + histogram[level] <= half {
                below += histogram[level];
                level += 1;
            }
            out.put_pixel(x as u32, y as u32, Luma([level as u8]));
        }
    }
    out
}

/// Dark specks of at most this many pixels are dust, if nothing else is inked near…
const SPECK_AREA: usize = 16;
/// …within this many pixels (a decimal point or a comma sits closer to its neighbours).
const SPECK_CLEARANCE: u32 = 5;

/// Whites out specks of dust: tiny dark spots with no other ink near them, which
/// Tesseract reads as stray punctuation, or worse, as part of the next character
/// (a speck before 示纪通 made it 承包通). Run on the stretched page, where ink is dark
/// and paper white.
pub(super) fn remove_specks(grey: &mut GrayImage) {
    let (width, height) = grey.dimensions();
    let dark = |grey: &GrayImage, x: u32, y: u32| grey.get_pixel(x, y).0[0] < 128;
    let mut seen = vec![false; (width * height) as usize];
    let mut specks = Vec::new();
    for start_y in 0..height {
        for start_x in 0..width {
            let start = (start_y * width + start_x) as usize;
            if seen[start] || !dark(grey, start_x, start_y) {
                continue;
            }
            seen[start] = true;
            let (mut stack, mut spot) = (vec![(start_x, start_y)], Vec::new());
            while let Some((x, y)) = stack.pop() {
                spot.push((x, y));
                for (nx, ny) in around(x, y, 1, width, height) {
                    let at = (ny * width + nx) as usize;
                    if !seen[at] && dark(grey, nx, ny) {
                        seen[at] = true;
                        stack.push((nx, ny));
                    }
                }
            }
            if spot.len() <= SPECK_AREA {
                specks.push(spot);
            }
        }
    }
    for spot in specks {
        let alone = spot.iter().all(|&(x, y)| {
            around(x, y, SPECK_CLEARANCE, width, height)
                .all(|(nx, ny)| !dark(grey, nx, ny) || spot.contains(&(nx, ny)))
        });
        if alone {
            for (x, y) in spot {
                grey.put_pixel(x, y, Luma([255]));
            }
        }
    }
}

/// The pixels within `reach` of `(x, y)` (a square), inside the page.
fn around(x: u32, y: u32, reach: u32, width: u32, height: u32) -> impl Iterator<Item = (u32, u32)> {
    let (x0, y0) = (x.saturating_sub(reach), y.saturating_sub(reach));
    let (x1, y1) = ((x + reach).min(width - 1), (y + reach).min(height - 1));
    (y0..=y1).flat_map(move |ny| (x0..=x1).map(move |nx| (nx, ny)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_removes_a_speck_and_keeps_a_stroke() {
        let mut page = GrayImage::from_pixel(40, 40, Luma([230]));
        page.put_pixel(5, 5, Luma([0]));
        for y in 0..40 {
            for x in 20..24 {
                page.put_pixel(x, y, Luma([20]));
            }
        }
        let smooth = median(&page);
        assert_eq!(smooth.get_pixel(5, 5).0[0], 230);
        assert_eq!(smooth.get_pixel(21, 10).0[0], 20);
        assert_eq!(smooth.get_pixel(0, 0).0[0], 230);
        assert_eq!(smooth.get_pixel(30, 39).0[0], 230);
    }

    #[test]
    fn lone_specks_go_ink_near_other_ink_stays() {
        let mut page = GrayImage::from_pixel(60, 40, Luma([255]));
        let mut ink = |x0: u32, y0: u32, x1: u32, y1: u32| {
            for y in y0..y1 {
                for x in x0..x1 {
                    page.put_pixel(x, y, Luma([0]));
                }
            }
        };
        ink(5, 5, 8, 8); // a lone speck
        ink(30, 10, 40, 30); // a stroke
        ink(42, 27, 45, 30); // a decimal point beside it
        remove_specks(&mut page);
        assert_eq!(page.get_pixel(6, 6).0[0], 255);
        assert_eq!(page.get_pixel(35, 20).0[0], 0);
        assert_eq!(page.get_pixel(43, 28).0[0], 0);
    }

    #[test]
    fn grain_is_told_from_a_clean_page() {
        let clean = GrayImage::from_pixel(64, 64, Luma([240]));
        assert!(!is_grainy(&clean));
        // A deterministic rough texture: neighbours differ by about 10 levels.
        let rough = GrayImage::from_fn(64, 64, |x, y| {
            Luma([220 + ((x * 7 + y * 13) % 5 * 5) as u8])
        });
        assert!(is_grainy(&rough));
    }
}
