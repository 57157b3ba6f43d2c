//! Import manifests (SPEC §7): `{"resources": [...]}` JSON or CSV with the same
//! fields as columns. Each row is parsed on its own so one bad row does not hide
//! the good ones.

use std::path::Path;

use serde_json::Value;

use super::CatalogError;
use super::base::BaseInput;
use super::model::{CopiesInput, CopyInput, ResourceInput};

/// One row of a manifest: where it is (for error messages) and what it says.
#[derive(Debug)]
pub struct ManifestRow {
    /// `第 3 行` for CSV lines, `第 2 条` for JSON array entries.
    pub position: String,
    pub input: Result<ResourceInput, String>,
}

/// Columns a CSV manifest may have.
const CSV_COLUMNS: &[&str] = &[
    "id",
    "kind",
    "title",
    "summary",
    "tags",
    "sectors",
    "violations",
    "region",
    "date",
    "source",
    "access",
    "status",
    "licences",
    "copies",
    "duration",
    "pages",
    "files",
    // A base's details (SPEC §8), one column per field of the `base` object.
    "base.address",
    "base.directions",
    "base.capacity",
    "base.lead_days",
    "base.max_group",
    "base.requirements",
    "base.contact_name",
    "base.contact_phone",
    "base.needs_visitor_list",
];

/// Reads a manifest; JSON or CSV is chosen by the file extension.
pub fn read_manifest(path: &Path) -> Result<Vec<ManifestRow>, CatalogError> {
    let bytes = std::fs::read(path).map_err(|err| {
        CatalogError::invalid(
            "manifest",
            format!("无法读取清单文件 {}：{err}", path.display()),
        )
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CatalogError::invalid("manifest", "清单文件必须是 UTF-8 编码"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let is_csv = path
        .extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| ext.eq_ignore_ascii_case("csv"));
    if is_csv {
        parse_csv(text)
    } else {
        parse_json(text)
    }
}

/// Parses a JSON manifest; a malformed document fails as a whole, a malformed entry
/// only fails its own row.
pub fn parse_json(text: &str) -> Result<Vec<ManifestRow>, CatalogError> {
    let doc: Value = serde_json::from_str(text).map_err(|err| {
        CatalogError::invalid(
            "manifest",
            format!(
                "清单不是有效的 JSON（第 {} 行第 {} 列）：{err}",
                err.line(),
                err.column()
            ),
        )
    })?;
    let Some(resources) = doc.get("resources").and_then(Value::as_array) else {
        return Err(CatalogError::invalid(
            "manifest",
            "清单应为 {\"resources\": [ … ]} 形式的 JSON 对象",
        ));
    };
    Ok(resources
        .iter()
        .enumerate()
        .map(|(index, entry)| ManifestRow {
            position: format!("第 {} 条（resources[{index}]）", index + 1),
            input: serde_json::from_value::<ResourceInput>(entry.clone())
                .map_err(|err| err.to_string()),
        })
        .collect())
}

fn split_list(cell: &str) -> Vec<String> {
    cell.split([';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_number(column: &str, cell: &str) -> Result<Option<u32>, String> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(None);
    }
    cell.parse()
        .map(Some)
        .map_err(|_| format!("{column}: “{cell}”不是非负整数"))
}

/// Parses a CSV manifest with a header row naming the columns.
pub fn parse_csv(text: &str) -> Result<Vec<ManifestRow>, CatalogError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|err| CatalogError::invalid("manifest", format!("无法读取 CSV 表头：{err}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect::<Vec<_>>();
    if let Some(unknown) = headers.iter().find(|h| !CSV_COLUMNS.contains(&h.as_str())) {
        return Err(CatalogError::invalid(
            "manifest",
            format!(
                "CSV 表头中有未知列“{unknown}”；可用的列：{}",
                CSV_COLUMNS.join(", ")
            ),
        ));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let (line, input) = match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line());
                (line, csv_row(&headers, &record))
            }
            Err(err) => {
                let line = err.position().map_or(0, |p| p.line());
                (line, Err(format!("CSV 格式错误：{err}")))
            }
        };
        rows.push(ManifestRow {
            position: format!("第 {line} 行"),
            input,
        });
    }
    Ok(rows)
}

fn csv_row(headers: &[String], record: &csv::StringRecord) -> Result<ResourceInput, String> {
    if record.len() > headers.len() {
        return Err(format!(
            "该行有 {} 列，多于表头的 {} 列",
            record.len(),
            headers.len()
        ));
    }
    let mut input = ResourceInput::default();
    let mut have_kind = false;
    let mut have_title = false;
    for (header, cell) in headers.iter().zip(record.iter()) {
        let text = || (!cell.trim().is_empty()).then(|| cell.trim().to_owned());
        match header.as_str() {
            "id" => input.id = text(),
            "kind" => {
                have_kind = true;
                input.kind = cell.trim().to_owned();
            }
            "title" => {
                have_title = true;
                input.title = cell.trim().to_owned();
            }
            "summary" => input.summary = text(),
            "tags" => input.tags = split_list(cell),
            "sectors" => input.sectors = split_list(cell),
            "violations" => input.violations = split_list(cell),
            "region" => input.region = text(),
            "date" => input.date = text(),
            "source" => input.source = text(),
            "access" => input.access = text(),
            "status" => input.status = text(),
            "licences" => input.licences = parse_number("licences", cell)?,
            "duration" => input.duration = parse_number("duration", cell)?,
            "pages" => input.pages = parse_number("pages", cell)?,
            "copies" => {
                input.copies = match parse_number("copies", cell) {
                    Ok(Some(count)) => Some(CopiesInput::Count(count)),
                    Ok(None) => None,
                    // Not a number: a `;`-separated list of barcodes.
                    Err(_) => Some(CopiesInput::List(
                        split_list(cell)
                            .into_iter()
                            .map(|barcode| CopyInput {
                                barcode,
                                location: String::new(),
                                condition: None,
                            })
                            .collect(),
                    )),
                }
            }
            "files" => input.files = split_list(cell),
            other => {
                if let Some(field) = other.strip_prefix("base.")
                    && !cell.trim().is_empty()
                {
                    base_cell(input.base.get_or_insert_with(Default::default), field, cell)?;
                }
            }
        }
    }
    if !have_kind {
        return Err("missing field `kind`".into());
    }
    if !have_title {
        return Err("missing field `title`".into());
    }
    Ok(input)
}

/// Sets one field of a base from its CSV cell (not empty).
fn base_cell(base: &mut BaseInput, field: &str, cell: &str) -> Result<(), String> {
    let cell = cell.trim();
    let whole = |column: &str| -> Result<Option<i64>, String> {
        cell.parse()
            .map(Some)
            .map_err(|_| format!("base.{column}: “{cell}”不是整数"))
    };
    match field {
        "address" => base.address = Some(cell.to_owned()),
        "directions" => base.directions = Some(cell.to_owned()),
        "capacity" => base.capacity = whole("capacity")?,
        "lead_days" => base.lead_days = whole("lead_days")?,
        "max_group" => base.max_group = whole("max_group")?,
        "requirements" => base.requirements = Some(cell.to_owned()),
        "contact_name" => base.contact_name = Some(cell.to_owned()),
        "contact_phone" => base.contact_phone = Some(cell.to_owned()),
        "needs_visitor_list" => {
            base.needs_visitor_list = Some(match cell.to_lowercase().as_str() {
                "true" | "1" | "yes" | "是" => true,
                "false" | "0" | "no" | "否" => false,
                _ => {
                    return Err(format!(
                        "base.needs_visitor_list: “{cell}”应为 true 或 false（是或否）"
                    ));
                }
            })
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lists_numbers_and_line_numbers() {
        let text = "id,kind,title,tags,licences,copies,files\n\
                    a-1,case,标题一,八项规定;月饼,3,2,a.md;b.md\n\
                    a-2,video,标题二,,x,,\n";
        let rows = parse_csv(text).unwrap();
        assert_eq!(rows.len(), 2);
        let first = rows[0].input.as_ref().unwrap();
        assert_eq!(first.tags, vec!["八项规定", "月饼"]);
        assert_eq!(first.licences, Some(3));
        assert_eq!(first.copies, Some(CopiesInput::Count(2)));
        assert_eq!(first.files, vec!["a.md", "b.md"]);
        assert_eq!(rows[1].position, "第 3 行");
        assert!(rows[1].input.as_ref().unwrap_err().contains("licences"));
    }

    #[test]
    fn csv_base_columns_make_the_base_object() {
        let text = "kind,title,base.address,base.capacity,base.needs_visitor_list\n\
                    base,基地（示例）,某路 1 号,60,是\n\
                    base,基地二,某路 2 号,很多,否\n\
                    case,案例,,,\n";
        let rows = parse_csv(text).unwrap();
        let base = rows[0].input.as_ref().unwrap().base.clone().unwrap();
        assert_eq!(base.address.as_deref(), Some("某路 1 号"));
        assert_eq!(base.capacity, Some(60));
        assert_eq!(base.needs_visitor_list, Some(true));
        assert!(
            rows[1]
                .input
                .as_ref()
                .unwrap_err()
                .contains("base.capacity")
        );
        assert_eq!(rows[2].input.as_ref().unwrap().base, None);
    }

    #[test]
    fn csv_with_unknown_column_is_refused_whole() {
        let err = parse_csv("kind,title,colour\ncase,x,red\n").unwrap_err();
        assert!(err.to_string().contains("colour"));
    }

    #[test]
    fn json_entries_fail_one_by_one() {
        let rows = parse_json(r#"{"resources":[{"kind":"case","title":"x"},{"kind":"case"},{"kind":"case","title":"y","colour":1}]}"#).unwrap();
        assert!(rows[0].input.is_ok());
        assert!(rows[1].input.as_ref().unwrap_err().contains("title"));
        assert!(rows[2].input.as_ref().unwrap_err().contains("colour"));
        assert!(parse_json("[1,2]").is_err());
        assert!(parse_json("{").is_err());
    }
}
