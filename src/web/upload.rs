//! Multipart uploads streamed to the file store: bytes go to a staged temp file on a
//! blocking thread as they arrive, so memory stays flat whatever the file size.

use axum::extract::{DefaultBodyLimit, Multipart};
use axum::http::StatusCode;
use std::io::Write;

use super::error::AppError;
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::audit::{self, AuditEvent};
use crate::catalog::{self, FileInfo, ResourceId, write::NewFile};
use crate::content::{self, ContentError, FileKind};

/// Uploads bypass the default 2 MB body limit; each file type has its own limit,
/// checked while streaming.
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::disable()
}

fn multipart_error(err: axum::extract::multipart::MultipartError) -> AppError {
    AppError::new(
        err.status(),
        "bad_upload",
        format!("上传内容无法解析：{}", err.body_text()),
    )
}

/// Receives the `file` field, stores it, extracts its text and attaches it.
pub async fn receive_file(
    state: &AppState,
    mut multipart: Multipart,
    id: &ResourceId,
    user: &SessionUser,
) -> Result<FileInfo, AppError> {
    let mut field = loop {
        match multipart.next_field().await.map_err(multipart_error)? {
            Some(field) if field.name() == Some("file") => break field,
            Some(_) => continue,
            None => return Err(AppError::bad_request("缺少名为 file 的上传文件字段")),
        }
    };
    let name = field
        .file_name()
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| AppError::bad_request("上传的文件缺少文件名"))?;
    // The claimed type bounds the size while streaming; the bytes decide the type.
    let claimed = std::path::Path::new(&name)
        .extension()
        .and_then(|e| e.to_str())
        .and_then(FileKind::from_extension)
        .ok_or_else(|| {
            AppError::from(ContentError::NotAllowed {
                name: name.clone(),
                detected: "未知类型".into(),
            })
        })?;
    let limit = claimed.max_size();

    let store = state.store.clone();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<axum::body::Bytes>(8);
    let writer_name = name.clone();
    let writer = tokio::task::spawn_blocking(move || {
        let mut staged = store.stage_with_limit(limit)?;
        while let Some(chunk) = rx.blocking_recv() {
            staged.write_all(&chunk)?;
        }
        let blob = store.commit(staged, &writer_name)?;
        let extraction = content::extract(&store.path_of(&blob.sha256)?, blob.kind);
        Ok::<_, ContentError>((blob, extraction))
    });
    let mut send_failed = false;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                if tx.send(chunk).await.is_err() {
                    // The writer stopped (limit or disk error); its result says why.
                    send_failed = true;
                    break;
                }
            }
            Ok(None) => break,
            Err(err) => {
                drop(tx);
                let _ = writer.await;
                return Err(multipart_error(err));
            }
        }
    }
    drop(tx);
    let stored = writer.await?;
    let (blob, extraction) = match stored {
        Ok(stored) => stored,
        Err(err) => {
            let err = AppError::from(err);
            if send_failed && err.status == StatusCode::PAYLOAD_TOO_LARGE {
                tracing::info!(file = %name, "upload refused: too large");
            }
            return Err(err);
        }
    };
    let db_id = id.clone();
    let user = user.clone();
    let store = state.store.clone();
    let result = state
        .with_conn(move |conn| {
            let file_id = catalog::curation::add_file(
                conn,
                &db_id,
                NewFile {
                    blob: &blob,
                    original_name: &name,
                    extraction: &extraction,
                },
                &user.username,
            );
            let file_id = match file_id {
                Ok(file_id) => file_id,
                Err(err) => {
                    catalog::import::discard_unreferenced_conn(
                        conn,
                        &store,
                        std::iter::once(&blob),
                    );
                    return Err(AppError::from(err));
                }
            };
            audit::record(
                conn,
                &AuditEvent::by(&user, "file_uploaded")
                    .resource(db_id.as_str())
                    .file(&file_id)
                    .detail(name.clone()),
            )?;
            let files = catalog::read::list_files(conn, &db_id)?;
            files
                .into_iter()
                .find(|f| f.id == file_id)
                .ok_or_else(|| AppError::internal("uploaded file vanished"))
        })
        .await?;
    Ok(result)
}
