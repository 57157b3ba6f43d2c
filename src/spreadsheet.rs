//! Tables for Excel as CSV: UTF-8 with a byte-order mark (without it Excel reads
//! Chinese as the local code page), CRLF line ends, and text that a spreadsheet would
//! run as a formula defused.

/// The UTF-8 byte-order mark every export starts with.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A spreadsheet treats a cell starting with these as a formula; such text is
/// prefixed with `'` so that a name or a detail typed by someone can never run as one.
pub fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// The CSV bytes of a header row and data rows (cells already passed through [`cell`]
/// where they hold text).
pub fn csv_bytes(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Vec<u8> {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(BOM.to_vec());
    // Writing into a Vec cannot fail except on a bug in the csv crate; the fallback
    // below keeps the function total.
    let mut ok = writer.write_record(header).is_ok();
    for row in rows {
        ok &= writer.write_record(&row).is_ok();
    }
    match writer.into_inner() {
        Ok(bytes) if ok => bytes,
        _ => BOM.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_quotes_doubled() {
        let bytes = csv_bytes(&["甲", "乙"], [vec![cell("=1+1"), cell("a,\"b\"")]]);
        assert!(bytes.starts_with(BOM));
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(text, "甲,乙\r\n'=1+1,\"a,\"\"b\"\"\"\r\n");
        assert_eq!(cell("-5"), "'-5");
        assert_eq!(cell("税务"), "税务");
    }
}
