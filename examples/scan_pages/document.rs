//! Pages set like a Chinese official document (the proportions of GB/T 9704 on A4: a
//! text block of 156 × 225 mm, body in 16 pt, 28 characters by 22 lines), with an
//! optional red header (the issuer's name, the document number, the red rule) and a
//! signature with a round red seal stamped over the last lines.

use ab_glyph::FontArc;
use image::{Rgb, RgbImage};

use super::draw::{Coverage, Fonts, advance};
use super::rng::Rng;

const BLACK: Rgb<u8> = Rgb([22, 22, 22]);
const HEADER_RED: Rgb<u8> = Rgb([208, 24, 32]);
const SEAL_RED: Rgb<u8> = Rgb([214, 38, 52]);

/// What a document says; [`set`] lays it out on pages.
pub struct Document {
    pub header: Option<Header>,
    pub title: String,
    pub paragraphs: Vec<String>,
    pub signature: Option<Signature>,
    /// The body in a sans-serif face (黑体-like) instead of a serif one.
    pub sans: bool,
}

/// The red 版头: the issuer's name in large red characters, the document number in
/// black under it, and the red rule.
pub struct Header {
    pub issuer: String,
    pub number: String,
}

/// The issuer and date at the end, and the seal stamped over them.
pub struct Signature {
    pub issuer: String,
    pub date: String,
    pub seal: Option<Seal>,
}

/// What a round seal says: along its upper arc, and in a line under its star.
#[derive(Clone)]
pub struct Seal {
    pub ring: String,
    pub foot: String,
}

/// One page as drawn, and the text on it (without the seal's, which is not meant to
/// be read), line by line.
pub struct Page {
    pub image: RgbImage,
    pub truth: String,
}

#[derive(Clone, Copy)]
enum Face {
    Serif,
    SerifBold,
    Sans,
    SansBold,
}

enum Mark {
    Text {
        text: String,
        x: f32,
        baseline: f32,
        size: f32,
        face: Face,
        red: bool,
    },
    Rule {
        x0: f32,
        x1: f32,
        y: f32,
        thickness: f32,
    },
    Seal {
        centre: (f32, f32),
        radius: f32,
        seal: Seal,
    },
}

/// Sizes in pixels at a resolution.
#[derive(Clone, Copy)]
struct Geometry {
    dpi: f32,
}

impl Geometry {
    fn mm(self, mm: f32) -> f32 {
        mm * self.dpi / 25.4
    }
    fn pt(self, pt: f32) -> f32 {
        pt * self.dpi / 72.0
    }
    fn page(self) -> (u32, u32) {
        (self.mm(210.0).round() as u32, self.mm(297.0).round() as u32)
    }
    fn left(self) -> f32 {
        self.mm(28.0)
    }
    fn text_width(self) -> f32 {
        self.mm(156.0)
    }
    fn top(self) -> f32 {
        self.mm(37.0)
    }
    fn bottom(self) -> f32 {
        self.mm(297.0 - 35.0)
    }
    fn body_size(self) -> f32 {
        self.pt(16.0)
    }
    fn pitch(self) -> f32 {
        self.mm(225.0) / 22.0
    }
}

/// Lays `document` out at `dpi` on as many pages as it needs, or at most `max_pages`
/// (the rest of the body is left out, the signature is kept). `rng` makes the seal's
/// ink uneven.
pub fn set(
    document: &Document,
    fonts: &Fonts,
    dpi: f32,
    max_pages: Option<usize>,
    rng: &mut Rng,
) -> Vec<Page> {
    let mut setter = Setter::new(Geometry { dpi }, fonts, document.sans, max_pages);
    if let Some(header) = &document.header {
        setter.header(header);
    }
    setter.title(&document.title);
    let reserve = if document.signature.is_some() {
        4.0 * setter.geometry.pitch()
    } else {
        0.0
    };
    'body: for paragraph in &document.paragraphs {
        for line in setter.wrap(paragraph) {
            if !setter.next_line(reserve) {
                break 'body;
            }
            setter.text(line.1, setter.geometry.left() + line.0, setter.body_face());
        }
    }
    if let Some(signature) = &document.signature {
        setter.signature(signature);
    }
    setter
        .pages
        .iter()
        .map(|marks| render(marks, fonts, Geometry { dpi }, rng))
        .collect()
}

struct Setter<'f> {
    geometry: Geometry,
    fonts: &'f Fonts,
    sans: bool,
    max_pages: Option<usize>,
    pages: Vec<Vec<Mark>>,
    /// The baseline of the last line set on the current page.
    y: f32,
}

impl<'f> Setter<'f> {
    fn new(geometry: Geometry, fonts: &'f Fonts, sans: bool, max_pages: Option<usize>) -> Self {
        Self {
            geometry,
            fonts,
            sans,
            max_pages,
            pages: vec![Vec::new()],
            y: geometry.top() - geometry.pitch() + geometry.body_size(),
        }
    }

    fn body_face(&self) -> Face {
        if self.sans { Face::Sans } else { Face::Serif }
    }

    fn font(&self, face: Face) -> &'f FontArc {
        match face {
            Face::Serif => &self.fonts.serif,
            Face::SerifBold => &self.fonts.serif_bold,
            Face::Sans => &self.fonts.sans,
            Face::SansBold => &self.fonts.sans_bold,
        }
    }

    fn width_of(&self, text: &str, face: Face, size: f32) -> f32 {
        let font = self.font(face);
        text.chars().filter_map(|c| advance(font, c, size)).sum()
    }

    /// Moves to the next body line, to a new page when this one is full (keeping
    /// `reserve` free on the last page allowed); false when no page is left.
    fn next_line(&mut self, reserve: f32) -> bool {
        let g = self.geometry;
        let last_page = self.max_pages == Some(self.pages.len());
        let bottom = if last_page {
            g.bottom() - reserve
        } else {
            g.bottom()
        };
        if self.y + g.pitch() <= bottom {
            self.y += g.pitch();
            return true;
        }
        if last_page {
            return false;
        }
        self.pages.push(Vec::new());
        self.y = g.top() + g.body_size();
        true
    }

    fn mark(&mut self, mark: Mark) {
        if let Some(page) = self.pages.last_mut() {
            page.push(mark);
        }
    }

    fn text(&mut self, text: String, x: f32, face: Face) {
        let size = self.geometry.body_size();
        self.mark(Mark::Text {
            text,
            x,
            baseline: self.y,
            size,
            face,
            red: false,
        });
    }

    fn header(&mut self, header: &Header) {
        let g = self.geometry;
        let count = header.issuer.chars().count().max(1) as f32;
        let size = g.mm(15.0).min(g.text_width() * 0.92 / count);
        let width = self.width_of(&header.issuer, Face::SerifBold, size);
        let baseline = g.top() + size * 0.9;
        self.mark(Mark::Text {
            text: header.issuer.clone(),
            x: g.left() + (g.text_width() - width) / 2.0,
            baseline,
            size,
            face: Face::SerifBold,
            red: true,
        });
        self.y = baseline + 2.0 * g.pitch();
        let width = self.width_of(&header.number, Face::Serif, g.body_size());
        self.text(
            header.number.clone(),
            g.left() + (g.text_width() - width) / 2.0,
            Face::Serif,
        );
        self.mark(Mark::Rule {
            x0: g.left(),
            x1: g.left() + g.text_width(),
            y: self.y + g.mm(5.0),
            thickness: g.mm(0.7),
        });
        self.y += g.mm(6.0);
    }

    fn title(&mut self, title: &str) {
        let g = self.geometry;
        let face = if self.sans {
            Face::SansBold
        } else {
            Face::SerifBold
        };
        let size = g.pt(22.0);
        let per_line = (g.text_width() / size).floor().max(1.0) as usize;
        let chars: Vec<char> = title.chars().collect();
        self.y += g.pitch() * 0.6;
        for line in chars.chunks(per_line) {
            let line: String = line.iter().collect();
            let width = self.width_of(&line, face, size);
            self.y += size * 1.45;
            self.mark(Mark::Text {
                text: line,
                x: g.left() + (g.text_width() - width) / 2.0,
                baseline: self.y,
                size,
                face,
                red: false,
            });
        }
        self.y += g.pitch() * 0.5;
    }

    /// A paragraph in lines of the text block's width, the first indented two
    /// characters; closing punctuation never starts a line (it hangs in the margin).
    fn wrap(&self, paragraph: &str) -> Vec<(f32, String)> {
        let g = self.geometry;
        let (font, size) = (self.font(self.body_face()), g.body_size());
        let mut lines = Vec::new();
        let (mut indent, mut line, mut x) = (2.0 * size, String::new(), 2.0 * size);
        for c in paragraph.chars() {
            let Some(step) = advance(font, c, size) else {
                continue;
            };
            if x + step > g.text_width() + 0.5 && !line.is_empty() && !closes(c) {
                lines.push((indent, std::mem::take(&mut line)));
                (indent, x) = (0.0, 0.0);
            }
            line.push(c);
            x += step;
        }
        if !line.trim().is_empty() {
            lines.push((indent, line));
        }
        lines
    }

    fn signature(&mut self, signature: &Signature) {
        let g = self.geometry;
        let size = g.body_size();
        if !self.next_line(0.0) || !self.next_line(0.0) {
            return;
        }
        let face = self.body_face();
        let date_width = self.width_of(&signature.date, face, size);
        let date_x = g.left() + g.text_width() - 2.0 * size - date_width;
        let issuer_width = self.width_of(&signature.issuer, face, size);
        let centre_x = date_x + date_width / 2.0;
        self.text(
            signature.issuer.clone(),
            centre_x - issuer_width / 2.0,
            face,
        );
        let issuer_line = self.y;
        self.y += g.pitch();
        self.text(signature.date.clone(), date_x, face);
        if let Some(seal) = &signature.seal {
            self.mark(Mark::Seal {
                centre: (centre_x, (issuer_line + self.y) / 2.0 - size * 0.4),
                radius: g.mm(21.0),
                seal: seal.clone(),
            });
        }
    }
}

/// Closing punctuation, which hangs at the end of a line rather than start the next.
fn closes(c: char) -> bool {
    "，。、；：？！”’）》】〕".contains(c)
}

fn render(marks: &[Mark], fonts: &Fonts, g: Geometry, rng: &mut Rng) -> Page {
    let (width, height) = g.page();
    let mut black = Coverage::new(width, height);
    let mut red = Coverage::new(width, height);
    let mut seal = Coverage::new(width, height);
    let mut truth = Vec::new();
    for mark in marks {
        match mark {
            Mark::Text {
                text,
                x,
                baseline,
                size,
                face,
                red: is_red,
            } => {
                let font = match face {
                    Face::Serif => &fonts.serif,
                    Face::SerifBold => &fonts.serif_bold,
                    Face::Sans => &fonts.sans,
                    Face::SansBold => &fonts.sans_bold,
                };
                let layer = if *is_red { &mut red } else { &mut black };
                let mut pen = *x;
                let mut drawn = String::new();
                for c in text.chars() {
                    if let Some(step) = advance(font, c, *size) {
                        layer.glyph(font, c, *size, (pen, *baseline), 0.0);
                        pen += step;
                        drawn.push(c);
                    }
                }
                truth.push(drawn);
            }
            Mark::Rule {
                x0,
                x1,
                y,
                thickness,
            } => red.rect(*x0, *y, *x1, *y + *thickness),
            Mark::Seal {
                centre,
                radius,
                seal: text,
            } => stamp(&mut seal, &fonts.serif_bold, *centre, *radius, text),
        }
    }
    let mut image = RgbImage::from_pixel(width, height, Rgb([255, 255, 255]));
    black.print(&mut image, BLACK, || 1.0);
    red.print(&mut image, HEADER_RED, || 1.0);
    // A hand-stamped seal: the ink is uneven.
    seal.print(&mut image, SEAL_RED, || rng.between(0.5, 1.0));
    Page {
        image,
        truth: truth.join("\n"),
    }
}

/// A round seal: a ring, the issuer's name along the upper arc, a five-pointed star and
/// a line under it.
fn stamp(layer: &mut Coverage, font: &FontArc, centre: (f32, f32), radius: f32, seal: &Seal) {
    let (cx, cy) = centre;
    let circle = |r: f32, clockwise: bool| -> Vec<(f32, f32)> {
        (0..180)
            .map(|i| {
                let turn = i as f32 / 180.0 * std::f32::consts::TAU;
                let turn = if clockwise { turn } else { -turn };
                (cx + r * turn.cos(), cy + r * turn.sin())
            })
            .collect()
    };
    let band = radius * 0.06;
    layer.polygons(&[circle(radius, true), circle(radius - band, false)]);
    let star: Vec<(f32, f32)> = (0..10)
        .map(|i| {
            let r = if i % 2 == 0 {
                radius * 0.3
            } else {
                radius * 0.3 * 0.382
            };
            let turn = i as f32 * std::f32::consts::PI / 5.0;
            (cx + r * turn.sin(), cy - r * turn.cos())
        })
        .collect();
    layer.polygons(&[star]);
    let foot_size = radius * 0.2;
    let foot_width: f32 = seal
        .foot
        .chars()
        .filter_map(|c| advance(font, c, foot_size))
        .sum();
    let mut pen = cx - foot_width / 2.0;
    for c in seal.foot.chars() {
        layer.glyph(font, c, foot_size, (pen, cy + radius * 0.62), 0.0);
        pen += advance(font, c, foot_size).unwrap_or(0.0);
    }
    let chars: Vec<char> = seal.ring.chars().collect();
    let size = radius * 0.3;
    let baseline = radius - band - radius * 0.06 - size * 0.88;
    let count = chars.len().max(2) as f32;
    let step = (240f32.to_radians() / (count - 1.0)).min(size * 1.15 / baseline);
    let first = -step * (count - 1.0) / 2.0;
    for (i, &c) in chars.iter().enumerate() {
        let turn = first + step * i as f32;
        let (sin, cos) = turn.sin_cos();
        // The glyph stands on the circle, its top toward the ring.
        let foot = (cx + baseline * sin, cy - baseline * cos);
        let origin = (foot.0 - size / 2.0 * cos, foot.1 - size / 2.0 * sin);
        layer.glyph(font, c, size, origin, turn);
    }
}
