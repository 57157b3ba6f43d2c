//! Units: the central-government units stationed in the province that borrow.

use rusqlite::{Connection, params};
use serde::Serialize;

use super::AccountError;
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;

/// A borrowing unit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Unit {
    pub code: String,
    pub name: String,
    pub sector: String,
    /// A deactivated unit keeps its history; its accounts can neither sign in nor borrow.
    pub active: bool,
}

/// Checks a unit code: lowercase letters, digits and `-`, starting with a letter or digit.
pub fn validate_code(code: &str) -> Result<(), AccountError> {
    let ok = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && code.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(AccountError::invalid(
            "code",
            format!("单位代码“{code}”无效；只能包含小写字母、数字和 -，如 yn-tax"),
        ))
    }
}

/// An admin creates a unit (the code must be new), with its audit row, in one
/// transaction (the command line's `unit add`).
pub fn create_unit(
    conn: &mut Connection,
    actor: &Actor,
    code: &str,
    name: &str,
    sector: &str,
    at: Moment,
) -> Result<Unit, AccountError> {
    let input = UnitInput {
        name: name.to_owned(),
        sector: sector.to_owned(),
        liaison: Liaison::default(),
    };
    add_unit(conn, actor, code, &input, at).map(|detail| detail.unit)
}

/// What an admin types for a unit: everything but its code, which never changes.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UnitInput {
    pub name: String,
    pub sector: String,
    pub liaison: Liaison,
}

impl UnitInput {
    /// Trimmed, with the liaison's numbers in their written form; what is wrong names
    /// its field (`name`, `liaison_mobile`, `liaison_email`).
    pub fn checked(&self) -> Result<UnitInput, AccountError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(AccountError::invalid("name", "单位名称不能为空"));
        }
        if name.chars().count() > 100 {
            return Err(AccountError::invalid("name", "单位名称最长 100 个字符"));
        }
        let sector = self.sector.trim();
        if sector.chars().count() > 50 {
            return Err(AccountError::invalid(
                "sector",
                "系统（行业）最长 50 个字符",
            ));
        }
        let liaison_name = self.liaison.name.trim();
        if liaison_name.chars().count() > 50 {
            return Err(AccountError::invalid(
                "liaison_name",
                "联络人姓名最长 50 个字符",
            ));
        }
        let mobile = match self.liaison.mobile.trim() {
            "" => String::new(),
            typed => super::contact::normalize_phone("liaison_mobile", typed)?,
        };
        let email = super::contact::optional_email("liaison_email", &self.liaison.email)?;
        Ok(UnitInput {
            name: name.to_owned(),
            sector: sector.to_owned(),
            liaison: Liaison {
                name: liaison_name.to_owned(),
                mobile,
                email: email.unwrap_or_default(),
            },
        })
    }
}

/// A unit as admins see it: with its liaison and how many accounts it has.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitDetail {
    #[serde(flatten)]
    pub unit: Unit,
    pub liaison: Liaison,
    /// Accounts of the unit (active or not).
    pub accounts: i64,
    pub created_at: String,
}

/// An admin creates a unit with its liaison (the code must be new), audited, in one
/// transaction.
pub fn add_unit(
    conn: &mut Connection,
    actor: &Actor,
    code: &str,
    input: &UnitInput,
    at: Moment,
) -> Result<UnitDetail, AccountError> {
    if !actor.admin {
        return Err(AccountError::AdminsOnly);
    }
    let tx = crate::db::begin_write(conn)?;
    insert_unit(&tx, actor, code, input, at)?;
    let detail = existing(&tx, code)?;
    tx.commit()?;
    Ok(detail)
}

/// Checks and writes a new unit with its audit row, in the caller's transaction
/// (one unit, or every row of a sheet).
pub(super) fn insert_unit(
    tx: &Connection,
    actor: &Actor,
    code: &str,
    input: &UnitInput,
    at: Moment,
) -> Result<(), AccountError> {
    validate_code(code)?;
    let input = input.checked()?;
    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM units WHERE code = ?1)",
        [code],
        |r| r.get(0),
    )?;
    if exists {
        return Err(AccountError::UnitExists(code.to_owned()));
    }
    tx.execute(
        "INSERT INTO units (code, name, sector, liaison_name, liaison_mobile, liaison_email, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            code,
            input.name,
            input.sector,
            input.liaison.name,
            input.liaison.mobile,
            input.liaison.email,
            at.stamp()
        ],
    )?;
    AuditEvent::by(actor, AuditAction::UnitCreated)
        .detail(code)
        .record(tx, at)?;
    Ok(())
}

/// An admin changes a unit's name, sector and liaison; the audit row lists what
/// changed (nothing changed, nothing recorded).
pub fn update_unit(
    conn: &mut Connection,
    actor: &Actor,
    code: &str,
    input: &UnitInput,
    at: Moment,
) -> Result<UnitDetail, AccountError> {
    if !actor.admin {
        return Err(AccountError::AdminsOnly);
    }
    let input = input.checked()?;
    let tx = crate::db::begin_write(conn)?;
    let before = existing(&tx, code)?;
    let changes = super::described_changes([
        ("名称", &before.unit.name, &input.name),
        ("系统", &before.unit.sector, &input.sector),
        ("联络人", &before.liaison.name, &input.liaison.name),
        ("手机", &before.liaison.mobile, &input.liaison.mobile),
        ("邮箱", &before.liaison.email, &input.liaison.email),
    ]);
    if changes.is_empty() {
        return Ok(before);
    }
    tx.execute(
        "UPDATE units SET name = ?2, sector = ?3, liaison_name = ?4, liaison_mobile = ?5,
                          liaison_email = ?6 WHERE code = ?1",
        params![
            code,
            input.name,
            input.sector,
            input.liaison.name,
            input.liaison.mobile,
            input.liaison.email
        ],
    )?;
    if before.unit.sector != input.sector {
        // What borrowers of either sector may find of the unit's contributions
        // changes with it (SPEC §9): the search index follows the catalogue's log.
        crate::catalog::write::log_unit_contributions(&tx, code, at)?;
    }
    AuditEvent::by(actor, AuditAction::UnitUpdated)
        .detail(format!("{code}：{changes}"))
        .record(&tx, at)?;
    let after = existing(&tx, code)?;
    tx.commit()?;
    Ok(after)
}

/// An admin deactivates a unit (its accounts' sessions end; they can no longer sign
/// in or request loans; its loans and history stay) or reactivates it. Setting the
/// state it already has changes and records nothing.
pub fn set_unit_active(
    conn: &mut Connection,
    actor: &Actor,
    code: &str,
    active: bool,
    at: Moment,
) -> Result<UnitDetail, AccountError> {
    if !actor.admin {
        return Err(AccountError::AdminsOnly);
    }
    let tx = crate::db::begin_write(conn)?;
    let before = existing(&tx, code)?;
    if before.unit.active == active {
        return Ok(before);
    }
    if !active && actor.unit.as_deref() == Some(code) {
        return Err(AccountError::OwnAccount(
            "不能停用自己所在的单位：停用后您将立即退出且无法再登录。如确需停用，请由另一位管理员操作。",
        ));
    }
    tx.execute(
        "UPDATE units SET active = ?2 WHERE code = ?1",
        params![code, active],
    )?;
    let action = if active {
        AuditAction::UnitReactivated
    } else {
        tx.execute(
            "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE unit_code = ?1)",
            [code],
        )?;
        AuditAction::UnitDeactivated
    };
    AuditEvent::by(actor, action).detail(code).record(&tx, at)?;
    let after = existing(&tx, code)?;
    tx.commit()?;
    Ok(after)
}

/// A unit's name and whether it is active; `None` when there is no such unit. Plain
/// SQLite errors, for the modules that ask (loans).
pub fn name_and_state(conn: &Connection, code: &str) -> rusqlite::Result<Option<(String, bool)>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached("SELECT name, active FROM units WHERE code = ?1")?
        .query_row([code], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

/// A unit's sector; `None` when there is no such unit.
pub fn sector_of(conn: &Connection, code: &str) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached("SELECT sector FROM units WHERE code = ?1")?
        .query_row([code], |r| r.get(0))
        .optional()
}

/// Whether unit `code` is active; `None` when there is no such unit.
pub fn is_active(conn: &Connection, code: &str) -> Result<Option<bool>, AccountError> {
    Ok(name_and_state(conn, code)?.map(|(_, active)| active))
}

const DETAIL_SELECT: &str = "SELECT n.code, n.name, n.sector, n.active, n.liaison_name,
        n.liaison_mobile, n.liaison_email, n.created_at,
        (SELECT count(*) FROM users u WHERE u.unit_code = n.code)
     FROM units n";

fn detail_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UnitDetail> {
    Ok(UnitDetail {
        unit: Unit {
            code: row.get(0)?,
            name: row.get(1)?,
            sector: row.get(2)?,
            active: row.get(3)?,
        },
        liaison: Liaison {
            name: row.get(4)?,
            mobile: row.get(5)?,
            email: row.get(6)?,
        },
        created_at: row.get(7)?,
        accounts: row.get(8)?,
    })
}

/// Unit `code`, which must exist.
fn existing(conn: &Connection, code: &str) -> Result<UnitDetail, AccountError> {
    unit_detail(conn, code)?.ok_or_else(|| AccountError::UnknownUnit(code.to_owned()))
}

/// One unit with its liaison and account count, for admins.
pub fn unit_detail(conn: &Connection, code: &str) -> Result<Option<UnitDetail>, AccountError> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(&format!("{DETAIL_SELECT} WHERE n.code = ?1"))?
        .query_row([code], detail_row)
        .optional()?)
}

/// Every unit with its liaison and account count, active ones first, then by code.
pub fn unit_details(conn: &Connection) -> Result<Vec<UnitDetail>, AccountError> {
    let mut stmt =
        conn.prepare_cached(&format!("{DETAIL_SELECT} ORDER BY n.active DESC, n.code"))?;
    let units = stmt.query_map([], detail_row)?.collect::<Result<_, _>>()?;
    Ok(units)
}

/// All units, by code.
pub fn list_units(conn: &Connection) -> Result<Vec<Unit>, AccountError> {
    let mut stmt =
        conn.prepare_cached("SELECT code, name, sector, active FROM units ORDER BY code")?;
    let units = stmt
        .query_map([], |row| {
            Ok(Unit {
                code: row.get(0)?,
                name: row.get(1)?,
                sector: row.get(2)?,
                active: row.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(units)
}

/// Whom librarians call about a unit's loans and visits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Liaison {
    pub name: String,
    pub mobile: String,
    pub email: String,
}

impl Liaison {
    /// Whether nobody has been named yet.
    pub fn is_empty(&self) -> bool {
        self.name.is_empty() && self.mobile.is_empty() && self.email.is_empty()
    }
}

/// The liaison of unit `code`, if the unit exists.
pub fn liaison_of(conn: &Connection, code: &str) -> Result<Option<Liaison>, AccountError> {
    use rusqlite::OptionalExtension;
    let liaison = conn
        .query_row(
            "SELECT liaison_name, liaison_mobile, liaison_email FROM units WHERE code = ?1",
            [code],
            |row| {
                Ok(Liaison {
                    name: row.get(0)?,
                    mobile: row.get(1)?,
                    email: row.get(2)?,
                })
            },
        )
        .optional()?;
    Ok(liaison)
}

/// Every unit's liaison by unit code (for lists that show many units).
pub fn liaisons(
    conn: &Connection,
) -> Result<std::collections::HashMap<String, Liaison>, AccountError> {
    let mut stmt =
        conn.prepare_cached("SELECT code, liaison_name, liaison_mobile, liaison_email FROM units")?;
    let rows = stmt
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                Liaison {
                    name: row.get(1)?,
                    mobile: row.get(2)?,
                    email: row.get(3)?,
                },
            ))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
