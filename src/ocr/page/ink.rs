//! Red ink and black ink on a page image. Official documents carry a red header (the
//! issuer's name above a red rule) and round red seals stamped over the last lines. In
//! grey both read as dark strokes: the seal breaks the text under it, and the header is
//! read twice. So inside the header and each seal the page is seen through its red
//! channel (what a scanner's red lamp sees: red ink as light as paper, black ink black),
//! and the header is read on its own from a mask of the red ink. Other red text (a red
//! note, a red title) stays as it is and is read with the body.

use image::{GrayImage, Luma, Rgb, RgbImage};

/// How much redder than green and blue a pixel must be to count as red ink: printed
/// and stamped red is 100 or more; scanner noise on grey paper stays far below.
const RED_MARGIN: i16 = 60;

/// The red mask is looked at in blocks of this many pixels a side: fast, and a block
/// joins a stroke's pixels across the gaps that noise leaves.
const BLOCK: u32 = 4;

/// The red rule is at least this share of the page's width…
const RULE_MIN_WIDTH: f64 = 0.3;
/// …and at least this many times as wide as it is high (a skew of a few degrees makes
/// a thin rule high).
const RULE_MIN_ASPECT: u32 = 8;

/// A seal is at least this share of the page's width across (a 40 mm seal on A4 is a
/// fifth), larger than any character of body text.
const SEAL_MIN_SIZE: f64 = 0.08;

/// A rectangle of the page, in pixels: `x0..x1`, `y0..y1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Area {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

impl Area {
    fn contains(&self, x: u32, y: u32) -> bool {
        (self.x0..self.x1).contains(&x) && (self.y0..self.y1).contains(&y)
    }
}

/// Where the red ink of a page's header and seals is.
#[derive(Debug, Default)]
pub(super) struct RedInk {
    /// The red ink above the red rule: the issuer's name.
    pub header: Option<Area>,
    /// The red rule under the header.
    pub rule: Option<Area>,
    pub seals: Vec<Area>,
}

impl RedInk {
    /// Finds the header (the red shapes above a wide thin red rule in the top half) and
    /// the seals (red shapes of seal size, about as high as wide).
    pub fn find(pixels: &RgbImage) -> Self {
        let (width, height) = pixels.dimensions();
        let shapes = RedGrid::of(pixels).shapes();
        let in_blocks = |share: f64| (f64::from(width) * share / f64::from(BLOCK)) as u32;
        let rule = shapes
            .iter()
            .filter(|s| s.bottom * BLOCK < height / 2)
            .filter(|s| s.width() >= in_blocks(RULE_MIN_WIDTH))
            .filter(|s| s.width() >= s.height() * RULE_MIN_ASPECT)
            .min_by_key(|s| s.top);
        let header = rule.and_then(|rule| {
            let above = shapes
                .iter()
                .filter(|s| s.bottom < rule.top && s.blocks >= 3);
            let ink = above.fold(None, |union: Option<Shape>, s| {
                Some(union.map_or(*s, |u| u.union(s)))
            })?;
            // Tesseract wants some paper round a line, but none of the rule.
            let mut area = ink.area(2, width, height);
            area.y1 = area.y1.min(rule.top * BLOCK);
            Some(area)
        });
        let rule = rule.map(|rule| rule.area(1, width, height));
        let seal_size = in_blocks(SEAL_MIN_SIZE);
        let seals = shapes
            .iter()
            .filter(|s| s.width() >= seal_size && s.height() >= seal_size)
            .filter(|s| s.width() * 2 >= s.height() && s.height() * 2 >= s.width())
            .map(|s| s.area(3, width, height))
            .collect();
        Self {
            header,
            rule,
            seals,
        }
    }

    fn covers(&self, x: u32, y: u32) -> bool {
        [self.header, self.rule]
            .iter()
            .flatten()
            .any(|area| area.contains(x, y))
            || self.seals.iter().any(|area| area.contains(x, y))
    }
}

/// The page as Tesseract should read its body: grey, but the red channel inside the
/// header and the seals, where red ink becomes paper and black stays black.
pub(super) fn body_grey(pixels: &RgbImage, red: &RedInk) -> GrayImage {
    GrayImage::from_fn(pixels.width(), pixels.height(), |x, y| {
        let [r, g, b] = pixels.get_pixel(x, y).0;
        if red.covers(x, y) {
            Luma([r])
        } else {
            // ITU-R BT.601 luma, in integers.
            let luma = (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000;
            Luma([u8::try_from(luma).unwrap_or(u8::MAX)])
        }
    })
}

/// The red ink of `area` as dark ink on white.
pub(super) fn red_mask(pixels: &RgbImage, area: Area) -> GrayImage {
    GrayImage::from_fn(area.x1 - area.x0, area.y1 - area.y0, |x, y| {
        let redness = redness(pixels.get_pixel(area.x0 + x, area.y0 + y));
        // Graded, not black and white: the edges of the strokes stay smooth.
        let ink = (redness - RED_MARGIN / 2).clamp(0, 85) * 3;
        Luma([255 - u8::try_from(ink).unwrap_or(u8::MAX)])
    })
}

/// The lines of red text in `area` (the header is one or two lines of large
/// characters, each best read as a single line), split where no red ink crosses a
/// band of rows.
pub(super) fn red_lines(pixels: &RgbImage, area: Area) -> Vec<Area> {
    let inked: Vec<bool> = (area.y0..area.y1)
        .map(|y| {
            (area.x0..area.x1)
                .filter(|&x| redness(pixels.get_pixel(x, y)) >= RED_MARGIN)
                .nth(1)
                .is_some()
        })
        .collect();
    let mut lines = Vec::new();
    let mut start = None;
    let mut blank = 0;
    for (row, &ink) in inked.iter().chain([&false; LINE_GAP]).enumerate() {
        let row = u32::try_from(row).unwrap_or(u32::MAX);
        match (ink, start) {
            (true, None) => (start, blank) = (Some(row), 0),
            (true, Some(_)) => blank = 0,
            (false, Some(first)) => {
                blank += 1;
                if blank == LINE_GAP {
                    let last = row + 1 - LINE_GAP as u32;
                    // Lower than a character of body text: a stray mark, not a line.
                    if last - first >= MIN_LINE_HEIGHT {
                        lines.push((first, last));
                    }
                    start = None;
                }
            }
            (false, None) => {}
        }
    }
    lines
        .into_iter()
        .map(|(first, last)| Area {
            x0: area.x0,
            y0: (area.y0 + first).saturating_sub(LINE_MARGIN).max(area.y0),
            x1: area.x1,
            y1: (area.y0 + last + LINE_MARGIN).min(area.y1),
        })
        .collect()
}

/// Rows without red ink that part two lines of the header.
const LINE_GAP: usize = 8;
/// Paper kept above and below a line of the header, in pixels.
const LINE_MARGIN: u32 = 6;
/// The least height of a line of the header, in pixels.
const MIN_LINE_HEIGHT: u32 = 16;

/// How much redder than green and blue a pixel is.
fn redness(pixel: &Rgb<u8>) -> i16 {
    let [r, g, b] = pixel.0;
    i16::from(r) - i16::from(g.max(b))
}

/// Which blocks of a page hold red ink.
struct RedGrid {
    width: u32,
    height: u32,
    red: Vec<bool>,
}

/// A connected patch of red blocks and its bounding box, in blocks.
#[derive(Debug, Clone, Copy)]
struct Shape {
    left: u32,
    top: u32,
    right: u32,
    bottom: u32,
    blocks: u32,
}

impl Shape {
    fn width(&self) -> u32 {
        self.right - self.left + 1
    }

    fn height(&self) -> u32 {
        self.bottom - self.top + 1
    }

    fn union(&self, other: &Shape) -> Shape {
        Shape {
            left: self.left.min(other.left),
            top: self.top.min(other.top),
            right: self.right.max(other.right),
            bottom: self.bottom.max(other.bottom),
            blocks: self.blocks + other.blocks,
        }
    }

    /// In pixels, with a margin of `margin` blocks, within the page.
    fn area(&self, margin: u32, width: u32, height: u32) -> Area {
        Area {
            x0: self.left.saturating_sub(margin) * BLOCK,
            y0: self.top.saturating_sub(margin) * BLOCK,
            x1: ((self.right + 1 + margin) * BLOCK).min(width),
            y1: ((self.bottom + 1 + margin) * BLOCK).min(height),
        }
    }
}

impl RedGrid {
    fn of(pixels: &RgbImage) -> Self {
        let width = pixels.width().div_ceil(BLOCK);
        let height = pixels.height().div_ceil(BLOCK);
        let mut counts = vec![0u8; (width * height) as usize];
        for y in 0..pixels.height() {
            for x in 0..pixels.width() {
                if redness(pixels.get_pixel(x, y)) >= RED_MARGIN {
                    let cell = &mut counts[((y / BLOCK) * width + x / BLOCK) as usize];
                    *cell = cell.saturating_add(1);
                }
            }
        }
        // Two red pixels make a red block: a lone noisy pixel does not.
        let red = counts.into_iter().map(|n| n >= 2).collect();
        Self { width, height, red }
    }

    /// The connected patches (4-neighbours) of red blocks.
    fn shapes(&self) -> Vec<Shape> {
        let mut seen = vec![false; self.red.len()];
        let mut shapes = Vec::new();
        let mut stack = Vec::new();
        for start in 0..self.red.len() {
            if !self.red[start] || seen[start] {
                continue;
            }
            seen[start] = true;
            stack.push(start);
            let (x, y) = self.position(start);
            let mut shape = Shape {
                left: x,
                top: y,
                right: x,
                bottom: y,
                blocks: 0,
            };
            while let Some(at) = stack.pop() {
                let (x, y) = self.position(at);
                shape.left = shape.left.min(x);
                shape.right = shape.right.max(x);
                shape.top = shape.top.min(y);
                shape.bottom = shape.bottom.max(y);
                shape.blocks += 1;
                for next in self.neighbours(x, y) {
                    if self.red[next] && !seen[next] {
                        seen[next] = true;
                        stack.push(next);
                    }
                }
            }
            shapes.push(shape);
        }
        shapes
    }

    fn position(&self, index: usize) -> (u32, u32) {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        (index % self.width, index / self.width)
    }

    fn neighbours(&self, x: u32, y: u32) -> impl Iterator<Item = usize> + use<> {
        let width = self.width;
        let candidates = [
            (x > 0).then(|| (x - 1, y)),
            (x + 1 < self.width).then(|| (x + 1, y)),
            (y > 0).then(|| (x, y - 1)),
            (y + 1 < self.height).then(|| (x, y + 1)),
        ];
        candidates
            .into_iter()
            .flatten()
            .map(move |(x, y)| (y * width + x) as usize)
    }
}

/// The pixels of a binary PPM (`P6`, 8 bits), as `pdftoppm` writes them.
pub(super) fn parse_ppm(bytes: &[u8]) -> Option<RgbImage> {
    let mut rest = bytes.strip_prefix(b"P6")?;
    let mut fields = [0u32; 3];
    for field in &mut fields {
        rest = skip_blanks_and_comments(rest);
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        *field = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
        rest = &rest[digits..];
    }
    let [width, height, max] = fields;
    // Exactly one blank separates the header from the samples.
    let samples = rest.get(1..)?;
    let len = (width as usize)
        .checked_mul(height as usize)?
        .checked_mul(3)?;
    if max != 255 || samples.len() < len {
        return None;
    }
    RgbImage::from_raw(width, height, samples[..len].to_vec())
}

fn skip_blanks_and_comments(mut rest: &[u8]) -> &[u8] {
    loop {
        match rest.first() {
            Some(b) if b.is_ascii_whitespace() => rest = &rest[1..],
            Some(b'#') => {
                let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                rest = &rest[end..];
            }
            _ => return rest,
        }
    }
}

/// A grey image as a binary PGM (`P5`), which Tesseract reads without decoding work.
pub(super) fn pgm_bytes(grey: &GrayImage) -> Vec<u8> {
    let mut out = format!("P5\n{} {}\n255\n", grey.width(), grey.height()).into_bytes();
    out.extend_from_slice(grey.as_raw());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAPER: Rgb<u8> = Rgb([236, 234, 228]);
    const RED: Rgb<u8> = Rgb([205, 35, 40]);
    const BLACK: Rgb<u8> = Rgb([25, 25, 25]);

    fn fill(page: &mut RgbImage, (x0, y0, x1, y1): (u32, u32, u32, u32), colour: Rgb<u8>) {
        for y in y0..y1 {
            for x in x0..x1 {
                page.put_pixel(x, y, colour);
            }
        }
    }

    /// A page of 1000 × 1400 pixels with two red "characters" above a red rule, black
    /// lines below, and a red disc (a seal) over the last black line.
    fn page() -> RgbImage {
        let mut page = RgbImage::from_pixel(1000, 1400, PAPER);
        fill(&mut page, (300, 80, 360, 140), RED);
        fill(&mut page, (380, 80, 440, 140), RED);
        fill(&mut page, (100, 200, 900, 206), RED);
        fill(&mut page, (100, 300, 900, 340), BLACK);
        fill(&mut page, (100, 1000, 900, 1040), BLACK);
        fill(&mut page, (600, 900, 800, 1100), RED);
        // Black printed over the seal stays black.
        fill(&mut page, (600, 1000, 800, 1040), BLACK);
        page
    }

    #[test]
    fn the_header_is_the_red_ink_above_the_red_rule() {
        let page = page();
        let red = RedInk::find(&page);
        let header = red.header.expect("a header");
        // The two characters and a margin, not the rule.
        assert_eq!(
            header,
            Area {
                x0: 292,
                y0: 72,
                x1: 448,
                y1: 148
            }
        );
        let mask = red_mask(&page, header);
        assert_eq!(mask.pixels().map(|p| p.0[0]).min(), Some(0));
        assert_eq!(mask.get_pixel(0, 0).0[0], 255);
        assert!(red.rule.is_some_and(|rule| rule.contains(500, 203)));
        let mut no_rule = page.clone();
        fill(&mut no_rule, (100, 200, 900, 206), PAPER);
        assert!(RedInk::find(&no_rule).header.is_none());
    }

    #[test]
    fn the_header_is_read_line_by_line() {
        let mut page = page();
        let header = RedInk::find(&page).header.expect("a header");
        assert_eq!(red_lines(&page, header).len(), 1);
        // A second line under the first, and a speck that is not a line.
        fill(&mut page, (300, 150, 440, 170), RED);
        fill(&mut page, (500, 185, 503, 188), RED);
        let header = RedInk::find(&page).header.expect("a header");
        let lines = red_lines(&page, header);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].y1 <= 150 && lines[1].y0 >= 140, "{lines:?}");
    }

    #[test]
    fn the_seal_is_light_in_the_body_and_black_under_it_stays_dark() {
        let page = page();
        let red = RedInk::find(&page);
        assert_eq!(red.seals.len(), 1, "{red:?}");
        let grey = body_grey(&page, &red);
        let seal = grey.get_pixel(610, 950).0[0];
        let paper = grey.get_pixel(10, 10).0[0];
        let text_under_seal = grey.get_pixel(610, 1020).0[0];
        let header = grey.get_pixel(320, 100).0[0];
        assert!(
            seal > 180 && header > 180 && paper > 220,
            "{seal} {header} {paper}"
        );
        assert!(text_under_seal < 60, "{text_under_seal}");
    }

    #[test]
    fn red_text_that_is_neither_header_nor_seal_is_read_in_grey() {
        let mut page = RgbImage::from_pixel(1000, 1400, PAPER);
        fill(&mut page, (100, 100, 140, 140), RED);
        let red = RedInk::find(&page);
        assert!(red.header.is_none() && red.seals.is_empty(), "{red:?}");
        assert!(body_grey(&page, &red).get_pixel(120, 120).0[0] < 120);
    }

    #[test]
    fn ppm_round_trip_and_garbage() {
        let mut ppm = b"P6\n# pdftoppm\n2 1\n255\n".to_vec();
        ppm.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
        let image = parse_ppm(&ppm).expect("parsed");
        assert_eq!(image.get_pixel(1, 0), &Rgb([4, 5, 6]));
        assert!(parse_ppm(b"P6\n2 1\n255\n\x01").is_none());
        assert!(parse_ppm(b"P5\n2 1\n255\n\x01\x02").is_none());
        assert!(parse_ppm(b"P6\n99999999999 1\n255\n").is_none());
        let pgm = pgm_bytes(&GrayImage::from_pixel(2, 1, Luma([7])));
        assert_eq!(pgm, b"P5\n2 1\n255\n\x07\x07");
    }
}
