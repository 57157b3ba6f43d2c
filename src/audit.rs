//! The audit log: who touched what and when (sign-ins, file access, catalogue changes,
//! loans, holidays, accounts). Each use case writes its row in the transaction of the
//! change it records, stamped with the use case's moment.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::clock::Moment;

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

    /// Appends the event at `at`, in the caller's transaction.
    pub fn record(&self, conn: &Connection, at: Moment) -> rusqlite::Result<()> {
        conn.execute(
            "INSERT INTO audit_log (at, user_id, username, unit_code, action, resource_id, file_id, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                at.stamp(),
                self.user_id,
                self.username,
                self.unit,
                self.action.code(),
                self.resource_id,
                self.file_id,
                self.detail,
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

/// Newest first, at most `limit` (default 100, at most 1000).
pub fn list(conn: &Connection, filter: &AuditFilter) -> rusqlite::Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, username, unit_code, action, resource_id, file_id, detail FROM audit_log
         WHERE (?1 IS NULL OR action = ?1) AND (?2 IS NULL OR username = ?2)
           AND (?3 IS NULL OR unit_code = ?3) AND (?4 IS NULL OR resource_id = ?4)
           AND (?5 IS NULL OR at >= ?5) AND (?6 IS NULL OR at < ?6) AND (?7 IS NULL OR id < ?7)
         ORDER BY id DESC LIMIT ?8",
    )?;
    let limit = filter.limit.unwrap_or(100).clamp(1, 1000);
    stmt.query_map(
        params![
            filter.action,
            filter.username,
            filter.unit,
            filter.resource_id,
            filter.from,
            filter.to,
            filter.before_id,
            limit
        ],
        |row| {
            Ok(AuditEntry {
                id: row.get(0)?,
                at: row.get(1)?,
                username: row.get(2)?,
                unit: row.get(3)?,
                action: row.get(4)?,
                resource_id: row.get(5)?,
                file_id: row.get(6)?,
                detail: row.get(7)?,
            })
        },
    )?
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
