//! Curation by librarians: create, patch, publish and withdraw, each a checked step in
//! one transaction with its edit history.

use rusqlite::{Connection, TransactionBehavior};
use serde::{Deserialize, Deserializer};

use super::CatalogError;
use super::model::{CopiesInput, ResourceFields, ResourceId, ResourceInput, Status};
use super::write::{NewFile, Upserted, attach_file, set_status, upsert_resource};

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A partial update: only the fields present change; `null` clears a nullable field.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourcePatch {
    pub kind: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub tags: Option<Vec<String>>,
    pub sectors: Option<Vec<String>>,
    pub violations: Option<Vec<String>>,
    pub region: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub date: Option<Option<String>>,
    pub source: Option<String>,
    pub access: Option<String>,
    pub status: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub licences: Option<Option<u32>>,
    pub copies: Option<CopiesInput>,
    #[serde(default, deserialize_with = "nullable")]
    pub duration: Option<Option<u32>>,
    #[serde(default, deserialize_with = "nullable")]
    pub pages: Option<Option<u32>>,
}

fn as_input(id: &ResourceId, fields: &ResourceFields) -> ResourceInput {
    ResourceInput {
        id: Some(id.to_string()),
        kind: fields.kind.as_str().to_owned(),
        title: fields.title.clone(),
        summary: Some(fields.summary.clone()),
        tags: fields.tags.clone(),
        sectors: fields.sectors.clone(),
        violations: fields.violations.clone(),
        region: Some(fields.region.clone()),
        date: fields.date.as_ref().map(|d| d.text.clone()),
        source: Some(fields.source.clone()),
        access: Some(fields.access.as_str().to_owned()),
        status: Some(fields.status.as_str().to_owned()),
        licences: fields.licences,
        copies: None,
        duration: fields.duration_seconds,
        pages: fields.pages,
        files: Vec::new(),
    }
}

/// Creates a resource from API input (no files: those are uploaded separately).
/// New resources start as drafts unless the input says otherwise.
pub fn create_resource(
    conn: &mut Connection,
    mut input: ResourceInput,
    actor: &str,
) -> Result<ResourceId, CatalogError> {
    if !input.files.is_empty() {
        return Err(CatalogError::invalid(
            "files",
            "文件请在创建后通过上传接口添加",
        ));
    }
    if input.status.is_none() {
        input.status = Some(Status::Draft.as_str().to_owned());
    }
    let fields = input.validate()?;
    let id = match &input.id {
        Some(id) => ResourceId::parse(id.trim())?,
        None => ResourceId::generate(fields.kind),
    };
    let copies = input
        .copies
        .as_ref()
        .map(|_| input.copy_list(&id))
        .transpose()?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if super::read::load_fields(&tx, &id)?.is_some() {
        return Err(CatalogError::Conflict(format!("编号“{id}”已被使用")));
    }
    upsert_resource(&tx, &id, &fields, copies.as_deref(), actor)?;
    tx.commit()?;
    Ok(id)
}

/// Applies a partial update; returns whether anything changed.
pub fn update_resource(
    conn: &mut Connection,
    id: &ResourceId,
    patch: ResourcePatch,
    actor: &str,
) -> Result<bool, CatalogError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current =
        super::read::load_fields(&tx, id)?.ok_or_else(|| CatalogError::NotFound(id.to_string()))?;
    let mut input = as_input(id, &current);
    let ResourcePatch {
        kind,
        title,
        summary,
        tags,
        sectors,
        violations,
        region,
        date,
        source,
        access,
        status,
        licences,
        copies,
        duration,
        pages,
    } = patch;
    if let Some(kind) = kind {
        input.kind = kind;
    }
    if let Some(title) = title {
        input.title = title;
    }
    input.summary = summary.or(input.summary);
    input.tags = tags.unwrap_or(input.tags);
    input.sectors = sectors.unwrap_or(input.sectors);
    input.violations = violations.unwrap_or(input.violations);
    input.region = region.or(input.region);
    input.date = date.unwrap_or(input.date);
    input.source = source.or(input.source);
    input.access = access.or(input.access);
    input.status = status.or(input.status);
    input.licences = licences.unwrap_or(input.licences);
    input.duration = duration.unwrap_or(input.duration);
    input.pages = pages.unwrap_or(input.pages);
    input.copies = copies;
    let fields = input.validate()?;
    let copy_list = input
        .copies
        .as_ref()
        .map(|_| input.copy_list(id))
        .transpose()?;
    let outcome = upsert_resource(&tx, id, &fields, copy_list.as_deref(), actor)?;
    tx.commit()?;
    Ok(outcome != Upserted::Unchanged)
}

/// Attaches an uploaded, already stored file.
pub fn add_file(
    conn: &mut Connection,
    id: &ResourceId,
    file: NewFile<'_>,
    actor: &str,
) -> Result<String, CatalogError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let file_id = attach_file(&tx, id, file, actor)?;
    tx.commit()?;
    Ok(file_id)
}

/// Makes a resource visible to borrowers.
pub fn publish(conn: &mut Connection, id: &ResourceId, actor: &str) -> Result<(), CatalogError> {
    set_status(conn, id, Status::Published, actor)
}

/// Hides a resource from borrowers (its loans and history stay).
pub fn withdraw(conn: &mut Connection, id: &ResourceId, actor: &str) -> Result<(), CatalogError> {
    set_status(conn, id, Status::Withdrawn, actor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_tells_absent_from_null() {
        let patch: ResourcePatch =
            serde_json::from_str(r#"{"licences": null, "title": "新"}"#).unwrap();
        assert_eq!(patch.licences, Some(None));
        assert_eq!(patch.date, None);
        assert!(serde_json::from_str::<ResourcePatch>(r#"{"colour": 1}"#).is_err());
        assert!(serde_json::from_str::<ResourcePatch>(r#"{"licences": "many"}"#).is_err());
    }
}
