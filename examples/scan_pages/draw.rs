//! Ink on paper: glyphs, rules and shapes are rasterized into a coverage layer per ink
//! (black, red header, red seal), and each layer is printed onto the page by
//! multiplying, as ink does: black printed over a red seal stays black.

use ab_glyph::{Font, FontArc, FontVec, OutlineCurve, Point, point};
use ab_glyph_rasterizer::Rasterizer;
use image::{Rgb, RgbImage};

const NOTO: &str = "/usr/share/fonts/opentype/noto";
/// Index of the Simplified Chinese face in Noto's CJK font collections.
const SIMPLIFIED_CHINESE: u32 = 2;

/// The faces the pages are set in.
pub struct Fonts {
    pub serif: FontArc,
    pub serif_bold: FontArc,
    pub sans: FontArc,
    pub sans_bold: FontArc,
}

impl Fonts {
    pub fn load() -> Result<Self, String> {
        let face = |file: &str| {
            let path = format!("{NOTO}/{file}");
            let bytes = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
            FontVec::try_from_vec_and_index(bytes, SIMPLIFIED_CHINESE)
                .map(FontArc::new)
                .map_err(|e| format!("{path}: {e}"))
        };
        Ok(Self {
            serif: face("NotoSerifCJK-Regular.ttc")?,
            serif_bold: face("NotoSerifCJK-Bold.ttc")?,
            sans: face("NotoSansCJK-Regular.ttc")?,
            sans_bold: face("NotoSansCJK-Bold.ttc")?,
        })
    }
}

/// How far the pen moves after `c` set at `size` pixels to the em; `None` when the font
/// has no glyph for it.
pub fn advance(font: &FontArc, c: char, size: f32) -> Option<f32> {
    let id = font.glyph_id(c);
    if id.0 == 0 {
        return None;
    }
    Some(font.h_advance_unscaled(id) * size / units_per_em(font))
}

fn units_per_em(font: &FontArc) -> f32 {
    font.units_per_em().unwrap_or(1000.0)
}

/// How much of each pixel of the page one ink covers, 0 to 1.
pub struct Coverage {
    width: u32,
    height: u32,
    cover: Vec<f32>,
}

impl Coverage {
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            cover: vec![0.0; (width * height) as usize],
        }
    }

    /// Sets `c` at `size` pixels to the em with its baseline's left end at `origin`,
    /// turned by `angle` radians (clockwise, as the page is seen) about that point.
    pub fn glyph(&mut self, font: &FontArc, c: char, size: f32, origin: (f32, f32), angle: f32) {
        let Some(outline) = font.outline(font.glyph_id(c)) else {
            return;
        };
        let scale = size / units_per_em(font);
        let (sin, cos) = angle.sin_cos();
        // Font units are y-up; the page is y-down.
        let place = |p: Point| {
            let (x, y) = (p.x * scale, -p.y * scale);
            point(origin.0 + x * cos - y * sin, origin.1 + x * sin + y * cos)
        };
        let curves: Vec<Vec<Point>> = outline
            .curves
            .iter()
            .map(|curve| match *curve {
                OutlineCurve::Line(a, b) => vec![place(a), place(b)],
                OutlineCurve::Quad(a, b, c) => vec![place(a), place(b), place(c)],
                OutlineCurve::Cubic(a, b, c, d) => vec![place(a), place(b), place(c), place(d)],
            })
            .collect();
        self.fill(&curves);
    }

    /// Fills closed polygons (non-zero winding: a hole runs the other way round).
    pub fn polygons(&mut self, polygons: &[Vec<(f32, f32)>]) {
        let mut segments = Vec::new();
        for polygon in polygons {
            for (i, &(x, y)) in polygon.iter().enumerate() {
                let (nx, ny) = polygon[(i + 1) % polygon.len()];
                segments.push(vec![point(x, y), point(nx, ny)]);
            }
        }
        self.fill(&segments);
    }

    /// A filled rectangle.
    pub fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32) {
        self.polygons(&[vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1)]]);
    }

    /// Rasterizes lines (2 points), quadratic (3) and cubic (4) curves that close into
    /// shapes, within their bounding box only.
    fn fill(&mut self, curves: &[Vec<Point>]) {
        let points = curves.iter().flatten();
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for p in points {
            (x0, y0, x1, y1) = (x0.min(p.x), y0.min(p.y), x1.max(p.x), y1.max(p.y));
        }
        if x0 > x1 {
            return;
        }
        let (left, top) = (x0.floor(), y0.floor());
        let width = (x1 - left).ceil() as usize + 1;
        let height = (y1 - top).ceil() as usize + 1;
        let mut raster = Rasterizer::new(width, height);
        let at = |p: &Point| point(p.x - left, p.y - top);
        for curve in curves {
            match curve.as_slice() {
                [a, b] => raster.draw_line(at(a), at(b)),
                [a, b, c] => raster.draw_quad(at(a), at(b), at(c)),
                [a, b, c, d] => raster.draw_cubic(at(a), at(b), at(c), at(d)),
                _ => {}
            }
        }
        raster.for_each_pixel_2d(|x, y, alpha| {
            let (px, py) = (left as i64 + i64::from(x), top as i64 + i64::from(y));
            if px >= 0 && py >= 0 && px < i64::from(self.width) && py < i64::from(self.height) {
                let cell = &mut self.cover[(py as u32 * self.width + px as u32) as usize];
                *cell = (*cell + alpha.abs()).min(1.0);
            }
        });
    }

    /// Prints this ink in `colour` onto `page`; `strength` gives how much ink reached
    /// each pixel (1 everywhere for print, uneven for a hand-stamped seal).
    pub fn print(&self, page: &mut RgbImage, colour: Rgb<u8>, mut strength: impl FnMut() -> f32) {
        for (i, &cover) in self.cover.iter().enumerate() {
            if cover <= 0.0 {
                continue;
            }
            let amount = cover * strength();
            let (x, y) = (i as u32 % self.width, i as u32 / self.width);
            let pixel = page.get_pixel_mut(x, y);
            for (channel, ink) in pixel.0.iter_mut().zip(colour.0) {
                let filter = 1.0 - amount * (1.0 - f32::from(ink) / 255.0);
                *channel = (f32::from(*channel) * filter).round() as u8;
            }
        }
    }
}
