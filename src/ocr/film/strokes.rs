//! Finding subtitle text in grey pixels. Burned-in subtitles are bright strokes (white
//! or yellow) drawn with a dark outline or on a dark box, so a piece of a character is
//! a connected set of bright pixels that is small and ringed by darker pixels. A bright
//! patch of the picture (sky, a lit wall) fails one of the two: it is large, or its
//! edge meets mid-tones. The pieces that sit in a row with others make a text line.

/// A grey frame (or part of one), one byte a pixel, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Gray {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

impl Gray {
    /// Rows `top .. bottom` of the image.
    pub fn rows(&self, top: usize, bottom: usize) -> Gray {
        let bottom = bottom.min(self.height);
        let top = top.min(bottom);
        Gray {
            width: self.width,
            height: bottom - top,
            pixels: self.pixels[top * self.width..bottom * self.width].to_vec(),
        }
    }

    /// The brightness that stays: each pixel no brighter than it is in the brighter of
    /// its neighbouring samples. A subtitle holds still for seconds while the picture
    /// behind it moves, so this keeps the text and dims most of the rest. Frames of
    /// another size count as absent.
    pub fn steady(&self, before: Option<&Gray>, after: Option<&Gray>) -> Gray {
        let fits = |frame: &&Gray| frame.pixels.len() == self.pixels.len();
        let (before, after) = (before.filter(fits), after.filter(fits));
        let pixels = match (before, after) {
            (None, None) => self.pixels.clone(),
            (Some(one), None) | (None, Some(one)) => self
                .pixels
                .iter()
                .zip(&one.pixels)
                .map(|(&a, &b)| a.min(b))
                .collect(),
            (Some(before), Some(after)) => (self.pixels.iter().zip(&before.pixels))
                .zip(&after.pixels)
                .map(|((&now, &b), &a)| now.min(b.max(a)))
                .collect(),
        };
        Gray {
            width: self.width,
            height: self.height,
            pixels,
        }
    }
}

/// A pixel this bright may belong to a stroke: tried in turn, lowest first.
const BRIGHT: [u8; 4] = [150, 190, 225, 240];
/// A piece this much dimmer at its brightest than the line's text is picture showing
/// through a character (the inside of 口 over a light background).
pub(super) const DIMMER: u8 = 20;
/// Around a stroke, the darkest nearby pixel is at least this much darker than the
/// stroke itself.
const CONTRAST: i32 = 90;
/// The share of a piece's edge that must be dark for it to count as a stroke.
const RINGED: f32 = 0.8;

/// A connected set of bright pixels ringed by dark ones: a piece of a character.
#[derive(Debug, Clone)]
pub(super) struct Piece {
    pub left: usize,
    pub top: usize,
    /// Exclusive.
    pub right: usize,
    /// Exclusive.
    pub bottom: usize,
    /// Indices of its pixels in the image.
    pub pixels: Vec<usize>,
    /// Its brightest pixel.
    pub peak: u8,
}

impl Piece {
    fn middle_row(&self) -> usize {
        (self.top + self.bottom) / 2
    }
}

/// A line of text: the pieces in it, left to right, and their bounds.
#[derive(Debug, Clone)]
pub(super) struct TextLine {
    pub left: usize,
    pub top: usize,
    pub right: usize,
    pub bottom: usize,
    pub pieces: Vec<Piece>,
    /// How bright its strokes are.
    pub peak: u8,
}

impl TextLine {
    pub fn height(&self) -> usize {
        self.bottom - self.top
    }

    /// How many stroke pixels it has.
    pub fn mass(&self) -> usize {
        self.pieces.iter().map(|piece| piece.pixels.len()).sum()
    }
}

/// The pieces of characters in `image` no taller or wider than `max_glyph` pixels.
/// Pieces touching the image's edge are cut off and are left out. A light picture
/// behind the text can leak into a stroke where the outline is thin: what is refused
/// at one brightness is looked at again at higher ones, where the two come apart.
pub(super) fn find_pieces(image: &Gray, max_glyph: usize) -> Vec<Piece> {
    let mut taken = vec![false; image.pixels.len()];
    let mut pieces = Vec::new();
    for level in BRIGHT {
        for piece in pieces_at(image, level, &taken, max_glyph) {
            for &at in &piece.pixels {
                taken[at] = true;
            }
            pieces.push(piece);
        }
    }
    pieces
}

/// The pieces made of pixels at least `level` bright and not `taken` already.
fn pieces_at(image: &Gray, level: u8, taken: &[bool], max_glyph: usize) -> Vec<Piece> {
    let (width, height) = (image.width, image.height);
    let lit = |at: usize| image.pixels[at] >= level && !taken[at];
    let mut seen = vec![false; image.pixels.len()];
    let mut pieces = Vec::new();
    let mut stack = Vec::new();
    for start in 0..image.pixels.len() {
        if seen[start] || !lit(start) {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut members = Vec::new();
        while let Some(at) = stack.pop() {
            members.push(at);
            for next in neighbours(at, width, height).into_iter().flatten() {
                if !seen[next] && lit(next) {
                    seen[next] = true;
                    stack.push(next);
                }
            }
        }
        if let Some(piece) = as_piece(image, level, members, max_glyph) {
            pieces.push(piece);
        }
    }
    pieces
}

/// The four neighbours of a pixel, `None` beyond the edge.
fn neighbours(at: usize, width: usize, height: usize) -> [Option<usize>; 4] {
    let (x, y) = (at % width, at / width);
    [
        (x > 0).then(|| at - 1),
        (x + 1 < width).then(|| at + 1),
        (y > 0).then(|| at - width),
        (y + 1 < height).then(|| at + width),
    ]
}

/// The bright region `members` as a piece of a character, if it is one.
fn as_piece(image: &Gray, level: u8, members: Vec<usize>, max_glyph: usize) -> Option<Piece> {
    let width = image.width;
    let (mut left, mut top, mut right, mut bottom) = (usize::MAX, usize::MAX, 0, 0);
    let (mut sum, mut peak) = (0u64, 0u8);
    for &at in &members {
        peak = peak.max(image.pixels[at]);
        let (x, y) = (at % width, at / width);
        (left, top) = (left.min(x), top.min(y));
        (right, bottom) = (right.max(x + 1), bottom.max(y + 1));
        sum += u64::from(image.pixels[at]);
    }
    let touches_edge = left == 0 || top == 0 || right == width || bottom == image.height;
    if touches_edge || right - left > max_glyph || bottom - top > max_glyph {
        return None;
    }
    let mean = i32::try_from(sum / members.len() as u64).unwrap_or(255);
    let (mut edge, mut dark) = (0usize, 0usize);
    for &at in &members {
        for next in neighbours(at, width, image.height).into_iter().flatten() {
            if image.pixels[next] < level {
                edge += 1;
                if i32::from(darkest_around(image, next)) + CONTRAST <= mean {
                    dark += 1;
                }
            }
        }
    }
    let ringed = edge > 0 && dark as f32 >= RINGED * edge as f32;
    ringed.then_some(Piece {
        left,
        top,
        right,
        bottom,
        pixels: members,
        peak,
    })
}

/// The darkest pixel of the 3×3 square around `at`: the outline lies a pixel or two
/// beyond the stroke, past its anti-aliased edge.
fn darkest_around(image: &Gray, at: usize) -> u8 {
    let (x, y) = (at % image.width, at / image.width);
    let mut darkest = u8::MAX;
    for row in y.saturating_sub(1)..(y + 2).min(image.height) {
        for col in x.saturating_sub(1)..(x + 2).min(image.width) {
            darkest = darkest.min(image.pixels[row * image.width + col]);
        }
    }
    darkest
}

/// The text lines the pieces make, top to bottom. Rows holding strokes form a line;
/// within it, pieces far from the bulk of the text (a lit speck of the picture) are
/// dropped, and so are lines too light to be text.
pub(super) fn text_lines(image: &Gray, mut pieces: Vec<Piece>, max_glyph: usize) -> Vec<TextLine> {
    // Subtitles are the brightest text on screen: what is clearly dimmer than the
    // brightest pieces that weigh at least a character is left out from the start.
    if let Some(level) = brightest_class(&pieces, (max_glyph / 2).pow(2)) {
        pieces.retain(|piece| piece.peak.saturating_add(DIMMER) >= level);
    }
    let mut profile = vec![0usize; image.height];
    for piece in &pieces {
        for &at in &piece.pixels {
            profile[at / image.width] += 1;
        }
    }
    let peak = profile.iter().copied().max().unwrap_or(0);
    if peak == 0 {
        return Vec::new();
    }
    let floor = (peak / 12).max(1);
    let mut lines: Vec<TextLine> = row_runs(&profile, floor)
        .into_iter()
        .filter_map(|(top, bottom)| {
            let members: Vec<Piece> = pieces
                .iter()
                .filter(|piece| (top..bottom).contains(&piece.middle_row()))
                .cloned()
                .collect();
            keep_bulk(members)
        })
        .collect();
    lines.retain(|line| {
        let height = line.height();
        (6..=max_glyph + max_glyph / 4).contains(&height) && line.mass() * 5 >= height * height
    });
    // The subtitle is the brightest text of the frame and the heaviest.
    let brightest = lines.iter().map(|line| line.peak).max().unwrap_or(0);
    lines.retain(|line| line.peak.saturating_add(DIMMER) >= brightest);
    let heaviest = lines.iter().map(TextLine::mass).max().unwrap_or(0);
    lines.retain(|line| line.mass() * 6 >= heaviest);
    lines
}

/// Runs of rows whose count reaches `floor`, joined across gaps of a row or two.
fn row_runs(profile: &[usize], floor: usize) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (row, &count) in profile.iter().enumerate() {
        if count < floor {
            continue;
        }
        match runs.last_mut() {
            Some((_, end)) if row <= *end + 2 => *end = row + 1,
            _ => runs.push((row, row + 1)),
        }
    }
    runs
}

/// The pieces of one line that belong to its text: split where the gap is wider than
/// a few characters, keeping the groups with a fair share of the strokes.
fn keep_bulk(mut pieces: Vec<Piece>) -> Option<TextLine> {
    let text_peak = typical_peak(&pieces)?;
    pieces.retain(|piece| piece.peak.saturating_add(DIMMER) >= text_peak);
    let top = pieces.iter().map(|piece| piece.top).min()?;
    let bottom = pieces.iter().map(|piece| piece.bottom).max()?;
    let wide_gap = (bottom - top) * 6 / 5;
    pieces.sort_by_key(|piece| piece.left);
    let mut groups: Vec<Vec<Piece>> = Vec::new();
    let mut reach = 0;
    for piece in pieces {
        let right = piece.right;
        match groups.last_mut() {
            Some(group) if piece.left <= reach + wide_gap => group.push(piece),
            _ => groups.push(vec![piece]),
        }
        reach = reach.max(right);
    }
    let mass = |group: &Vec<Piece>| group.iter().map(|p| p.pixels.len()).sum::<usize>();
    let heaviest = groups.iter().map(mass).max()?;
    let kept: Vec<Piece> = groups
        .into_iter()
        .filter(|group| mass(group) * 4 >= heaviest)
        .flatten()
        .collect();
    Some(TextLine {
        left: kept.iter().map(|piece| piece.left).min()?,
        top: kept.iter().map(|piece| piece.top).min()?,
        right: kept.iter().map(|piece| piece.right).max()?,
        bottom: kept.iter().map(|piece| piece.bottom).max()?,
        pieces: kept,
        peak: text_peak,
    })
}

/// The brightness of the text's strokes: the peak of the pieces holding half the
/// stroke pixels, counted from the brightest.
fn typical_peak(pieces: &[Piece]) -> Option<u8> {
    let mut peaks: Vec<(u8, usize)> = pieces.iter().map(|p| (p.peak, p.pixels.len())).collect();
    peaks.sort_unstable_by(|a, b| b.cmp(a));
    let half = peaks.iter().map(|(_, mass)| mass).sum::<usize>() / 2;
    let mut counted = 0;
    peaks.into_iter().find_map(|(peak, mass)| {
        counted += mass;
        (counted > half).then_some(peak)
    })
}

/// The highest brightness such that the pieces within [`DIMMER`] below it weigh at
/// least `enough` pixels.
fn brightest_class(pieces: &[Piece], enough: usize) -> Option<u8> {
    let mut mass_at = [0usize; 256];
    for piece in pieces {
        mass_at[usize::from(piece.peak)] += piece.pixels.len();
    }
    (0..=255u8).rev().find(|&level| {
        let low = usize::from(level.saturating_sub(DIMMER));
        mass_at[low..=usize::from(level)].iter().sum::<usize>() >= enough
    })
}
