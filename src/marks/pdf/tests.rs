//! Stamping PDFs built here with lopdf: inherited resources and boxes, pages with
//! their own, several content streams, and files that cannot be stamped.

use jiff::civil::date;
use lopdf::{Document, Object, Stream, dictionary};

use super::*;
use crate::loans::LoanId;

pub(crate) fn mark() -> Mark {
    Mark {
        code: "7KQ2M9XA".to_owned(),
        loan_id: Some(LoanId(12)),
        unit_code: Some("yn-tax".to_owned()),
        user_id: 3,
        resource_id: "r1".to_owned(),
        created_at: "2026-12-01T01:00:00Z".to_owned(),
    }
}

/// Three pages: two inherit the tree's shared resources and box, the third has its
/// own inline resources, box and two content streams.
pub(crate) fn sample_pdf() -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
    "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Courier" });
    let shared = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font } });
    let text = |s: &str| format!("BT /F1 12 Tf 72 700 Td ({s}) Tj ET").into_bytes();
    let mut kids = Vec::new();
    for n in 0..2 {
        let content = doc.add_object(Stream::new(dictionary! {}, text(&format!("page {n}"))));
        kids.push(Object::Reference(doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content })));
    }
    let first = doc.add_object(Stream::new(dictionary! {}, b"2 0 0 2 0 0 cm".to_vec()));
    let second = doc.add_object(Stream::new(dictionary! {}, text("own page")));
    kids.push(Object::Reference(doc.add_object(dictionary! {
    "Type" => "Page", "Parent" => pages_id,
    "MediaBox" => vec![0.into(), 0.into(), 842.into(), 595.into()],
    "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
    "Contents" => vec![first.into(), second.into()] })));
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
        "Type" => "Pages", "Kids" => kids, "Count" => 3, "Resources" => shared,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()] }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).expect("save");
    bytes
}

fn stamped(original: &[u8]) -> Result<Vec<u8>, StampError> {
    let mut out = Vec::new();
    stamp_pdf(
        original.to_vec(),
        &Stamp::new(&mark(), date(2026, 12, 1)),
        &mut out,
    )?;
    Ok(out)
}

#[test]
fn every_page_carries_both_marks_and_the_original_comes_first() {
    let original = sample_pdf();
    let copy = stamped(&original).expect("stamp");
    assert!(
        copy.starts_with(&original),
        "an update after the original bytes"
    );
    assert!(copy.len() - original.len() < 8 * 1024, "a small update");
    let doc = Document::load_mem(&copy).expect("the copy reads");
    let pages = doc.get_pages();
    assert_eq!(pages.len(), 3);
    for page in pages.values() {
        let content =
            String::from_utf8_lossy(&doc.get_page_content(*page).expect("content")).into_owned();
        assert!(
            content.contains("(JS-7KQ2M9XA yn-tax 2026-12-01) Tj"),
            "{content}"
        );
        assert!(
            content.contains("(JSMARK-7KQ2M9XA-20261201) Tj"),
            "{content}"
        );
        assert!(content.contains("3 Tr"), "{content}");
        assert!(content.starts_with("q\n"), "{content}");
        let fonts = doc.get_page_fonts(*page).expect("fonts");
        assert!(
            fonts.contains_key(b"F1".as_slice()),
            "the page keeps its font"
        );
        assert_eq!(
            fonts
                .get(FONT.as_bytes())
                .and_then(|f| f.get(b"BaseFont").ok()),
            Some(&Object::Name(b"Helvetica".to_vec()))
        );
    }
    let info = doc
        .trailer
        .get(b"Info")
        .and_then(|info| doc.dereference(info))
        .and_then(|(_, info)| info.as_dict())
        .expect("info");
    assert_eq!(
        info.get(INFO_CODE).and_then(Object::as_str).ok(),
        Some(b"7KQ2M9XA".as_slice())
    );
}

#[test]
fn the_mark_lies_across_each_page_whatever_its_shape() {
    let stamp = Stamp::new(&mark(), date(2026, 12, 1));
    for page_box in [
        [0.0, 0.0, 595.0, 842.0],
        [0.0, 0.0, 842.0, 595.0],
        [100.0, 50.0, 400.0, 350.0],
    ] {
        let ops = mark_content(&stamp, page_box).operations;
        let tm = ops.iter().find(|op| op.operator == "Tm").expect("Tm");
        let v: Vec<f32> = tm
            .operands
            .iter()
            .map(|o| o.as_float().expect("number"))
            .collect();
        let (w, h) = (page_box[2] - page_box[0], page_box[3] - page_box[1]);
        assert!(
            (v[1] / v[0] - h / w).abs() < 1e-3,
            "along the diagonal: {v:?}"
        );
        assert!(
            v[4] > page_box[0] - 20.0 && v[5] > page_box[1] - 20.0,
            "starts on the page: {v:?}"
        );
    }
}

#[test]
fn files_that_cannot_be_stamped_say_why() {
    assert!(matches!(
        stamped(b"not a pdf at all"),
        Err(StampError::Unreadable(_))
    ));
    let original = sample_pdf();
    assert!(matches!(
        stamped(&original[..original.len() / 3]),
        Err(StampError::Unreadable(_))
    ));
    let message = StampError::Encrypted.to_string();
    assert!(message.contains("加密"), "{message}");
}
