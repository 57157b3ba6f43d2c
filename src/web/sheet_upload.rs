//! Reading an uploaded spreadsheet (CSV or XLSX) from a multipart form: the `file`
//! field, bounded in size, refused in words when it is not a table, with the rest of
//! a refused upload read on so the browser sees the answer.

use axum::extract::Multipart;
use axum::http::StatusCode;

use super::upload::{drain_field, drain_rest};

/// A refused upload: the status and a message a person understands.
pub struct SheetRefusal(pub StatusCode, pub String);

/// The `file` field: its name and bytes, at most `max_bytes`; `too_large` says
/// what to do instead (split the sheet, …).
/// A refused file is read on (within a bound) so the browser sees the answer rather
/// than a reset connection; `idle` bounds the wait for each part.
pub async fn read_sheet(
    multipart: &mut Multipart,
    idle: std::time::Duration,
    max_bytes: usize,
    too_large: &str,
) -> Result<(String, Vec<u8>), SheetRefusal> {
    let unreadable = |err: axum::extract::multipart::MultipartError| {
        SheetRefusal(
            err.status(),
            format!("上传内容无法解析：{}", err.body_text()),
        )
    };
    let mut field = loop {
        match multipart.next_field().await.map_err(unreadable)? {
            Some(field) if field.name() == Some("file") => break field,
            Some(_) => continue,
            None => {
                return Err(SheetRefusal(
                    StatusCode::BAD_REQUEST,
                    "请选择要上传的表格文件（XLSX 或 CSV）".into(),
                ));
            }
        }
    };
    let name = field
        .file_name()
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_owned())
        .unwrap_or_default();
    let lower = name.to_lowercase();
    if name.is_empty() {
        return Err(SheetRefusal(
            StatusCode::BAD_REQUEST,
            "请选择要上传的表格文件（XLSX 或 CSV）".into(),
        ));
    }
    if ![".xlsx", ".xls", ".ods", ".csv"]
        .iter()
        .any(|ext| lower.ends_with(ext))
    {
        let left = drain_field(field, idle).await;
        drain_rest(multipart, left, idle).await;
        return Err(SheetRefusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("“{name}”不是表格文件；请上传 Excel（.xlsx）或 CSV（.csv）文件"),
        ));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > max_bytes {
            let left = drain_field(field, idle).await;
            drain_rest(multipart, left, idle).await;
            return Err(SheetRefusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "文件“{name}”超过 {} MB，无法读取；{too_large}",
                    max_bytes / (1024 * 1024)
                ),
            ));
        }
    }
    Ok((name, bytes))
}

/// Whether a workbook (a ZIP) says its parts unpack to more than we read.
pub fn unpacks_too_far(bytes: &[u8], max_unpacked: u64) -> bool {
    let Ok(mut archive) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return false;
    };
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        match archive.by_index_raw(index) {
            Ok(entry) => total = total.saturating_add(entry.size()),
            Err(_) => return true,
        }
    }
    total > max_unpacked
}

/// A visitor list's sheet (`visits::visitor_list`): at most 1 MB, unpacking to at most
/// 16 MB. The API and the visit's page both read it here.
pub async fn read_visitor_sheet(
    multipart: &mut Multipart,
    idle: std::time::Duration,
) -> Result<(String, Vec<u8>), SheetRefusal> {
    let (name, bytes) = read_sheet(
        multipart,
        idle,
        1024 * 1024,
        "一次最多 500 人，请删去多余的工作表后重试",
    )
    .await?;
    if unpacks_too_far(&bytes, 16 * 1024 * 1024) {
        return Err(SheetRefusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            "表格解压后过大，无法读取；请只保留名单所在的工作表".to_owned(),
        ));
    }
    Ok((name, bytes))
}
