//! Pages as files: PNG, JPEG, and an image-only PDF (one JPEG per page, the way a
//! scanner writes it).

use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, RgbImage};
use lopdf::{Document, Object, Stream, dictionary};

pub fn png(page: &RgbImage) -> Result<Vec<u8>, String> {
    let mut out = std::io::Cursor::new(Vec::new());
    page.write_to(&mut out, ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

pub fn jpeg(page: &RgbImage, quality: u8) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(page)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// A PDF of JPEG pages, each `width × height` pixels at `dpi`, filling its page.
pub fn pdf(pages: &[(Vec<u8>, u32, u32)], dpi: f32) -> Result<Vec<u8>, String> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut kids = Vec::new();
    for (jpeg, width, height) in pages {
        let (w_pt, h_pt) = (*width as f32 * 72.0 / dpi, *height as f32 * 72.0 / dpi);
        let image = Stream::new(
            dictionary! {
                "Type" => "XObject",
                "Subtype" => "Image",
                "Width" => i64::from(*width),
                "Height" => i64::from(*height),
                "ColorSpace" => "DeviceRGB",
                "BitsPerComponent" => 8,
                "Filter" => "DCTDecode",
            },
            jpeg.clone(),
        );
        let image_id = doc.add_object(image);
        let content = format!("q {w_pt:.2} 0 0 {h_pt:.2} 0 0 cm /Scan Do Q");
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.into_bytes()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), Object::Real(w_pt), Object::Real(h_pt)],
            "Contents" => content_id,
            "Resources" => dictionary! { "XObject" => dictionary! { "Scan" => image_id } },
        });
        kids.push(Object::Reference(page_id));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}
