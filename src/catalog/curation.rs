//! Curation by librarians: create, patch, publish and withdraw, each a checked step in
//! one transaction with its edit history.

use rusqlite::{Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Deserializer};

use super::CatalogError;
use super::base::BaseInput;
use super::model::{CopiesInput, Kind, ResourceFields, ResourceId, ResourceInput, Status};
use super::write::{Edit, NewFile, Upserted, attach_file, set_status, upsert_resource};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
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
    /// A base's details: only the fields present change (SPEC §8).
    #[serde(default, deserialize_with = "nullable")]
    pub base: Option<Option<BaseInput>>,
    /// A contribution's sharing scope: `all`, `sector` or `committee` (SPEC §9).
    pub share: Option<String>,
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
        base: fields.base.as_ref().map(BaseInput::from),
    }
}

/// A change a librarian makes to the catalogue.
#[derive(Debug)]
pub enum CurationCommand {
    /// A new resource from the manifest's fields (files are uploaded separately);
    /// a draft unless the input says otherwise.
    Create(ResourceInput),
    /// A partial update: only the fields present change.
    Update(ResourceId, ResourcePatch),
    /// Borrowers may see it.
    Publish(ResourceId),
    /// Hidden from borrowers (its loans and history stay).
    Withdraw(ResourceId),
}

impl CurationCommand {
    fn audit_action(&self) -> AuditAction {
        match self {
            CurationCommand::Create(_) => AuditAction::ResourceCreated,
            CurationCommand::Update(..) => AuditAction::ResourceUpdated,
            CurationCommand::Publish(_) => AuditAction::ResourcePublished,
            CurationCommand::Withdraw(_) => AuditAction::ResourceWithdrawn,
        }
    }

    /// Whether borrowers' search must reflect the change before the answer: a
    /// resource that appears or disappears, for everyone or for the units its
    /// sharing scope no longer (or now) reaches.
    pub fn changes_visibility(&self) -> bool {
        match self {
            CurationCommand::Publish(_) | CurationCommand::Withdraw(_) => true,
            CurationCommand::Update(_, patch) => patch.status.is_some() || patch.share.is_some(),
            CurationCommand::Create(input) => input.status.is_some(),
        }
    }
}

/// What a curation command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Curated {
    pub id: ResourceId,
    /// False when the command left the resource as it was.
    pub changed: bool,
}

/// Runs a librarian's catalogue change: the permission, the checks, the write with
/// its edit history and change-log row, and the audit row, in one transaction.
pub fn curate(
    conn: &mut Connection,
    actor: &Actor,
    command: CurationCommand,
    at: Moment,
) -> Result<Curated, CatalogError> {
    if !actor.librarian {
        return Err(CatalogError::LibrariansOnly);
    }
    let action = command.audit_action();
    let tx = crate::db::begin_write(conn)?;
    let edit = Edit {
        by: &actor.username,
        at,
    };
    let curated = match command {
        CurationCommand::Create(input) => create_resource(&tx, input, &edit)?,
        CurationCommand::Update(id, patch) => {
            refuse_review_status(patch.status.as_deref(), &tx, &id)?;
            let curated = update_resource(&tx, id, patch, &edit)?;
            if super::contributions::is_contribution(&tx, &curated.id)? {
                super::privacy::rescan(&tx, &curated.id)?;
            }
            curated
        }
        CurationCommand::Publish(id) => {
            super::contributions::check_publishable(&tx, &id)?;
            let curated = set_status(&tx, id, Status::Published, &edit)?;
            if curated.changed {
                super::contributions::published(&tx, actor, &curated.id, at)?;
            }
            curated
        }
        CurationCommand::Withdraw(id) => set_status(&tx, id, Status::Withdrawn, &edit)?,
    };
    if curated.changed || action != AuditAction::ResourceUpdated {
        AuditEvent::by(actor, action)
            .resource(curated.id.as_str())
            .record(&tx, at)?;
    }
    tx.commit()?;
    Ok(curated)
}

/// Withdraws a resource in the caller's transaction, with its edit history and the
/// audit row, whose `detail` says what became of its loans: the withdrawal of a
/// resource on loan is `loans::withdraw_resource`, which settles the loans in the same
/// transaction and calls this for the catalogue's part.
pub fn withdraw_in(
    tx: &Transaction<'_>,
    actor: &Actor,
    id: ResourceId,
    detail: &str,
    at: Moment,
) -> Result<Curated, CatalogError> {
    if !actor.librarian {
        return Err(CatalogError::LibrariansOnly);
    }
    let edit = Edit {
        by: &actor.username,
        at,
    };
    let curated = set_status(tx, id, Status::Withdrawn, &edit)?;
    AuditEvent::by(actor, AuditAction::ResourceWithdrawn)
        .resource(curated.id.as_str())
        .detail(detail)
        .record(tx, at)?;
    Ok(curated)
}

/// A librarian attaches an uploaded, already stored file, with its audit row, in one
/// transaction; answers the file's id.
pub fn attach_upload(
    conn: &mut Connection,
    actor: &Actor,
    id: &ResourceId,
    file: NewFile<'_>,
    at: Moment,
) -> Result<String, CatalogError> {
    let tx = crate::db::begin_write(conn)?;
    // Librarians, or a unit adding to its own contribution under review.
    super::contributions::check_may_add_files(&tx, actor, id)?;
    let name = file.original_name.to_owned();
    let edit = Edit {
        by: &actor.username,
        at,
    };
    let file_id = attach_file(&tx, id, file, &edit)?;
    if super::contributions::is_contribution(&tx, id)? {
        super::privacy::rescan(&tx, id)?;
    }
    AuditEvent::by(actor, AuditAction::FileUploaded)
        .resource(id.as_str())
        .file(&file_id)
        .detail(name)
        .record(&tx, at)?;
    tx.commit()?;
    Ok(file_id)
}

fn review_status_refused() -> CatalogError {
    CatalogError::invalid(
        "status",
        "“待审核”和“已退回修改”是单位投稿的状态，由投稿与审核操作设置；请用“发布”或“退回修改”",
    )
}

/// A patch may not set a contribution's review states, nor change the status of a
/// contribution under review (publishing checks the privacy findings; returning
/// carries comments).
fn refuse_review_status(
    status: Option<&str>,
    tx: &Transaction<'_>,
    id: &ResourceId,
) -> Result<(), CatalogError> {
    let Some(status) = status else {
        return Ok(());
    };
    let wanted = Status::parse(status)?;
    let current = super::read::load_fields(tx, id)?.map(|f| f.status);
    if wanted.is_under_review()
        || (current.is_some_and(Status::is_under_review) && current != Some(wanted))
    {
        return Err(review_status_refused());
    }
    Ok(())
}

/// Changes a contribution's sharing scope (the committee's own material has none).
fn set_share(
    tx: &Transaction<'_>,
    id: &ResourceId,
    share: &str,
    edit: &Edit<'_>,
) -> Result<(), CatalogError> {
    let share = super::model::Share::parse(share)?;
    let current: Option<String> = tx
        .query_row(
            "SELECT share FROM resources WHERE id = ?1 AND contributed_by IS NOT NULL",
            [id.as_str()],
            |row| row.get(0),
        )
        .optional()?;
    let Some(current) = current else {
        return Err(CatalogError::invalid(
            "share",
            "只有单位投稿才有共享范围；工委自己的资料对所有单位开放",
        ));
    };
    if current != share.as_str() {
        tx.execute(
            "UPDATE resources SET share = ?2, updated_at = ?3 WHERE id = ?1",
            rusqlite::params![id.as_str(), share.as_str(), edit.at.stamp()],
        )?;
        super::write::record_history(
            tx,
            id,
            edit,
            "share",
            &serde_json::json!({"share": [current, share.as_str()]}),
        )?;
        super::write::log_change(tx, id, edit.at)?;
    }
    Ok(())
}

fn create_resource(
    tx: &Transaction<'_>,
    mut input: ResourceInput,
    edit: &Edit<'_>,
) -> Result<Curated, CatalogError> {
    if !input.files.is_empty() {
        return Err(CatalogError::invalid(
            "files",
            "文件请在创建后通过上传接口添加",
        ));
    }
    if input.status.is_none() {
        input.status = Some(Status::Draft.as_str().to_owned());
    }
    if let Some(status) = input.status.as_deref()
        && Status::parse(status)?.is_under_review()
    {
        return Err(review_status_refused());
    }
    let (fields, id, copies) = input.checked()?;
    if super::read::load_fields(tx, &id)?.is_some() {
        return Err(CatalogError::Conflict(format!("编号“{id}”已被使用")));
    }
    upsert_resource(tx, &id, &fields, copies.as_deref(), edit)?;
    Ok(Curated { id, changed: true })
}

pub(crate) fn update_resource(
    tx: &Transaction<'_>,
    id: ResourceId,
    patch: ResourcePatch,
    edit: &Edit<'_>,
) -> Result<Curated, CatalogError> {
    let current =
        super::read::load_fields(tx, &id)?.ok_or_else(|| CatalogError::NotFound(id.to_string()))?;
    let mut input = as_input(&id, &current);
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
        base,
        share,
    } = patch;
    if let Some(share) = share {
        set_share(tx, &id, &share, edit)?;
    }
    if let Some(kind) = kind {
        // A base has sessions and visits, the others loans and copies: neither turns
        // into the other.
        let was_base = current.kind == Kind::Base;
        if Kind::parse(&kind).is_ok_and(|new| (new == Kind::Base) != was_base) {
            return Err(CatalogError::invalid(
                "kind",
                if was_base {
                    "警示教育基地不能改为其他类型；如需其他类型的资源请新建"
                } else {
                    "已有资源不能改为警示教育基地；请新建一个警示教育基地"
                },
            ));
        }
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
    input.base = match (base, input.base) {
        (None, current) => current,
        (Some(None), _) => None,
        (Some(Some(patch)), Some(current)) => Some(current.overlaid(patch)),
        (Some(Some(patch)), None) => Some(patch),
    };
    let fields = input.validate()?;
    let copy_list = input
        .copies
        .as_ref()
        .map(|_| input.copy_list(&id))
        .transpose()?;
    let outcome = upsert_resource(tx, &id, &fields, copy_list.as_deref(), edit)?;
    Ok(Curated {
        id,
        changed: outcome != Upserted::Unchanged,
    })
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
