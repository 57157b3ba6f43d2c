//! Stamping a PDF with a mark, the way a reader cannot miss and a leak cannot lose:
//! every page gets the visible label across it (Helvetica, a standard font, so
//! nothing is embedded; half transparent through an ExtGState) and the code as
//! invisible text (render mode 3, which text extraction still reads); the document's
//! Info dictionary carries the code too. The stamp is one incremental update
//! appended after the original bytes (lopdf's `IncrementalDocument`), so it is
//! quick to write and the original's bytes are the copy's first bytes.

use std::collections::HashMap;
use std::io::Write;

use jiff::civil::Date;
use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, IncrementalDocument, Object, ObjectId, Stream, dictionary};

use super::Mark;

/// The invisible text's prefix: `JSMARK-7KQ2M9XA-20261201`.
pub const HIDDEN_PREFIX: &str = "JSMARK-";

/// The Info dictionary's keys for the code and the day it was stamped.
pub const INFO_CODE: &[u8] = b"JSMark";
pub const INFO_DAY: &[u8] = b"JSMarkDay";

/// Resource names of the mark's font and graphics state, unlikely in a document.
const FONT: &str = "JSMarkFont";
const STATE: &str = "JSMarkState";

/// Ink of the visible mark: a mid grey, a fifth opaque, readable over text and photos.
const GREY: f32 = 0.45;
const OPACITY: f32 = 0.2;

/// Helvetica's mean advance over the label's characters (digits, capitals), in ems;
/// enough to centre the label, which need not be exact.
const MEAN_ADVANCE: f32 = 0.62;

/// A page size when a page has no usable MediaBox: A4.
const A4: [f32; 4] = [0.0, 0.0, 595.0, 842.0];

/// What goes on a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub code: String,
    /// The visible text ([`Mark::label`]).
    pub label: String,
    /// The invisible text.
    pub hidden: String,
    pub day: Date,
}

impl Stamp {
    /// The stamp of `mark` on `day`'s copies.
    pub fn new(mark: &Mark, day: Date) -> Self {
        Self {
            code: mark.code.clone(),
            label: mark.label(day),
            hidden: format!("{HIDDEN_PREFIX}{}-{}", mark.code, day.strftime("%Y%m%d")),
            day,
        }
    }
}

/// Why a PDF cannot be stamped.
#[derive(Debug, thiserror::Error)]
pub enum StampError {
    #[error("该 PDF 已加密，无法加注借阅标记，暂不能借阅下载；请联系管理员")]
    Encrypted,
    #[error("该 PDF 文件无法解析（{0}），无法加注借阅标记，暂不能借阅下载；请联系管理员")]
    Unreadable(String),
    #[error("cannot write the stamped copy: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes `original` stamped with `stamp` to `out`: the original bytes unchanged,
/// then one update that marks every page and the Info dictionary.
pub fn stamp_pdf(original: Vec<u8>, stamp: &Stamp, out: &mut impl Write) -> Result<(), StampError> {
    let prev = Document::load_mem(&original).map_err(|err| match err {
        lopdf::Error::Decryption(_)
        | lopdf::Error::InvalidPassword
        | lopdf::Error::UnsupportedSecurityHandler(_) => StampError::Encrypted,
        other => StampError::Unreadable(other.to_string()),
    })?;
    // Objects added unencrypted to an encrypted file would not read back.
    if prev.trailer.has(b"Encrypt") || prev.was_encrypted() {
        return Err(StampError::Encrypted);
    }
    let pages: Vec<ObjectId> = prev.page_iter().collect();
    if pages.is_empty() {
        return Err(StampError::Unreadable("没有页面".to_owned()));
    }
    let mut doc = IncrementalDocument::create_from(original, prev);
    let mut stamper = Stamper::new(&mut doc.new_document, stamp)?;
    for page in pages {
        stamper.stamp_page(&mut doc, page)?;
    }
    mark_info(&mut doc, stamp)?;
    // The previous section's hybrid cross-reference stream is not this section's.
    doc.new_document.trailer.remove(b"XRefStm");
    doc.save_to(out)?;
    Ok(())
}

/// The objects every page shares, and those made once per page size or resources.
struct Stamper<'a> {
    stamp: &'a Stamp,
    font: ObjectId,
    state: ObjectId,
    /// `q`: saves the graphics state before the page's own content, so whatever the
    /// page leaves set (a scale, a clip, a colour) does not reach the mark.
    open: ObjectId,
    /// The mark's content by page box (in hundredths of a point).
    marks: HashMap<[i64; 4], ObjectId>,
    /// Resources shared through a reference (or inherited) → their marked copy.
    resources: HashMap<ObjectId, ObjectId>,
}

impl<'a> Stamper<'a> {
    fn new(doc: &mut Document, stamp: &'a Stamp) -> Result<Self, StampError> {
        let font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
            "Encoding" => "WinAnsiEncoding",
        });
        let state = doc.add_object(dictionary! {
            "Type" => "ExtGState", "ca" => OPACITY, "CA" => OPACITY,
        });
        let open = doc.add_object(Stream::new(Dictionary::new(), b"q\n".to_vec()));
        Ok(Self {
            stamp,
            font,
            state,
            open,
            marks: HashMap::new(),
            resources: HashMap::new(),
        })
    }

    fn stamp_page(
        &mut self,
        doc: &mut IncrementalDocument,
        page: ObjectId,
    ) -> Result<(), StampError> {
        let prev = doc.get_prev_documents();
        let page_box = page_box(prev, page);
        let resources = self.marked_resources(doc, page)?;
        let mark = self.mark_for_box(&mut doc.new_document, page_box)?;
        doc.opt_clone_object_to_new_document(page)
            .map_err(unreadable)?;
        let new = &mut doc.new_document;
        let mut contents = vec![Object::Reference(self.open)];
        contents.extend(own_contents(new, page));
        contents.push(Object::Reference(mark));
        let dict = new
            .get_object_mut(page)
            .and_then(Object::as_dict_mut)
            .map_err(unreadable)?;
        dict.set("Contents", contents);
        dict.set("Resources", resources);
        Ok(())
    }

    /// The page's resources (its own or inherited) with the mark's font and state
    /// added: a reference to a shared marked copy, or an inline dictionary.
    fn marked_resources(
        &mut self,
        doc: &mut IncrementalDocument,
        page: ObjectId,
    ) -> Result<Object, StampError> {
        let prev = doc.get_prev_documents();
        let (source, dict) = effective_resources(prev, page);
        let Some(source) = source else {
            return Ok(Object::Dictionary(self.with_mark(prev, dict)));
        };
        if let Some(done) = self.resources.get(&source) {
            return Ok(Object::Reference(*done));
        }
        let marked = self.with_mark(prev, dict);
        let id = doc.new_document.add_object(marked);
        self.resources.insert(source, id);
        Ok(Object::Reference(id))
    }

    fn with_mark(&self, prev: &Document, mut resources: Dictionary) -> Dictionary {
        for (key, name, id) in [("Font", FONT, self.font), ("ExtGState", STATE, self.state)] {
            let mut entries = resources
                .get(key.as_bytes())
                .ok()
                .and_then(|entry| prev.dereference(entry).ok())
                .and_then(|(_, entry)| entry.as_dict().ok().cloned())
                .unwrap_or_default();
            entries.set(name, Object::Reference(id));
            resources.set(key, entries);
        }
        resources
    }

    fn mark_for_box(
        &mut self,
        doc: &mut Document,
        page_box: [f32; 4],
    ) -> Result<ObjectId, StampError> {
        let key = page_box.map(|v| (v * 100.0).round() as i64);
        if let Some(id) = self.marks.get(&key) {
            return Ok(*id);
        }
        let content = mark_content(self.stamp, page_box)
            .encode()
            .map_err(unreadable)?;
        let id = doc.add_object(Stream::new(Dictionary::new(), content));
        self.marks.insert(key, id);
        Ok(id)
    }
}

/// Closes the page's own content and draws the mark: the label across the page's
/// diagonal, and the hidden text along its foot.
fn mark_content(stamp: &Stamp, [x0, y0, x1, y1]: [f32; 4]) -> Content {
    let (width, height) = ((x1 - x0).abs(), (y1 - y0).abs());
    let diagonal = width.hypot(height);
    let chars = stamp.label.chars().count().max(1) as f32;
    let size = (0.7 * diagonal / (MEAN_ADVANCE * chars)).clamp(8.0, 96.0);
    let (cos, sin) = (width / diagonal, height / diagonal);
    let half = MEAN_ADVANCE * chars * size / 2.0;
    // From the centre back half the label along the diagonal, and down a third of
    // the size across it, so the label's middle sits on the page's middle.
    let (cx, cy) = (x0.min(x1) + width / 2.0, y0.min(y1) + height / 2.0);
    let (sx, sy) = (
        cx - half * cos + size / 3.0 * sin,
        cy - half * sin - size / 3.0 * cos,
    );
    let op = Operation::new;
    let text = |s: &str| Object::string_literal(s.as_bytes().to_vec());
    Content {
        operations: vec![
            op("Q", vec![]),
            op("q", vec![]),
            op("gs", vec![Object::Name(STATE.into())]),
            op("g", vec![GREY.into()]),
            op("BT", vec![]),
            op("Tf", vec![Object::Name(FONT.into()), size.into()]),
            op(
                "Tm",
                vec![
                    cos.into(),
                    sin.into(),
                    (-sin).into(),
                    cos.into(),
                    sx.into(),
                    sy.into(),
                ],
            ),
            op("Tj", vec![text(&stamp.label)]),
            op("ET", vec![]),
            op("BT", vec![]),
            op("Tr", vec![3.into()]),
            op("Tf", vec![Object::Name(FONT.into()), 6.into()]),
            op(
                "Td",
                vec![(x0.min(x1) + 12.0).into(), (y0.min(y1) + 6.0).into()],
            ),
            op("Tj", vec![text(&stamp.hidden)]),
            op("ET", vec![]),
            op("Q", vec![]),
        ],
    }
}

/// The page's content streams as its dictionary lists them (one or an array).
fn own_contents(doc: &Document, page: ObjectId) -> Vec<Object> {
    let Ok(dict) = doc.get_dictionary(page) else {
        return Vec::new();
    };
    match dict.get(b"Contents") {
        Ok(Object::Array(items)) => items.clone(),
        Ok(Object::Reference(id)) => match doc.get_object(*id) {
            // An indirect array of streams.
            Ok(Object::Array(items)) => items.clone(),
            _ => vec![Object::Reference(*id)],
        },
        _ => Vec::new(),
    }
}

/// The page's resources: its own, or the nearest ancestor's in the page tree, with the
/// object they come from when shared (a reference, or an ancestor's entry).
fn effective_resources(doc: &Document, page: ObjectId) -> (Option<ObjectId>, Dictionary) {
    let Some((holder, entry)) = inherited(doc, page, b"Resources") else {
        return (None, Dictionary::new());
    };
    let (referenced, resolved) = match doc.dereference(entry) {
        Ok((id, object)) => (id, object.as_dict().ok().cloned().unwrap_or_default()),
        Err(_) => (None, Dictionary::new()),
    };
    // An inline dictionary of the page itself is the page's alone.
    let shared = referenced.or((holder != page).then_some(holder));
    (shared, resolved)
}

/// The page's visible area (CropBox, else MediaBox, both inheritable).
fn page_box(doc: &Document, page: ObjectId) -> [f32; 4] {
    [b"CropBox".as_slice(), b"MediaBox"]
        .into_iter()
        .find_map(|key| {
            let (_, entry) = inherited(doc, page, key)?;
            let (_, array) = doc.dereference(entry).ok()?;
            let values: Vec<f32> = array
                .as_array()
                .ok()?
                .iter()
                .map(|v| doc.dereference(v).ok().and_then(|(_, v)| v.as_float().ok()))
                .collect::<Option<_>>()?;
            let page_box: [f32; 4] = values.try_into().ok()?;
            let usable = page_box.iter().all(|v| v.is_finite())
                && (page_box[2] - page_box[0]).abs() >= 1.0
                && (page_box[3] - page_box[1]).abs() >= 1.0;
            usable.then_some(page_box)
        })
        .unwrap_or(A4)
}

/// `key` of the page or of its nearest ancestor that has it, with who has it.
fn inherited<'d>(doc: &'d Document, page: ObjectId, key: &[u8]) -> Option<(ObjectId, &'d Object)> {
    let mut node = page;
    // The page tree is shallow; a cycle in a broken file must not loop for ever.
    for _ in 0..64 {
        let dict = doc.get_dictionary(node).ok()?;
        if let Ok(entry) = dict.get(key) {
            return Some((node, entry));
        }
        node = dict.get(b"Parent").and_then(Object::as_reference).ok()?;
    }
    None
}

/// The Info dictionary with the code and the day, so a re-saved copy keeps them.
fn mark_info(doc: &mut IncrementalDocument, stamp: &Stamp) -> Result<(), StampError> {
    let prev = doc.get_prev_documents();
    let existing = prev.trailer.get(b"Info").ok();
    let (id, mut info) = match existing.map(|entry| prev.dereference(entry)) {
        Some(Ok((Some(id), Object::Dictionary(info)))) => (Some(id), info.clone()),
        Some(Ok((None, Object::Dictionary(info)))) => (None, info.clone()),
        _ => (None, Dictionary::new()),
    };
    info.set(
        INFO_CODE,
        Object::string_literal(stamp.code.as_bytes().to_vec()),
    );
    info.set(
        INFO_DAY,
        Object::string_literal(stamp.day.to_string().into_bytes()),
    );
    let new = &mut doc.new_document;
    let id = match id {
        Some(id) => {
            new.set_object(id, info);
            id
        }
        None => new.add_object(info),
    };
    new.trailer.set("Info", Object::Reference(id));
    Ok(())
}

fn unreadable(err: lopdf::Error) -> StampError {
    StampError::Unreadable(err.to_string())
}

#[cfg(test)]
pub(crate) mod tests;
