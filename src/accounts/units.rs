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
/// transaction.
pub fn create_unit(
    conn: &mut Connection,
    actor: &Actor,
    code: &str,
    name: &str,
    sector: &str,
    at: Moment,
) -> Result<Unit, AccountError> {
    if !actor.admin {
        return Err(AccountError::AdminsOnly);
    }
    validate_code(code)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(AccountError::invalid("name", "单位名称不能为空"));
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM units WHERE code = ?1)",
        [code],
        |r| r.get(0),
    )?;
    if exists {
        return Err(AccountError::UnitExists(code.to_owned()));
    }
    tx.execute(
        "INSERT INTO units (code, name, sector, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![code, name, sector.trim(), at.stamp()],
    )?;
    AuditEvent::by(actor, AuditAction::UnitCreated)
        .detail(code)
        .record(&tx, at)?;
    tx.commit()?;
    Ok(Unit {
        code: code.to_owned(),
        name: name.to_owned(),
        sector: sector.trim().to_owned(),
    })
}

/// All units, by code.
pub fn list_units(conn: &Connection) -> Result<Vec<Unit>, AccountError> {
    let mut stmt = conn.prepare_cached("SELECT code, name, sector FROM units ORDER BY code")?;
    let units = stmt
        .query_map([], |row| {
            Ok(Unit {
                code: row.get(0)?,
                name: row.get(1)?,
                sector: row.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(units)
}

/// Whom librarians call about a unit's loans and visits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
