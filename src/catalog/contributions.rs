//! Units share their own material (SPEC §9): a borrower submits it for the unit, the
//! unit edits it while it is `submitted` or `returned`, withdraws or resubmits it; a
//! librarian returns it with comments or publishes it (`curation`, which asks
//! [`check_publishable`] first). Each step is one transaction with its audit row, the
//! conversation's entry, the privacy check's rescan and the notification.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use super::CatalogError;
use super::curation::{Curated, ResourcePatch, update_resource};
use super::model::{CopiesInput, Kind, ResourceId, ResourceInput, Share, Status};
use super::privacy;
use super::write::{Edit, log_change, upsert_resource};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;

/// The longest comment a librarian sends back with a contribution.
pub const MAX_COMMENT_CHARS: usize = 2_000;

/// A contribution as a unit submits it: the manifest's fields but `files`, the
/// sharing scope and the leadership's approval (SPEC §9).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContributionInput {
    #[serde(default)]
    pub id: Option<String>,
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub sectors: Vec<String>,
    #[serde(default)]
    pub violations: Vec<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub access: Option<String>,
    /// Always `submitted` (the only value accepted).
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub licences: Option<u32>,
    /// Not accepted: the committee registers physical copies itself.
    #[serde(default)]
    pub copies: Option<CopiesInput>,
    #[serde(default)]
    pub duration: Option<u32>,
    #[serde(default)]
    pub pages: Option<u32>,
    /// `all` (default), `sector` or `committee`.
    #[serde(default)]
    pub share: Option<String>,
    /// The unit's leadership approved sharing it; must be `true`.
    #[serde(default)]
    pub declaration: Option<bool>,
}

impl ContributionInput {
    fn into_resource(self) -> Result<(ResourceInput, Share), CatalogError> {
        if self.declaration != Some(true) {
            return Err(CatalogError::invalid(
                "declaration",
                "请确认本单位领导已同意共享该资料（declaration 须为 true）",
            ));
        }
        if self
            .status
            .as_deref()
            .is_some_and(|s| s.trim() != "submitted")
        {
            return Err(CatalogError::invalid(
                "status",
                "投稿提交后由工委审核发布，不能自行设置状态",
            ));
        }
        if self.copies.is_some() {
            return Err(CatalogError::invalid(
                "copies",
                "实体副本由工委登记；投稿请上传电子文件",
            ));
        }
        if Kind::parse(&self.kind)? == Kind::Base {
            return Err(CatalogError::invalid(
                "kind",
                "警示教育基地由工委登记，不能作为投稿提交",
            ));
        }
        let share = match self.share.as_deref() {
            None => Share::All,
            Some(share) => Share::parse(share)?,
        };
        Ok((
            ResourceInput {
                id: self.id,
                kind: self.kind,
                title: self.title,
                summary: self.summary,
                tags: self.tags,
                sectors: self.sectors,
                violations: self.violations,
                region: self.region,
                date: self.date,
                source: self.source,
                access: self.access,
                status: Some(Status::Draft.as_str().to_owned()),
                licences: self.licences,
                copies: None,
                duration: self.duration,
                pages: self.pages,
                files: Vec::new(),
                base: None,
            },
            share,
        ))
    }
}

/// One step of the review's conversation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContributionEvent {
    /// `submitted`, `resubmitted`, `returned`, `published` or `withdrawn`.
    pub action: String,
    pub comments: String,
    pub actor: String,
    pub at: String,
}

/// A contribution in a list: the unit's own page, the review queue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContributionSummary {
    pub id: String,
    pub kind: Kind,
    pub title: String,
    pub status: Status,
    pub share: Share,
    pub contributed_by: String,
    pub unit_name: String,
    /// When it was last sent for review.
    pub submitted_at: Option<String>,
    pub updated_at: String,
    /// Findings of the privacy check, and those neither redacted nor acknowledged.
    pub findings: usize,
    pub open_findings: usize,
    /// The comments of the last return, for the unit to act on.
    pub comments: Option<String>,
}

fn edit_of<'a>(actor: &'a Actor, at: Moment) -> Edit<'a> {
    Edit {
        by: &actor.username,
        at,
    }
}

/// The contributing unit and status of resource `id`; `NotFound` when it is not a
/// contribution.
fn contribution_state(tx: &Connection, id: &ResourceId) -> Result<(String, Status), CatalogError> {
    let row: Option<(Option<String>, String)> = tx
        .query_row(
            "SELECT contributed_by, status FROM resources WHERE id = ?1",
            [id.as_str()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    match row {
        Some((Some(unit), status)) => Ok((unit, Status::parse(&status)?)),
        _ => Err(CatalogError::NotFound(id.to_string())),
    }
}

/// The contribution `id` of the actor's own unit, in a state the unit may change.
fn own_editable(tx: &Connection, actor: &Actor, id: &ResourceId) -> Result<Status, CatalogError> {
    let (unit, status) = contribution_state(tx, id)?;
    if actor.unit.as_deref() != Some(unit.as_str()) {
        // Another unit's submission does not exist for this borrower.
        return Err(if actor.librarian {
            CatalogError::NotYourUnit
        } else {
            CatalogError::NotFound(id.to_string())
        });
    }
    if !status.is_under_review() {
        return Err(CatalogError::WrongState(format!(
            "投稿{}后不能再修改；如需更正请联系工委",
            match status {
                Status::Published => "已发布",
                Status::Withdrawn => "已撤回",
                _ => "已处理",
            }
        )));
    }
    Ok(status)
}

/// Whether `actor` may attach files to resource `id`: librarians always, a borrower
/// to their unit's contribution while it is `submitted` or `returned`.
pub fn check_may_add_files(
    conn: &Connection,
    actor: &Actor,
    id: &ResourceId,
) -> Result<(), CatalogError> {
    if actor.librarian {
        return Ok(());
    }
    match contribution_state(conn, id) {
        Err(CatalogError::NotFound(_)) => Err(CatalogError::LibrariansOnly),
        Err(other) => Err(other),
        Ok(_) => own_editable(conn, actor, id).map(|_| ()),
    }
}

/// Whether resource `id` is a unit's contribution.
pub fn is_contribution(conn: &Connection, id: &ResourceId) -> Result<bool, CatalogError> {
    Ok(contribution_state(conn, id).is_ok())
}

fn record_event(
    tx: &Connection,
    id: &ResourceId,
    action: &str,
    comments: &str,
    actor: &Actor,
    at: Moment,
) -> Result<(), CatalogError> {
    tx.execute(
        "INSERT INTO contribution_events (resource_id, action, comments, actor, at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id.as_str(), action, comments, actor.username, at.stamp()],
    )?;
    Ok(())
}

/// Tells the contributing unit, in-app and by mail.
fn notify_unit(
    tx: &Connection,
    unit: &str,
    id: &ResourceId,
    kind: &str,
    message: &str,
    at: Moment,
) -> Result<(), CatalogError> {
    tx.execute(
        "INSERT INTO notifications (unit_code, resource_id, kind, message, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![unit, id.as_str(), kind, message, at.stamp()],
    )?;
    let subject = match kind {
        "contribution_returned" => "【警示教育资源库】投稿需要修改",
        _ => "【警示教育资源库】投稿已发布",
    };
    let body = crate::loans::notify::mail_body(message, "本单位投稿");
    crate::mail::outbox::enqueue(tx, tx.last_insert_rowid(), unit, subject, &body)?;
    Ok(())
}

/// Mails every active librarian with an address that a contribution awaits review
/// (librarians have no unit, hence no in-app notification: the queue shows it).
fn tell_librarians(tx: &Connection, title: &str, unit: &str) -> Result<(), CatalogError> {
    let mut stmt = tx.prepare_cached(
        "SELECT DISTINCT u.email FROM users u JOIN user_roles r ON r.user_id = u.id
         WHERE r.role = 'librarian' AND u.active = 1 AND u.email IS NOT NULL",
    )?;
    let recipients = stmt
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let unit_name: String = tx
        .query_row("SELECT name FROM units WHERE code = ?1", [unit], |row| {
            row.get(0)
        })
        .optional()?
        .unwrap_or_else(|| unit.to_owned());
    let body = format!(
        "{unit_name} 提交了投稿《{title}》，请在“投稿审核”中审核。\n\n（此邮件由警示教育资源库自动发送）"
    );
    for recipient in recipients {
        crate::mail::outbox::enqueue_to(tx, &recipient, "【警示教育资源库】新投稿待审核", &body)?;
    }
    Ok(())
}

/// A borrower submits material for their unit: a resource with status `submitted`,
/// `contributed_by` the unit; the privacy check runs on its fields.
pub fn submit(
    conn: &mut Connection,
    actor: &Actor,
    input: ContributionInput,
    at: Moment,
) -> Result<ResourceId, CatalogError> {
    let Some(unit) = actor.unit.clone() else {
        return Err(CatalogError::invalid(
            "unit",
            "投稿以单位名义提交，只有单位的借阅人员可以投稿；工委的资料请在编目中新建",
        ));
    };
    let (input, share) = input.into_resource()?;
    let (fields, id, _) = input.checked()?;
    let tx = crate::db::begin_write(conn)?;
    if super::read::load_fields(&tx, &id)?.is_some() {
        return Err(CatalogError::Conflict(format!("编号“{id}”已被使用")));
    }
    let edit = edit_of(actor, at);
    upsert_resource(&tx, &id, &fields, None, &edit)?;
    tx.execute(
        "UPDATE resources SET contributed_by = ?2, share = ?3, declared_at = ?4,
                submitted_at = ?4 WHERE id = ?1",
        params![id.as_str(), unit, share.as_str(), at.stamp()],
    )?;
    super::write::set_status(&tx, id.clone(), Status::Submitted, &edit)?;
    privacy::rescan(&tx, &id)?;
    record_event(&tx, &id, "submitted", "", actor, at)?;
    AuditEvent::by(actor, AuditAction::ContributionSubmitted)
        .resource(id.as_str())
        .detail(format!("共享范围：{}", share.label()))
        .record(&tx, at)?;
    tell_librarians(&tx, &fields.title, &unit)?;
    tx.commit()?;
    Ok(id)
}

/// The unit changes its contribution while it is `submitted` or `returned`; a
/// librarian's change goes through `curation` (which rescans too).
pub fn edit(
    conn: &mut Connection,
    actor: &Actor,
    id: &ResourceId,
    patch: ResourcePatch,
    at: Moment,
) -> Result<Curated, CatalogError> {
    let tx = crate::db::begin_write(conn)?;
    // The committee's own material is curated by librarians only.
    if !is_contribution(&tx, id)? && super::read::load_fields(&tx, id)?.is_some() {
        return Err(CatalogError::LibrariansOnly);
    }
    own_editable(&tx, actor, id)?;
    for (field, present) in [
        ("status", patch.status.is_some()),
        ("copies", patch.copies.is_some()),
        ("base", patch.base.is_some()),
    ] {
        if present {
            return Err(CatalogError::invalid(
                field,
                "投稿只能修改目录信息和共享范围；状态与实体副本由工委处理",
            ));
        }
    }
    let curated = update_resource(&tx, id.clone(), patch, &edit_of(actor, at))?;
    privacy::rescan(&tx, id)?;
    if curated.changed {
        AuditEvent::by(actor, AuditAction::ContributionEdited)
            .resource(id.as_str())
            .record(&tx, at)?;
    }
    tx.commit()?;
    Ok(curated)
}

/// The unit sends a returned contribution back for review.
pub fn resubmit(
    conn: &mut Connection,
    actor: &Actor,
    id: &ResourceId,
    at: Moment,
) -> Result<Curated, CatalogError> {
    let tx = crate::db::begin_write(conn)?;
    if own_editable(&tx, actor, id)? != Status::Returned {
        return Err(CatalogError::WrongState(
            "投稿正在等待审核，无需重新提交".to_owned(),
        ));
    }
    let curated =
        super::write::set_status(&tx, id.clone(), Status::Submitted, &edit_of(actor, at))?;
    tx.execute(
        "UPDATE resources SET submitted_at = ?2 WHERE id = ?1",
        params![id.as_str(), at.stamp()],
    )?;
    record_event(&tx, id, "resubmitted", "", actor, at)?;
    AuditEvent::by(actor, AuditAction::ContributionResubmitted)
        .resource(id.as_str())
        .record(&tx, at)?;
    let title = super::read::load_fields(&tx, id)?
        .map(|f| f.title)
        .unwrap_or_default();
    let unit = actor.unit.clone().unwrap_or_default();
    tell_librarians(&tx, &title, &unit)?;
    tx.commit()?;
    Ok(curated)
}

/// The unit withdraws its contribution before it is published.
pub fn withdraw(
    conn: &mut Connection,
    actor: &Actor,
    id: &ResourceId,
    at: Moment,
) -> Result<Curated, CatalogError> {
    let tx = crate::db::begin_write(conn)?;
    own_editable(&tx, actor, id)?;
    let curated =
        super::write::set_status(&tx, id.clone(), Status::Withdrawn, &edit_of(actor, at))?;
    record_event(&tx, id, "withdrawn", "", actor, at)?;
    AuditEvent::by(actor, AuditAction::ContributionWithdrawn)
        .resource(id.as_str())
        .record(&tx, at)?;
    tx.commit()?;
    Ok(curated)
}

/// A librarian sends a submitted contribution back to its unit with `comments`.
pub fn return_to_unit(
    conn: &mut Connection,
    actor: &Actor,
    id: &ResourceId,
    comments: &str,
    at: Moment,
) -> Result<Curated, CatalogError> {
    if !actor.librarian {
        return Err(CatalogError::LibrariansOnly);
    }
    let comments = comments.trim();
    if comments.is_empty() {
        return Err(CatalogError::invalid("comments", "请写明需要单位修改什么"));
    }
    if comments.chars().count() > MAX_COMMENT_CHARS
        || comments
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r')
    {
        return Err(CatalogError::invalid(
            "comments",
            format!("意见最长 {MAX_COMMENT_CHARS} 个字，且不能含控制字符"),
        ));
    }
    let tx = crate::db::begin_write(conn)?;
    let (unit, status) = contribution_state(&tx, id)?;
    if status != Status::Submitted {
        return Err(CatalogError::WrongState(format!(
            "只有待审核的投稿可以退回修改；该投稿{}",
            status.phrase()
        )));
    }
    let curated = super::write::set_status(&tx, id.clone(), Status::Returned, &edit_of(actor, at))?;
    record_event(&tx, id, "returned", comments, actor, at)?;
    let title = super::read::load_fields(&tx, id)?
        .map(|f| f.title)
        .unwrap_or_default();
    notify_unit(
        &tx,
        &unit,
        id,
        "contribution_returned",
        &format!("投稿《{title}》需要修改：{comments}"),
        at,
    )?;
    AuditEvent::by(actor, AuditAction::ContributionReturned)
        .resource(id.as_str())
        .detail(comments.chars().take(200).collect::<String>())
        .record(&tx, at)?;
    tx.commit()?;
    Ok(curated)
}

/// Before a librarian publishes resource `id`: a contribution with open findings of
/// the privacy check may not be published.
pub(crate) fn check_publishable(tx: &Connection, id: &ResourceId) -> Result<(), CatalogError> {
    if !is_contribution(tx, id)? {
        return Ok(());
    }
    match privacy::open_count(tx, id.as_str())? {
        0 => Ok(()),
        open => Err(CatalogError::PrivacyFindings(open)),
    }
}

/// After a librarian published contribution `id`: the conversation's entry and the
/// unit's notification.
pub(crate) fn published(
    tx: &Transaction<'_>,
    actor: &Actor,
    id: &ResourceId,
    at: Moment,
) -> Result<(), CatalogError> {
    let Ok((unit, _)) = contribution_state(tx, id) else {
        return Ok(());
    };
    record_event(tx, id, "published", "", actor, at)?;
    let title = super::read::load_fields(tx, id)?
        .map(|f| f.title)
        .unwrap_or_default();
    notify_unit(
        tx,
        &unit,
        id,
        "contribution_published",
        &format!("投稿《{title}》已审核发布，感谢分享"),
        at,
    )?;
    AuditEvent::by(actor, AuditAction::ContributionPublished)
        .resource(id.as_str())
        .record(tx, at)?;
    log_change(tx, id, at)
}

/// The conversation of contribution `id` as `actor` may read it: librarians and the
/// contributing unit; anyone else finds no such contribution.
pub fn events_for(
    conn: &Connection,
    actor: &Actor,
    id: &ResourceId,
) -> Result<Vec<ContributionEvent>, CatalogError> {
    let (unit, _) = contribution_state(conn, id)?;
    if !actor.librarian && actor.unit.as_deref() != Some(unit.as_str()) {
        return Err(CatalogError::NotFound(id.to_string()));
    }
    events(conn, id.as_str())
}

/// The conversation of contribution `id`, oldest first.
pub fn events(conn: &Connection, id: &str) -> Result<Vec<ContributionEvent>, CatalogError> {
    let mut stmt = conn.prepare_cached(
        "SELECT action, comments, actor, at FROM contribution_events
         WHERE resource_id = ?1 ORDER BY id",
    )?;
    let events = stmt
        .query_map([id], |row| {
            Ok(ContributionEvent {
                action: row.get(0)?,
                comments: row.get(1)?,
                actor: row.get(2)?,
                at: row.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(events)
}

/// Contributions `actor` may list: a borrower their unit's, a librarian every unit's;
/// `status` narrows. Those awaiting review come oldest first (the review queue), the
/// others newest first.
pub fn list(
    conn: &Connection,
    actor: &Actor,
    status: Option<Status>,
) -> Result<Vec<ContributionSummary>, CatalogError> {
    let unit = match (&actor.unit, actor.librarian) {
        (_, true) => None,
        (Some(unit), false) => Some(unit.clone()),
        (None, false) => return Ok(Vec::new()),
    };
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, r.kind, r.title, r.status, r.share, r.contributed_by, coalesce(u.name, ''),
                r.submitted_at, r.updated_at,
                (SELECT count(*) FROM privacy_findings p WHERE p.resource_id = r.id),
                (SELECT count(*) FROM privacy_findings p WHERE p.resource_id = r.id
                    AND p.ack_reason IS NULL),
                (SELECT e.comments FROM contribution_events e WHERE e.resource_id = r.id
                    AND e.action = 'returned' ORDER BY e.id DESC LIMIT 1)
         FROM resources r LEFT JOIN units u ON u.code = r.contributed_by
         WHERE r.contributed_by IS NOT NULL
           AND (?1 IS NULL OR r.contributed_by = ?1)
           AND (?2 IS NULL OR r.status = ?2)
         ORDER BY CASE WHEN r.status = 'submitted' THEN 0 ELSE 1 END,
                  CASE WHEN r.status = 'submitted' THEN r.submitted_at END ASC,
                  r.updated_at DESC, r.id",
    )?;
    let rows = stmt.query_map(params![unit, status.map(Status::as_str)], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, String>(5)?,
            row.get::<_, String>(6)?,
            row.get::<_, Option<String>>(7)?,
            row.get::<_, String>(8)?,
            row.get::<_, i64>(9)?,
            row.get::<_, i64>(10)?,
            row.get::<_, Option<String>>(11)?,
        ))
    })?;
    let mut found = Vec::new();
    for row in rows {
        let (
            id,
            kind,
            title,
            status,
            share,
            unit,
            unit_name,
            submitted_at,
            updated_at,
            all,
            open,
            comments,
        ) = row?;
        let status = Status::parse(&status)?;
        found.push(ContributionSummary {
            id,
            kind: Kind::parse(&kind)?,
            title,
            status,
            share: Share::parse(&share)?,
            contributed_by: unit,
            unit_name,
            submitted_at,
            updated_at,
            findings: all as usize,
            open_findings: open as usize,
            comments: comments.filter(|_| status == Status::Returned),
        });
    }
    Ok(found)
}

/// How many contributions await a librarian's review (the count beside 投稿审核).
pub fn awaiting_review(conn: &Connection) -> Result<u64, CatalogError> {
    let count: i64 = conn.query_row(
        "SELECT count(*) FROM resources WHERE contributed_by IS NOT NULL AND status = 'submitted'",
        [],
        |row| row.get(0),
    )?;
    Ok(count.max(0) as u64)
}
