//! The audit log: who touched what and when (sign-ins, file access, catalogue changes,
//! loans, holidays, accounts). Each use case writes its row in the transaction of the
//! change it records, stamped with the use case's moment.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::clock::Moment;

mod viewings;
pub use viewings::{AuditRow, VIEWING_GAP_SECONDS, list_viewings};

macro_rules! audit_actions {
    ($($variant:ident => $code:literal, $label:literal;)+) => {
        /// What an audit row records. The code is what the log stores and the API shows.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum AuditAction {
            $($variant,)+
        }

        impl AuditAction {
            pub const ALL: &[AuditAction] = &[$(AuditAction::$variant,)+];

            pub fn code(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $code,)+
                }
            }

            /// The Chinese name shown on the audit page.
            pub fn label(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $label,)+
                }
            }
        }
    };
}

audit_actions! {
    SignIn => "sign_in", "登录";
    SignInFailed => "sign_in_failed", "登录失败";
    FileAccess => "file_access", "查看文件";
    FileUploaded => "file_uploaded", "上传文件";
    ResourceCreated => "resource_created", "新建资源";
    ResourceUpdated => "resource_updated", "修改资源";
    ResourcePublished => "resource_published", "发布资源";
    ResourceWithdrawn => "resource_withdrawn", "撤回资源";
    PasswordChanged => "password_changed", "修改密码";
    PasswordReset => "password_reset", "重置密码";
    UserCreated => "user_created", "新建账号";
    UserEnabled => "user_enabled", "启用账号";
    UserDisabled => "user_disabled", "停用账号";
    UnitCreated => "unit_created", "新建单位";
    HolidaySet => "holiday_set", "设置闭馆日";
    HolidayRemoved => "holiday_removed", "取消闭馆日";
    HolidayNoticeApplied => "holiday_notice_applied", "按放假通知设置全年";
    LoanSettingsChanged => "loan_settings_changed", "修改借阅设置";
    LoanRequested => "loan_requested", "申请借阅";
    LoanWaitlisted => "loan_waitlisted", "排队候补";
    LoanApproved => "loan_approve", "批准借阅";
    LoanRejected => "loan_reject", "驳回借阅";
    LoanIssued => "loan_issue", "发放";
    LoanReturned => "loan_return", "归还";
    LoanRenewed => "loan_renew", "续借";
    LoanCancelled => "loan_cancel", "取消借阅";
    LoanReported => "loan_report", "填报使用情况";
    LoanMoved => "loan_move", "改期";
    LoanActivated => "loan_activate", "借阅生效";
    LoanExpired => "loan_expire", "借阅到期";
    LoanOverdue => "loan_overdue", "逾期";
    LoanPromoted => "loan_promote", "候补转为申请";
    FileReplaced => "file_replaced", "替换文件";
    FileRemoved => "file_removed", "删除文件";
    SubtitleDefaultSet => "subtitle_default_set", "设置默认字幕";
    UnitUpdated => "unit_updated", "修改单位";
    UnitDeactivated => "unit_deactivated", "停用单位";
    UnitReactivated => "unit_reactivated", "恢复单位";
    UserUpdated => "user_updated", "修改账号";
    PasswordLinkIssued => "password_link_issued", "生成设置密码链接";
    PasswordSetByLink => "password_set_by_link", "通过链接设置密码";
    SignInUnlocked => "sign_in_unlocked", "解除登录锁定";
    SheetImported => "sheet_imported", "表格批量导入";
    LoanRecalled => "loan_recall", "召回借阅";
    BaseTemplateAdded => "base_template_added", "设置基地每周场次";
    BaseSessionAdded => "base_session_added", "添加基地场次";
    BaseSessionClosed => "base_session_closed", "场次停止预约";
    BaseSessionCancelled => "base_session_cancelled", "取消基地场次";
    VisitRequested => "visit_requested", "申请参观";
    VisitScheduled => "visit_scheduled", "安排参观场次";
    VisitConfirmed => "visit_confirmed", "确认参观";
    VisitCancelled => "visit_cancelled", "取消参观";
    VisitRejected => "visit_rejected", "不予安排参观";
    VisitReported => "visit_reported", "填报参观情况";
    VisitNoShow => "visit_no_show", "登记参观未到场";
    VisitorIdsDeleted => "visitor_ids_deleted", "到期删除参观人员身份证号";
    VisitProposalApplied => "visit_proposal_applied", "一键排期";
    VisitorListSet => "visitor_list_set", "填写参观人员名单";
    VisitorListExported => "visitor_list_exported", "导出参观人员名单";
    ContributionSubmitted => "contribution_submitted", "提交投稿";
    ContributionEdited => "contribution_edited", "修改投稿";
    ContributionResubmitted => "contribution_resubmitted", "重新提交投稿";
    ContributionWithdrawn => "contribution_withdrawn", "撤回投稿";
    ContributionReturned => "contribution_returned", "退回投稿修改";
    ContributionPublished => "contribution_published", "发布投稿";
    PrivacyFindingAcknowledged => "privacy_finding_acknowledged", "确认脱敏检查发现";
    ContributionRedacted => "contribution_redacted", "生成脱敏副本";
    CalendarFeedRotated => "calendar_feed_rotated", "更换日历订阅地址";
    CollectionCreated => "collection_created", "新建专题";
    LeakTraced => "leak_traced", "追查泄露文件";
    CollectionUpdated => "collection_updated", "修改专题";
    CollectionPublished => "collection_published", "发布专题";
    CollectionWithdrawn => "collection_withdrawn", "撤回专题";
    SavedSearchCreated => "saved_search_created", "保存订阅搜索";
    SavedSearchDeleted => "saved_search_deleted", "删除订阅搜索";
    SearchFeedRotated => "search_feed_rotated", "更换新资源订阅源地址";
    LoanBatchRequested => "loan_batch_requested", "提交借阅清单";
    LoanBatchApproved => "loan_batch_approved", "批量批准借阅清单";
    SeasonsSaved => "seasons_saved", "修改节点日期";
    SeasonReminderSent => "season_reminder_sent", "发送节点提醒";
    SynonymAdded => "synonym_added", "添加检索词典词条";
    SynonymRemoved => "synonym_removed", "删除检索词典词条";
    MachineTextCorrected => "machine_text_corrected", "校对机器识别文本";
    MachineReadingRequested => "machine_reading_requested", "重新机器识别";
}

impl AuditAction {
    /// The action stored as `code`, if it is one of ours.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|action| action.code() == code)
    }

    /// Whether the row records a refusal (shown highlighted).
    pub fn is_refusal(self) -> bool {
        self == AuditAction::SignInFailed
    }
}

/// Something to record.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub unit: Option<String>,
    pub action: AuditAction,
    pub resource_id: Option<String>,
    pub file_id: Option<String>,
    pub detail: String,
}

impl AuditEvent {
    /// An event done by `actor`.
    pub fn by(actor: &Actor, action: AuditAction) -> Self {
        Self {
            user_id: actor.user_id,
            username: Some(actor.username.clone()),
            unit: actor.unit.clone(),
            action,
            resource_id: None,
            file_id: None,
            detail: String::new(),
        }
    }

    /// An event with nobody signed in (a failed sign-in).
    pub fn anonymous(action: AuditAction) -> Self {
        Self {
            user_id: None,
            username: None,
            unit: None,
            action,
            resource_id: None,
            file_id: None,
            detail: String::new(),
        }
    }

    pub fn username(mut self, name: &str) -> Self {
        self.username = Some(name.to_owned());
        self
    }

    pub fn resource(mut self, id: &str) -> Self {
        self.resource_id = Some(id.to_owned());
        self
    }

    pub fn file(mut self, id: &str) -> Self {
        self.file_id = Some(id.to_owned());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    /// Appends the event at `at`, in the caller's transaction. A file access names the
    /// viewing it continues (see [`viewings`]); no row already written changes.
    pub fn record(&self, conn: &Connection, at: Moment) -> rusqlite::Result<()> {
        // On its own (a file access), the row waits its turn like any write.
        let _turn = conn.is_autocommit().then(crate::db::write_turn);
        let viewing = if self.action == AuditAction::FileAccess {
            viewings::continued(conn, self, at)?
        } else {
            None
        };
        conn.execute(
            "INSERT INTO audit_log (at, user_id, username, unit_code, action, resource_id, file_id, detail, viewing)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                at.stamp(),
                self.user_id,
                self.username,
                self.unit,
                self.action.code(),
                self.resource_id,
                self.file_id,
                self.detail,
                viewing,
            ],
        )?;
        Ok(())
    }
}

/// A recorded event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    /// The account, when a signed-in person acted (none for the background task).
    #[serde(skip)]
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub unit: Option<String>,
    pub action: String,
    pub resource_id: Option<String>,
    pub file_id: Option<String>,
    pub detail: String,
}
/// Filters for listing the log; all optional.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub username: Option<String>,
    pub unit: Option<String>,
    pub resource_id: Option<String>,
    /// Inclusive lower bound on `at` (RFC 3339 or a date `YYYY-MM-DD`).
    pub from: Option<String>,
    /// Exclusive upper bound on `at`.
    pub to: Option<String>,
    pub limit: Option<u32>,
    pub before_id: Option<i64>,
}

/// The columns of an [`AuditEntry`], in its order.
const ENTRY_COLUMNS: &str =
    "id, at, user_id, username, unit_code, action, resource_id, file_id, detail";

fn entry_from(row: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        id: row.get(0)?,
        at: row.get(1)?,
        user_id: row.get(2)?,
        username: row.get(3)?,
        unit: row.get(4)?,
        action: row.get(5)?,
        resource_id: row.get(6)?,
        file_id: row.get(7)?,
        detail: row.get(8)?,
    })
}

/// Who acted, as people read it: the background task is 系统 (its steps follow from
/// the date or from someone else's action, and no librarian decided them).
pub fn actor_label(entry: &AuditEntry) -> String {
    match (&entry.username, entry.user_id) {
        (Some(name), None) if name == SYSTEM_NAME => "系统".to_owned(),
        (Some(name), _) => name.clone(),
        (None, _) => String::new(),
    }
}

/// The name the background task acts under (`Actor::system`).
const SYSTEM_NAME: &str = "system";

/// A resource's rows whose detail starts with `prefix` (one loan's, say), oldest
/// first.
pub fn list_about(
    conn: &Connection,
    resource_id: &str,
    prefix: &str,
) -> rusqlite::Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_log
         WHERE resource_id = ?1 AND substr(detail, 1, length(?2)) = ?2 ORDER BY id LIMIT 1000"
    ))?;
    stmt.query_map(params![resource_id, prefix], entry_from)?
        .collect()
}

/// The filter's conditions on the log's rows, over parameters ?1–?6 of
/// [`filter_values`] (?7 is the page's `before_id`, ?8 the limit).
const FILTER_SQL: &str = "(?1 IS NULL OR action = ?1) AND (?2 IS NULL OR username = ?2)
           AND (?3 IS NULL OR unit_code = ?3) AND (?4 IS NULL OR resource_id = ?4)
           AND (?5 IS NULL OR at >= ?5) AND (?6 IS NULL OR at < ?6)";

/// At most this many rows a page, 100 unless the filter says.
fn limit_of(filter: &AuditFilter) -> u32 {
    filter.limit.unwrap_or(100).clamp(1, 1000)
}

/// The parameters ?1–?8 of a filtered, paged read of the log.
fn filter_values<'a>(filter: &'a AuditFilter, limit: &'a u32) -> [&'a dyn rusqlite::ToSql; 8] {
    [
        &filter.action,
        &filter.username,
        &filter.unit,
        &filter.resource_id,
        &filter.from,
        &filter.to,
        &filter.before_id,
        limit,
    ]
}

/// Newest first, at most `limit` (default 100, at most 1000).
pub fn list(conn: &Connection, filter: &AuditFilter) -> rusqlite::Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_log
         WHERE {FILTER_SQL} AND (?7 IS NULL OR id < ?7)
         ORDER BY id DESC LIMIT ?8"
    ))?;
    let limit = limit_of(filter);
    stmt.query_map(filter_values(filter, &limit), entry_from)?
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_read_back() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::from_code(action.code()), Some(*action));
            let same_code = AuditAction::ALL
                .iter()
                .filter(|a| a.code() == action.code());
            assert_eq!(same_code.count(), 1, "{}", action.code());
            assert!(!action.label().is_empty());
        }
        assert_eq!(AuditAction::from_code("loan_fly"), None);
    }
}
