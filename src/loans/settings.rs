//! Per-resource loan settings: auto-approval, the limits that keep one unit from
//! holding a resource against every other unit (issue 14) — how many open requests a
//! unit may have on it, and how long one loan may last in each format, renewals
//! included — and how many days before its start a physical copy may be handed out
//! (issue 15). A resource without a row uses the defaults.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::LoanError;
use super::days::length_days;
use super::model::{Actor, Format};
use super::request::MAX_LOAN_DAYS;
use super::store;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;

/// The most open requests a librarian may allow one unit on one resource.
pub const MAX_OPEN_CEILING: u32 = 1000;

/// The most days before its start that a physical copy may be handed out.
pub const MAX_ISSUE_LEAD_DAYS: u32 = 30;

/// A resource's loan settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LoanSettings {
    /// Requests that fit are approved at once.
    pub auto_approve: bool,
    /// Open loans (requested, waitlisted, approved, active, overdue) one unit may
    /// hold on the resource, both formats together.
    pub max_open_per_unit: u32,
    /// The longest digital loan in days, renewals included.
    pub max_days_digital: u32,
    /// The longest physical loan in days, renewals included.
    pub max_days_physical: u32,
    /// How many days before its start a physical copy may be handed out (0: only
    /// from the start date).
    pub issue_lead_days: u32,
}

impl Default for LoanSettings {
    fn default() -> Self {
        Self {
            auto_approve: false,
            max_open_per_unit: 1,
            max_days_digital: 30,
            max_days_physical: 60,
            issue_lead_days: 3,
        }
    }
}

impl LoanSettings {
    pub fn max_days(&self, format: Format) -> u32 {
        match format {
            Format::Digital => self.max_days_digital,
            Format::Physical => self.max_days_physical,
        }
    }
}

/// A change of settings; a field left out stays as it is. The numbers are taken as
/// any JSON value so that a huge, negative or non-numeric one is answered in words.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SettingsChange {
    pub auto_approve: Option<bool>,
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub max_open_per_unit: Option<Value>,
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 92)]
    pub max_days_digital: Option<Value>,
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 92)]
    pub max_days_physical: Option<Value>,
    #[schema(value_type = Option<u32>, minimum = 0, maximum = 30)]
    pub issue_lead_days: Option<Value>,
}

/// A whole number from `min` to `max`, or a message naming the setting.
fn bounded(
    field: &str,
    what: &str,
    value: Option<&Value>,
    old: u32,
    (min, max): (u32, u32),
) -> Result<u32, LoanError> {
    let Some(value) = value else { return Ok(old) };
    value
        .as_u64()
        .filter(|n| (u64::from(min)..=u64::from(max)).contains(n))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| LoanError::invalid(field, format!("{what}应为 {min} 到 {max} 之间的整数")))
}

impl SettingsChange {
    fn applied_to(&self, old: LoanSettings) -> Result<LoanSettings, LoanError> {
        let days = MAX_LOAN_DAYS as u32;
        Ok(LoanSettings {
            auto_approve: self.auto_approve.unwrap_or(old.auto_approve),
            max_open_per_unit: bounded(
                "max_open_per_unit",
                "每个单位最多未结束的借阅数",
                self.max_open_per_unit.as_ref(),
                old.max_open_per_unit,
                (1, MAX_OPEN_CEILING),
            )?,
            max_days_digital: bounded(
                "max_days_digital",
                "数字借阅最长天数",
                self.max_days_digital.as_ref(),
                old.max_days_digital,
                (1, days),
            )?,
            max_days_physical: bounded(
                "max_days_physical",
                "实体借阅最长天数",
                self.max_days_physical.as_ref(),
                old.max_days_physical,
                (1, days),
            )?,
            issue_lead_days: bounded(
                "issue_lead_days",
                "提前出借天数",
                self.issue_lead_days.as_ref(),
                old.issue_lead_days,
                (0, MAX_ISSUE_LEAD_DAYS),
            )?,
        })
    }
}

/// The settings of a resource (the defaults when none were set).
pub(crate) fn settings_of(conn: &Connection, resource_id: &str) -> Result<LoanSettings, LoanError> {
    Ok(conn
        .query_row(
            "SELECT auto_approve, max_open_per_unit, max_days_digital, max_days_physical,
                    issue_lead_days
               FROM loan_settings WHERE resource_id = ?1",
            [resource_id],
            |row| {
                Ok(LoanSettings {
                    auto_approve: row.get(0)?,
                    max_open_per_unit: row.get(1)?,
                    max_days_digital: row.get(2)?,
                    max_days_physical: row.get(3)?,
                    issue_lead_days: row.get(4)?,
                })
            },
        )
        .optional()?
        .unwrap_or_default())
}

/// Whether librarians set the resource to approve requests that fit by themselves.
pub fn auto_approves(conn: &Connection, resource_id: &str) -> Result<bool, LoanError> {
    Ok(settings_of(conn, resource_id)?.auto_approve)
}

/// A resource's loan settings, for a user who may see the resource.
pub fn loan_settings(
    conn: &Connection,
    actor: &Actor,
    resource_id: &str,
) -> Result<LoanSettings, LoanError> {
    store::visible_title(conn, actor, resource_id)?;
    settings_of(conn, resource_id)
}

/// A librarian changes a resource's loan settings; the audit row names each change.
pub fn change_loan_settings(
    conn: &mut Connection,
    actor: &Actor,
    resource_id: &str,
    change: SettingsChange,
    at: Moment,
) -> Result<LoanSettings, LoanError> {
    if !actor.librarian {
        return Err(LoanError::LibrariansOnly {
            task: "修改借阅设置",
        });
    }
    store::write(conn, |tx| {
        store::visible_title(tx, actor, resource_id)?;
        let old = settings_of(tx, resource_id)?;
        let new = change.applied_to(old)?;
        tx.execute(
            "INSERT INTO loan_settings
                    (resource_id, auto_approve, max_open_per_unit, max_days_digital, max_days_physical,
              issue_lead_days)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (resource_id) DO UPDATE SET
                    auto_approve = excluded.auto_approve,
                    max_open_per_unit = excluded.max_open_per_unit,
                    max_days_digital = excluded.max_days_digital,
                    max_days_physical = excluded.max_days_physical,
                    issue_lead_days = excluded.issue_lead_days",
            params![
                resource_id,
                new.auto_approve,
                new.max_open_per_unit,
                new.max_days_digital,
                new.max_days_physical,
                new.issue_lead_days
            ],
        )?;
        AuditEvent::by(actor, AuditAction::LoanSettingsChanged)
            .resource(resource_id)
            .detail(describe_change(&old, &new))
            .record(tx, at)?;
        Ok(new)
    })
}

/// Sets only a resource's auto-approval (see [`change_loan_settings`]).
pub fn set_auto_approve(
    conn: &mut Connection,
    actor: &Actor,
    resource_id: &str,
    on: bool,
    at: Moment,
) -> Result<(), LoanError> {
    let change = SettingsChange {
        auto_approve: Some(on),
        ..SettingsChange::default()
    };
    change_loan_settings(conn, actor, resource_id, change, at).map(|_| ())
}

/// `设置 旧 → 新` for each setting that changed, in words (the audit page shows it).
fn describe_change(old: &LoanSettings, new: &LoanSettings) -> String {
    let yes_no = |on: bool| if on { "是" } else { "否" }.to_owned();
    let pairs = [
        (
            "自动批准",
            yes_no(old.auto_approve),
            yes_no(new.auto_approve),
        ),
        (
            "每个单位未结束的借阅上限",
            old.max_open_per_unit.to_string(),
            new.max_open_per_unit.to_string(),
        ),
        (
            "数字借阅最长天数",
            old.max_days_digital.to_string(),
            new.max_days_digital.to_string(),
        ),
        (
            "实体借阅最长天数",
            old.max_days_physical.to_string(),
            new.max_days_physical.to_string(),
        ),
        (
            "提前出借天数",
            old.issue_lead_days.to_string(),
            new.issue_lead_days.to_string(),
        ),
    ];
    let changed: Vec<String> = pairs
        .iter()
        .filter(|(_, old, new)| old != new)
        .map(|(name, old, new)| format!("{name} {old} → {new}"))
        .collect();
    if changed.is_empty() {
        "未改变".to_owned()
    } else {
        changed.join("；")
    }
}

/// Refuses a request when the unit already holds as many open loans of the resource
/// as allowed. Runs in the request's write transaction, so two simultaneous
/// requests of one unit cannot both pass. A loan whose period is over counts only
/// while a physical copy is still out: the rest are lapsed or expired, even before
/// the background sweep has written so.
pub(crate) fn check_open_limit(
    tx: &Connection,
    settings: &LoanSettings,
    resource_id: &str,
    unit: &str,
    today: jiff::civil::Date,
) -> Result<(), LoanError> {
    let open: u32 = tx.query_row(
        // The unit's open loans of the resource only, not everything it ever borrowed,
        // and counted only up to the limit: whether it is reached is the question.
        "SELECT count(*) FROM (
           SELECT 1 FROM loans INDEXED BY loans_open_by_unit
           WHERE resource_id = ?1 AND unit_code = ?2
             AND status IN ('requested', 'waitlisted', 'approved', 'active', 'overdue')
             AND (status = 'overdue'
                  OR (status = 'active' AND format = 'physical')
                  OR (status IN ('requested', 'waitlisted', 'approved', 'active')
                      AND end_date >= ?3))
           LIMIT ?4)",
        params![
            resource_id,
            unit,
            today.to_string(),
            settings.max_open_per_unit
        ],
        |row| row.get(0),
    )?;
    if open >= settings.max_open_per_unit {
        return Err(LoanError::TooManyOpen {
            unit: unit.to_owned(),
            open,
            limit: settings.max_open_per_unit,
        });
    }
    Ok(())
}

/// Refuses a period longer than the resource allows for the format.
pub(crate) fn check_length(
    settings: &LoanSettings,
    format: Format,
    start: jiff::civil::Date,
    end: jiff::civil::Date,
) -> Result<(), LoanError> {
    let asked = length_days(start, end);
    let max = settings.max_days(format);
    if asked > i64::from(max) {
        return Err(LoanError::TooLong {
            format: format.label(),
            asked,
            max,
        });
    }
    Ok(())
}
