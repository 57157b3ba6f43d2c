//! Tables for Excel. Written as CSV (UTF-8 with a byte-order mark, without which
//! Excel reads Chinese as the local code page; CRLF line ends; text that a
//! spreadsheet would run as a formula defused) or as XLSX; read from a CSV or an
//! XLSX/XLS/ODS sheet that a person filled in.

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

/// The MIME type of an XLSX workbook.
pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The XLSX bytes of one sheet named `sheet` with a header row and data rows. Every
/// cell is written as text, so nothing typed by a person can become a formula.
pub fn xlsx_bytes(
    sheet: &str,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<Vec<u8>, SheetError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let worksheet = workbook.add_worksheet();
    worksheet.set_name(sheet)?;
    let bold = Format::new().set_bold();
    for (col, title) in (0u16..).zip(header) {
        worksheet.write_string_with_format(0, col, *title, &bold)?;
    }
    for (row, cells) in (1u32..).zip(rows) {
        for (col, text) in (0u16..).zip(&cells) {
            worksheet.write_string(row, col, text)?;
        }
    }
    Ok(workbook.save_to_buffer()?)
}

/// What can go wrong reading or writing a sheet.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("无法读取表格：{0}")]
    Unreadable(String),
    #[error("表格中没有工作表")]
    NoSheet,
    #[error("无法生成 XLSX：{0}")]
    Write(#[from] rust_xlsxwriter::XlsxError),
}

/// The rows of an uploaded sheet as text, the first row included: the first
/// worksheet of an XLSX/XLS/ODS workbook, or CSV (UTF-8, with or without a BOM)
/// when `file_name` ends in `.csv` or the bytes are not a workbook. Whole numbers
/// read without a decimal point (a mobile number typed as a number stays
/// `13800138000`), cells are trimmed, and fully empty rows are dropped.
pub fn read_rows(file_name: &str, bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    Ok(read_numbered_rows(file_name, bytes)?
        .into_iter()
        .map(|(_, row)| row)
        .collect())
}

/// [`read_rows`] with each row's number as the spreadsheet shows it (the first row is
/// 1; the empty rows that are dropped still count), so that a problem can name the
/// row a person sees.
pub fn read_numbered_rows(
    file_name: &str,
    bytes: &[u8],
) -> Result<Vec<(usize, Vec<String>)>, SheetError> {
    let is_csv = file_name.to_ascii_lowercase().ends_with(".csv");
    let rows = if is_csv || !looks_like_workbook(bytes) {
        read_csv_rows(bytes)?
    } else {
        read_workbook_rows(bytes)?
    };
    Ok(rows
        .into_iter()
        .filter(|(_, row)| row.iter().any(|cell| !cell.is_empty()))
        .collect())
}

/// ZIP (XLSX, ODS) or OLE (XLS) signatures.
fn looks_like_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// The records with the line each starts on (blank lines count, as a spreadsheet
/// shows them).
fn read_csv_rows(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, SheetError> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| {
        SheetError::Unreadable("CSV 文件不是 UTF-8 编码，请在 Excel 中另存为“CSV UTF-8”".into())
    })?;
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    // A spreadsheet shows each record as one row (a quoted cell may span lines) and
    // each blank line as an empty row. The run of line ends just before a record is
    // the previous record's end and the blank lines between them.
    let bytes = text.as_bytes();
    let is_line_end = |b: &&u8| matches!(b, b'\r' | b'\n');
    let mut blank_rows = 0;
    reader
        .records()
        .enumerate()
        .map(|(index, record)| {
            let record = record.map_err(|e| SheetError::Unreadable(e.to_string()))?;
            let from = record
                .position()
                .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(0))
                .min(bytes.len());
            let start = from + bytes[from..].iter().take_while(is_line_end).count();
            let line_ends = bytes[..start]
                .iter()
                .rev()
                .take_while(is_line_end)
                .filter(|b| **b == b'\n')
                .count();
            blank_rows += if index == 0 {
                line_ends
            } else {
                line_ends.saturating_sub(1)
            };
            let cells = record.iter().map(|cell| cell.trim().to_owned()).collect();
            Ok((index + blank_rows + 1, cells))
        })
        .collect()
}

/// The rows of the first worksheet, numbered from the sheet's first used row.
fn read_workbook_rows(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, SheetError> {
    use calamine::{Data, Reader};
    let mut workbook = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| SheetError::Unreadable(e.to_string()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or(SheetError::NoSheet)?
        .map_err(|e| SheetError::Unreadable(e.to_string()))?;
    let first = range.start().map_or(1, |(row, _)| row as usize + 1);
    Ok((first..)
        .zip(range.rows().map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
                    Data::Empty => String::new(),
                    other => other.to_string().trim().to_owned(),
                })
                .collect()
        }))
        .collect())
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

    #[test]
    fn an_xlsx_written_here_reads_back_as_the_same_rows() {
        let rows = vec![
            vec![
                "yn-tax".to_owned(),
                "=cmd".to_owned(),
                "13800138000".to_owned(),
            ],
            vec![String::new(), String::new(), String::new()],
            vec![
                "yn-bank".to_owned(),
                "中国人民银行".to_owned(),
                String::new(),
            ],
        ];
        let bytes = xlsx_bytes("单位", &["代码", "名称", "手机"], rows).unwrap();
        let read = read_rows("units.xlsx", &bytes).unwrap();
        assert_eq!(read[0], ["代码", "名称", "手机"]);
        assert_eq!(read[1], ["yn-tax", "=cmd", "13800138000"]);
        assert_eq!(read[2][..2], ["yn-bank", "中国人民银行"]);
        assert_eq!(read.len(), 3, "the empty row is dropped");
        let numbered = read_numbered_rows("units.xlsx", &bytes).unwrap();
        assert_eq!(numbered[2].0, 4, "numbered as the sheet shows it");
    }

    #[test]
    fn csv_reads_with_or_without_a_bom_and_refuses_other_encodings() {
        let with_bom = csv_bytes(&["代码", "名称"], [vec!["a".into(), " 甲 ".into()]]);
        assert_eq!(read_rows("x.csv", &with_bom).unwrap()[1], ["a", "甲"]);
        assert_eq!(
            read_rows("x.csv", "a,b\n".as_bytes()).unwrap(),
            [["a", "b"]]
        );
        for text in ["代码,名称\n\n,\nb,乙\n", "代码,名称\r\n\r\n,\r\nb,乙"] {
            let numbered = read_numbered_rows("x.csv", text.as_bytes()).unwrap();
            let expected = [(1, ["代码", "名称"]), (4, ["b", "乙"])]
                .map(|(n, row)| (n, row.map(str::to_owned).to_vec()));
            assert_eq!(numbered, expected, "{text:?}");
        }
        // A quoted cell over two lines is one row, as a spreadsheet shows it.
        let text = "a,b\n\"x\ny\",1\nc,2\n\nd,3";
        let numbered = read_numbered_rows("x.csv", text.as_bytes()).unwrap();
        assert_eq!(
            numbered.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            [1, 2, 3, 5]
        );
        let (gbk, _, _) = encoding_rs::GBK.encode("代码,名称\n");
        assert!(matches!(
            read_rows("x.csv", &gbk),
            Err(SheetError::Unreadable(_))
        ));
    }
}
