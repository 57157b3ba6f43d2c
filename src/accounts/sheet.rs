//! Creating many units or accounts at once from a sheet an admin filled in (CSV or
//! XLSX, Chinese headers). The header row says which kind it is. All or nothing: the
//! rows are written in one transaction, and if any row is wrong nothing is kept and
//! every wrong row is reported with its number as the spreadsheet shows it. Accounts
//! get no password: each gets a one-time set-password link, shown once or mailed.

use rusqlite::Connection;

use super::links::{self, IssuedLink, Purpose};
use super::manage::{self, AccountInput};
use super::units::{self, Liaison, UnitDetail, UnitInput};
use super::users::Role;
use super::{AccountError, RowProblem};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;

/// The most data rows one upload may hold.
pub const MAX_SHEET_ROWS: usize = 2000;

/// What a sheet creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetKind {
    Units,
    Accounts,
}

impl SheetKind {
    pub fn label(self) -> &'static str {
        match self {
            SheetKind::Units => "单位",
            SheetKind::Accounts => "账号",
        }
    }

    /// The header row of the template, the required columns first.
    pub fn template_header(self) -> &'static [&'static str] {
        match self {
            SheetKind::Units => &["单位代码", "单位名称", "系统", "联络人", "手机", "邮箱"],
            SheetKind::Accounts => &["用户名", "姓名", "单位代码", "角色", "邮箱"],
        }
    }
}

/// A column of a sheet and the headers it is known by (compared after dropping
/// `*`, `（必填）` and case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Code,
    Name,
    Sector,
    Liaison,
    Mobile,
    Email,
    Username,
    DisplayName,
    Unit,
    Roles,
    /// Notes for the person filling in; read by nobody.
    Ignored,
}

const UNIT_COLUMNS: &[(Column, &[&str])] = &[
    (Column::Code, &["单位代码", "代码", "code"]),
    (Column::Name, &["单位名称", "名称", "name"]),
    (Column::Sector, &["系统", "行业", "系统/行业", "sector"]),
    (
        Column::Liaison,
        &["联络人", "联系人", "联络人姓名", "liaison"],
    ),
    (
        Column::Mobile,
        &["手机", "联络人手机", "联系电话", "电话", "mobile"],
    ),
    (Column::Email, &["邮箱", "电子邮箱", "联络人邮箱", "email"]),
    (Column::Ignored, &["备注", "说明", "序号"]),
];

const ACCOUNT_COLUMNS: &[(Column, &[&str])] = &[
    (Column::Username, &["用户名", "登录名", "username"]),
    (Column::DisplayName, &["姓名", "显示名", "display_name"]),
    (Column::Unit, &["单位代码", "单位", "unit"]),
    (Column::Roles, &["角色", "role", "roles"]),
    (Column::Email, &["邮箱", "电子邮箱", "email"]),
    (Column::Ignored, &["备注", "说明", "序号"]),
];

fn header_key(cell: &str) -> String {
    cell.replace(['*', '＊'], "")
        .replace("（必填）", "")
        .replace("(必填)", "")
        .trim()
        .to_lowercase()
}

/// Which kind a header row is, by its required columns.
fn kind_of(header: &[String]) -> Option<SheetKind> {
    let keys: Vec<String> = header.iter().map(|h| header_key(h)).collect();
    let has = |names: &[&str]| keys.iter().any(|k| names.contains(&k.as_str()));
    if has(&["用户名", "登录名", "username"]) {
        Some(SheetKind::Accounts)
    } else if has(&["单位代码", "代码", "code"]) && has(&["单位名称", "名称", "name"]) {
        Some(SheetKind::Units)
    } else {
        None
    }
}

/// The column of each header cell, or the problems of the header row.
fn columns(
    kind: SheetKind,
    row: usize,
    header: &[String],
) -> Result<Vec<Option<Column>>, Vec<RowProblem>> {
    let known = match kind {
        SheetKind::Units => UNIT_COLUMNS,
        SheetKind::Accounts => ACCOUNT_COLUMNS,
    };
    let mut problems = Vec::new();
    let mut mapped: Vec<Option<Column>> = Vec::new();
    for cell in header {
        let key = header_key(cell);
        let column = known
            .iter()
            .find(|(_, names)| names.contains(&key.as_str()))
            .map(|(column, _)| *column);
        match column {
            None if key.is_empty() => mapped.push(None),
            None => problems.push(RowProblem {
                row,
                message: format!(
                    "不认识的列“{}”；{}表可用的列为：{}",
                    cell.trim(),
                    kind.label(),
                    kind.template_header().join("、")
                ),
            }),
            Some(column) if column != Column::Ignored && mapped.contains(&Some(column)) => {
                problems.push(RowProblem {
                    row,
                    message: format!("列“{}”与前面的列重复", cell.trim()),
                });
                mapped.push(None);
            }
            Some(column) => mapped.push(Some(column)),
        }
    }
    if problems.is_empty() {
        Ok(mapped)
    } else {
        Err(problems)
    }
}

/// What a sheet created.
#[derive(Debug, Clone)]
pub struct Imported {
    pub kind: SheetKind,
    pub units: Vec<UnitDetail>,
    /// Each new account's set-password link (its token is here once).
    pub accounts: Vec<ImportedAccount>,
}

/// An account created from a sheet.
#[derive(Debug, Clone)]
pub struct ImportedAccount {
    pub unit: Option<String>,
    pub roles: Vec<Role>,
    pub link: IssuedLink,
}

/// Rows of a sheet, each with its number as the spreadsheet shows it.
type Rows = [(usize, Vec<String>)];

/// The kind of a sheet, its columns and its data rows; or why it cannot be read.
fn read_header(rows: &Rows) -> Result<(SheetKind, Vec<Option<Column>>, &Rows), AccountError> {
    let Some(((header_row, header), data)) = rows.split_first() else {
        return Err(AccountError::Sheet(
            "表格是空的：第一行应为表头（如 单位代码、单位名称 或 用户名、姓名），下面每行一条"
                .into(),
        ));
    };
    let kind = kind_of(header).ok_or_else(|| {
        AccountError::Sheet(format!(
            "第 {header_row} 行应为表头，但没有找到“单位代码”和“单位名称”（单位表），也没有“用户名”（账号表）。请使用页面上提供的模板。"
        ))
    })?;
    if data.is_empty() {
        return Err(AccountError::Sheet("表格只有表头，没有要导入的行".into()));
    }
    if data.len() > MAX_SHEET_ROWS {
        return Err(AccountError::SheetTooLarge(format!(
            "表格有 {} 行数据，一次最多导入 {MAX_SHEET_ROWS} 行；请拆成几个表格分批导入",
            data.len()
        )));
    }
    let columns = columns(kind, *header_row, header).map_err(AccountError::SheetRows)?;
    Ok((kind, columns, data))
}

/// An admin creates the units or accounts of a sheet (`rows` numbered as the
/// spreadsheet shows them, the header first), all in one transaction, or nothing
/// with every wrong row. `mail_base` as for [`links::issue_link`].
pub fn import_sheet(
    conn: &mut Connection,
    actor: &Actor,
    file_name: &str,
    rows: &Rows,
    mail_base: Option<&str>,
    at: Moment,
) -> Result<Imported, AccountError> {
    if !actor.admin {
        return Err(AccountError::AdminsOnly);
    }
    let (kind, columns, data) = read_header(rows)?;
    let tx = crate::db::begin_write(conn)?;
    let mut problems = Vec::new();
    let mut imported = Imported {
        kind,
        units: Vec::new(),
        accounts: Vec::new(),
    };
    // Keys seen so far, with their row, to name the row a duplicate repeats.
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (row, cells) in data {
        let cell = |wanted: Column| -> String {
            columns
                .iter()
                .position(|c| *c == Some(wanted))
                .and_then(|i| cells.get(i))
                .map(|c| c.trim().to_owned())
                .unwrap_or_default()
        };
        let key = match kind {
            SheetKind::Units => cell(Column::Code),
            SheetKind::Accounts => cell(Column::Username),
        };
        if let Some((_, first)) = seen.iter().find(|(k, _)| !key.is_empty() && *k == key) {
            problems.push(RowProblem {
                row: *row,
                message: format!("“{key}”与第 {first} 行重复"),
            });
            continue;
        }
        seen.push((key, *row));
        let outcome = match kind {
            SheetKind::Units => {
                unit_row(&tx, actor, &cell, at).map(|unit| imported.units.push(unit))
            }
            SheetKind::Accounts => account_row(&tx, actor, &cell, mail_base, at)
                .map(|account| imported.accounts.push(account)),
        };
        match outcome {
            Ok(()) => {}
            Err(err) => match row_message(err) {
                Ok(message) => problems.push(RowProblem { row: *row, message }),
                Err(failure) => return Err(failure),
            },
        }
    }
    if !problems.is_empty() {
        // Dropping the transaction rolls back the rows that were fine.
        return Err(AccountError::SheetRows(problems));
    }
    let count = imported.units.len() + imported.accounts.len();
    AuditEvent::by(actor, AuditAction::SheetImported)
        .detail(format!(
            "{}表“{}”：新建 {count} 个{}",
            kind.label(),
            file_name,
            kind.label()
        ))
        .record(&tx, at)?;
    tx.commit()?;
    Ok(imported)
}

fn unit_row(
    tx: &Connection,
    actor: &Actor,
    cell: &dyn Fn(Column) -> String,
    at: Moment,
) -> Result<UnitDetail, AccountError> {
    let code = cell(Column::Code);
    if code.is_empty() {
        return Err(AccountError::invalid("code", "缺少单位代码"));
    }
    let input = UnitInput {
        name: cell(Column::Name),
        sector: cell(Column::Sector),
        liaison: Liaison {
            name: cell(Column::Liaison),
            mobile: cell(Column::Mobile),
            email: cell(Column::Email),
        },
    };
    units::insert_unit(tx, actor, &code, &input, at)?;
    units::unit_detail(tx, &code)?.ok_or_else(|| AccountError::UnknownUnit(code))
}

fn account_row(
    tx: &Connection,
    actor: &Actor,
    cell: &dyn Fn(Column) -> String,
    mail_base: Option<&str>,
    at: Moment,
) -> Result<ImportedAccount, AccountError> {
    let typed_roles = cell(Column::Roles);
    let mut roles = Vec::new();
    for word in typed_roles
        .split([',', '，', '、', ';', '；', '/', ' '])
        .filter(|w| !w.trim().is_empty())
    {
        match Role::parse_any(word) {
            Some(role) if !roles.contains(&role) => roles.push(role),
            Some(_) => {}
            None => {
                return Err(AccountError::invalid(
                    "role",
                    format!(
                        "角色“{}”无效；应为 借阅人、资料室管理员 或 系统管理员（可填多个，用“、”分隔）",
                        word.trim()
                    ),
                ));
            }
        }
    }
    if roles.is_empty() {
        roles.push(Role::Borrower);
    }
    let unit = Some(cell(Column::Unit)).filter(|u| !u.is_empty());
    let email = cell(Column::Email);
    let input = AccountInput {
        username: cell(Column::Username),
        display_name: cell(Column::DisplayName),
        roles: roles.clone(),
        unit: unit.clone(),
        email: Some(email),
    };
    if input.username.is_empty() {
        return Err(AccountError::invalid("username", "缺少用户名"));
    }
    let id = manage::insert_account(tx, actor, &input, at)?;
    let link = links::issue_in(tx, actor, id, Purpose::Welcome, mail_base, at)?;
    Ok(ImportedAccount { unit, roles, link })
}

/// What to tell the admin about a refused row; failures of ours pass through.
fn row_message(err: AccountError) -> Result<String, AccountError> {
    Ok(match err {
        AccountError::Invalid { message, .. } => message,
        AccountError::UnitExists(code) => format!("单位代码“{code}”已存在"),
        AccountError::UserExists(name) => format!("用户名“{name}”已被使用"),
        AccountError::UnknownUnit(code) => {
            format!("没有代码为“{code}”的单位；请核对单位代码，或先导入单位表")
        }
        other @ (AccountError::Db(_) | AccountError::Open(_) | AccountError::Hash(_)) => {
            return Err(other);
        }
        other => other.to_string(),
    })
}
