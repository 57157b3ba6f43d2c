//! What a scanner does to a page: greyish paper, a slight skew, the optics' blur, the
//! sensor's noise and dust.

use image::{Rgb, RgbImage};

use super::rng::Rng;

/// How rough a scan is.
pub struct Scan {
    /// The paper's colour (the page is printed on white).
    pub paper: Rgb<u8>,
    /// Turned by this much, in degrees (positive: clockwise).
    pub skew_degrees: f32,
    /// Passes of a 3 × 3 binomial blur.
    pub blur: u32,
    /// Standard deviation of the grey noise, in levels of 255.
    pub noise: f32,
    /// Dark specks of dust, this many per page.
    pub specks: u32,
}

pub fn scan(page: &RgbImage, how: &Scan, rng: &mut Rng) -> RgbImage {
    let mut out = tint(page, how.paper);
    if how.skew_degrees != 0.0 {
        out = rotate(&out, how.skew_degrees.to_radians(), how.paper);
    }
    for _ in 0..how.blur {
        out = blur(&out);
    }
    speckle(&mut out, how.specks, rng);
    if how.noise > 0.0 {
        for pixel in out.pixels_mut() {
            let grey = rng.gaussian() * how.noise;
            for channel in &mut pixel.0 {
                let tint = rng.gaussian() * how.noise * 0.25;
                *channel = (f32::from(*channel) + grey + tint).clamp(0.0, 255.0) as u8;
            }
        }
    }
    out
}

fn tint(page: &RgbImage, paper: Rgb<u8>) -> RgbImage {
    let mut out = page.clone();
    for pixel in out.pixels_mut() {
        for (channel, paper) in pixel.0.iter_mut().zip(paper.0) {
            *channel = (u16::from(*channel) * u16::from(paper) / 255) as u8;
        }
    }
    out
}

/// Turned about the centre, sampled bilinearly; paper shows where the page moved away.
fn rotate(page: &RgbImage, angle: f32, paper: Rgb<u8>) -> RgbImage {
    let (width, height) = page.dimensions();
    let (cx, cy) = (width as f32 / 2.0, height as f32 / 2.0);
    let (sin, cos) = angle.sin_cos();
    RgbImage::from_fn(width, height, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        // Where this pixel was before turning.
        let (sx, sy) = (cx + dx * cos + dy * sin, cy - dx * sin + dy * cos);
        let (x0, y0) = (sx.floor(), sy.floor());
        let (fx, fy) = (sx - x0, sy - y0);
        let at = |x: f32, y: f32| -> [f32; 3] {
            if x < 0.0 || y < 0.0 || x >= width as f32 || y >= height as f32 {
                paper.0.map(f32::from)
            } else {
                page.get_pixel(x as u32, y as u32).0.map(f32::from)
            }
        };
        let (a, b, c, d) = (
            at(x0, y0),
            at(x0 + 1.0, y0),
            at(x0, y0 + 1.0),
            at(x0 + 1.0, y0 + 1.0),
        );
        Rgb(std::array::from_fn(|i| {
            let top = a[i] + (b[i] - a[i]) * fx;
            let bottom = c[i] + (d[i] - c[i]) * fx;
            (top + (bottom - top) * fy).round() as u8
        }))
    })
}

fn blur(page: &RgbImage) -> RgbImage {
    let (width, height) = page.dimensions();
    let pass = |page: &RgbImage, dx: i64, dy: i64| {
        RgbImage::from_fn(width, height, |x, y| {
            let at = |k: i64| {
                let sx = (i64::from(x) + k * dx).clamp(0, i64::from(width) - 1) as u32;
                let sy = (i64::from(y) + k * dy).clamp(0, i64::from(height) - 1) as u32;
                page.get_pixel(sx, sy).0.map(u16::from)
            };
            let (a, b, c) = (at(-1), at(0), at(1));
            Rgb(std::array::from_fn(|i| {
                ((a[i] + 2 * b[i] + c[i] + 2) / 4) as u8
            }))
        })
    };
    pass(&pass(page, 1, 0), 0, 1)
}

fn speckle(page: &mut RgbImage, specks: u32, rng: &mut Rng) {
    let (width, height) = page.dimensions();
    for _ in 0..specks {
        let (x, y) = (rng.below(width), rng.below(height));
        let radius = rng.between(0.6, 2.2);
        let level = rng.between(30.0, 130.0) as u8;
        let reach = radius.ceil() as i64;
        for dy in -reach..=reach {
            for dx in -reach..=reach {
                let (px, py) = (i64::from(x) + dx, i64::from(y) + dy);
                let inside = ((dx * dx + dy * dy) as f32).sqrt() <= radius;
                if inside && px >= 0 && py >= 0 && px < i64::from(width) && py < i64::from(height) {
                    let pixel = page.get_pixel_mut(px as u32, py as u32);
                    pixel.0 = pixel.0.map(|c| c.min(level));
                }
            }
        }
    }
}
