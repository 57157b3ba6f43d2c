//! What Tesseract is given: one text line, its strokes dark on white and nothing else
//! of the picture, scaled so that the line is as tall as the model reads best; and
//! the test that two frames show the same strokes, so a subtitle held for seconds is
//! read once.

use super::strokes::{Gray, TextLine};

/// The height, in pixels, a text line is scaled to (measured on the benchmark: 32 to
/// 48 read about alike, 36 a little better).
const LINE_HEIGHT: f32 = 36.0;
/// The most a line is enlarged.
const MAX_ZOOM: f32 = 4.0;
/// Below this a stroke pixel is outline; above the second, fully stroke.
const INK_FROM: i32 = 60;
const INK_FULL: i32 = 200;
/// Frames whose stroke pixels overlap this much (shared over all) show the same text.
const SAME_TEXT: f32 = 0.6;

/// The line as Tesseract should see it: the strokes' pixels and their anti-aliased
/// rims in shades of grey on white, with a margin, enlarged when small.
pub(super) fn line_image(image: &Gray, line: &TextLine) -> Gray {
    let pad = line.height() / 2 + 2;
    let left = line.left.saturating_sub(pad);
    let top = line.top.saturating_sub(pad);
    let right = (line.right + pad).min(image.width);
    let bottom = (line.bottom + pad).min(image.height);
    let (width, height) = (right - left, bottom - top);
    let mut near = vec![false; width * height];
    for piece in &line.pieces {
        for &at in &piece.pixels {
            let (x, y) = (at % image.width - left, at / image.width - top);
            // The stroke and the pixel around it: its soft edge is part of its shape.
            for row in y.saturating_sub(1)..(y + 2).min(height) {
                for col in x.saturating_sub(1)..(x + 2).min(width) {
                    near[row * width + col] = true;
                }
            }
        }
    }
    let mut pixels = vec![u8::MAX; width * height];
    for row in 0..height {
        for col in 0..width {
            if near[row * width + col] {
                let value = i32::from(image.pixels[(top + row) * image.width + left + col]);
                let ink = ((value - INK_FROM) * 255 / (INK_FULL - INK_FROM)).clamp(0, 255);
                pixels[row * width + col] = u8::try_from(255 - ink).unwrap_or(0);
            }
        }
    }
    let crop = Gray {
        width,
        height,
        pixels,
    };
    let zoom = (LINE_HEIGHT / line.height().max(1) as f32).clamp(1.0, MAX_ZOOM);
    if zoom > 1.05 {
        enlarge(&crop, zoom)
    } else {
        crop
    }
}

/// Bilinear enlargement by `zoom`.
fn enlarge(image: &Gray, zoom: f32) -> Gray {
    let width = ((image.width as f32 * zoom) as usize).max(1);
    let height = ((image.height as f32 * zoom) as usize).max(1);
    let at = |x: usize, y: usize| f32::from(image.pixels[y * image.width + x]);
    let mut pixels = Vec::with_capacity(width * height);
    for row in 0..height {
        let fy = ((row as f32 + 0.5) / zoom - 0.5).clamp(0.0, (image.height - 1) as f32);
        let (y0, dy) = (fy as usize, fy.fract());
        let y1 = (y0 + 1).min(image.height - 1);
        for col in 0..width {
            let fx = ((col as f32 + 0.5) / zoom - 0.5).clamp(0.0, (image.width - 1) as f32);
            let (x0, dx) = (fx as usize, fx.fract());
            let x1 = (x0 + 1).min(image.width - 1);
            let upper = at(x0, y0) * (1.0 - dx) + at(x1, y0) * dx;
            let lower = at(x0, y1) * (1.0 - dx) + at(x1, y1) * dx;
            pixels.push((upper * (1.0 - dy) + lower * dy).round() as u8);
        }
    }
    Gray {
        width,
        height,
        pixels,
    }
}

/// The image as a binary PGM, which Tesseract (Leptonica) reads.
pub(super) fn pgm(image: &Gray) -> Vec<u8> {
    let mut out = format!("P5\n{} {}\n255\n", image.width, image.height).into_bytes();
    out.extend_from_slice(&image.pixels);
    out
}

/// The stroke pixels of a frame's lines, sorted: what two frames are compared by.
pub(super) fn strokes_of(lines: &[TextLine]) -> Vec<usize> {
    let mut all: Vec<usize> = lines
        .iter()
        .flat_map(|line| line.pieces.iter())
        .flat_map(|piece| piece.pixels.iter().copied())
        .collect();
    all.sort_unstable();
    all
}

/// Whether two frames' strokes (sorted) are the same text: compression noise and the
/// picture moving behind change a few pixels at the rims, a new line changes most.
pub(super) fn same_strokes(a: &[usize], b: &[usize]) -> bool {
    if a.is_empty() || b.is_empty() {
        return a.is_empty() && b.is_empty();
    }
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - shared;
    shared as f32 >= SAME_TEXT * union as f32
}
