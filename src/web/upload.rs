//! Multipart uploads streamed to the file store: bytes go to a staged temp file on a
//! blocking thread as they arrive, so memory stays flat whatever the file size.

use axum::extract::{DefaultBodyLimit, Multipart};
use axum::http::StatusCode;
use std::io::Write;

use super::error::AppError;
use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::app::AppState;
use crate::catalog::{self, FileInfo, ResourceId, write::NewFile};
use crate::content::{self, ContentError, FileKind};

/// Uploads bypass the default 2 MB body limit; each file type has its own limit,
/// checked while streaming.
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::disable()
}

/// Most bytes of a refused upload still read so the client can see the answer.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

fn multipart_error(err: axum::extract::multipart::MultipartError) -> AppError {
    AppError::new(
        err.status(),
        "bad_upload",
        format!("上传内容无法解析：{}", err.body_text()),
    )
}

/// Receives the `file` field, stores it, extracts its text and attaches it. At most
/// `limits.max_uploads` run at once (503 beyond), and a client that stops sending for
/// `limits.upload_idle_timeout` is answered 408.
pub async fn receive_file(
    state: &AppState,
    mut multipart: Multipart,
    id: &ResourceId,
    user: &SessionUser,
) -> Result<FileInfo, AppError> {
    let _permit = state.uploads.clone().try_acquire_owned().map_err(|_| {
        AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "同时进行的上传过多，请稍后再试",
        )
    })?;
    let idle = state.limits.upload_idle_timeout;
    let stalled = || {
        AppError::new(
            StatusCode::REQUEST_TIMEOUT,
            "upload_stalled",
            format!(
                "上传中断：{} 秒内没有收到数据，请检查网络后重试",
                idle.as_secs()
            ),
        )
    };
    let mut field = loop {
        let next = tokio::time::timeout(idle, multipart.next_field())
            .await
            .map_err(|_| stalled())?;
        match next.map_err(multipart_error)? {
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
    // `Some(bytes)` carries data and `None` says the upload ended; a channel closed
    // without `None` (an error, a stall, a dropped request) stores nothing.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Option<axum::body::Bytes>>(8);
    let writer_name = name.clone();
    let writer = tokio::task::spawn_blocking(move || {
        let mut staged = store.stage_with_limit(limit)?;
        loop {
            match rx.blocking_recv() {
                Some(Some(chunk)) => staged.write_all(&chunk)?,
                Some(None) => break,
                None => {
                    return Err(ContentError::Io(std::io::Error::other(
                        "upload ended before its last byte",
                    )));
                }
            }
        }
        let blob = store.commit(staged, &writer_name)?;
        let extraction = content::extract(&store.path_of(&blob.sha256)?, blob.kind);
        Ok::<_, ContentError>((blob, extraction))
    });
    let mut send_failed = false;
    loop {
        let Ok(chunk) = tokio::time::timeout(idle, field.chunk()).await else {
            drop(tx);
            let _ = writer.await;
            return Err(stalled());
        };
        match chunk {
            Ok(Some(chunk)) => {
                if tx.send(Some(chunk)).await.is_err() {
                    // The writer stopped (limit or disk error); its result says why.
                    send_failed = true;
                    break;
                }
            }
            Ok(None) => {
                // The writer may have stopped already; its result says why.
                let _ = tx.send(None).await;
                break;
            }
            Err(err) => {
                drop(tx);
                let _ = writer.await;
                return Err(multipart_error(err));
            }
        }
    }
    drop(tx);
    let stored = writer.await?;
    if send_failed && stored.is_err() {
        // Read on what the client is still sending (within a bound), so that it gets the
        // answer rather than a connection reset in the middle of its request.
        let mut left = DRAIN_LIMIT;
        while let Ok(Ok(Some(chunk))) = tokio::time::timeout(idle, field.chunk()).await {
            left = left.saturating_sub(chunk.len());
            if left == 0 {
                break;
            }
        }
        drop(field);
        while left > 0
            && let Ok(Ok(Some(mut rest))) = tokio::time::timeout(idle, multipart.next_field()).await
        {
            while left > 0
                && let Ok(Ok(Some(chunk))) = tokio::time::timeout(idle, rest.chunk()).await
            {
                left = left.saturating_sub(chunk.len());
            }
        }
    }
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
    let (actor, at) = (Actor::user(user), state.clock.moment());
    let store = state.store.clone();
    let result = state
        .with_conn(move |conn| {
            let file = NewFile {
                blob: &blob,
                original_name: &name,
                extraction: &extraction,
            };
            let file_id = catalog::curation::attach_upload(conn, &actor, &db_id, file, at);
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
            let files = catalog::read::list_files(conn, &db_id)?;
            files
                .into_iter()
                .find(|f| f.id == file_id)
                .ok_or_else(|| AppError::internal("uploaded file vanished"))
        })
        .await?;
    Ok(result)
}
