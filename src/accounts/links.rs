//! One-time links to set a password: an admin makes one for an account (a reset, or
//! the first password of an account created without one); its owner opens
//! `/account/reset/{token}` within 24 hours and chooses a password, which spends the
//! link. Only a hash of the token is stored, so the link is shown once (or mailed)
//! and never again; a newer link replaces the older ones of the account.

use rusqlite::{Connection, OptionalExtension, params};

use super::sessions::{random_secret, token_hash};
use super::{AccountError, LinkProblem};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;

/// How long a link may be used, by the library's clock.
pub const LINK_VALID_SECS: i64 = 24 * 60 * 60;

/// Where a link leads, below the site's address.
pub const LINK_PATH: &str = "/account/reset/";

/// Why a link was made (the page's wording differs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// An admin reset the password of an existing account.
    Reset,
    /// A new account sets its first password.
    Welcome,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Reset => "reset",
            Purpose::Welcome => "welcome",
        }
    }

    fn parse(text: &str) -> Self {
        if text == "welcome" {
            Purpose::Welcome
        } else {
            Purpose::Reset
        }
    }
}

/// A link just made: the token is here once, to show or to mail.
#[derive(Debug, Clone)]
pub struct IssuedLink {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub token: String,
    /// When the link stops working.
    pub expires_at: Moment,
    /// The address it was mailed to, when it was.
    pub mailed_to: Option<String>,
}

impl IssuedLink {
    /// The link's path on the site.
    pub fn path(&self) -> String {
        format!("{LINK_PATH}{}", self.token)
    }
}

/// An admin makes a set-password link for account `user_id` (earlier unused links
/// of the account stop working). With `mail_base` (the site's address, when a mail
/// relay is configured) and an e-mail address on the account, the link is mailed
/// rather than shown. Audited, in one transaction.
pub fn issue_link(
    conn: &mut Connection,
    actor: &Actor,
    user_id: i64,
    purpose: Purpose,
    mail_base: Option<&str>,
    at: Moment,
) -> Result<IssuedLink, AccountError> {
    if !actor.admin {
        return Err(AccountError::AdminsOnly);
    }
    let tx = crate::db::begin_write(conn)?;
    let issued = issue_in(&tx, actor, user_id, purpose, mail_base, at)?;
    tx.commit()?;
    Ok(issued)
}

/// [`issue_link`] in the caller's transaction (also for every account of a sheet).
pub(super) fn issue_in(
    tx: &Connection,
    actor: &Actor,
    user_id: i64,
    purpose: Purpose,
    mail_base: Option<&str>,
    at: Moment,
) -> Result<IssuedLink, AccountError> {
    let (username, display_name, email): (String, String, Option<String>) = tx
        .query_row(
            "SELECT username, display_name, email FROM users WHERE id = ?1",
            [user_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or_else(|| AccountError::UnknownUser(user_id.to_string()))?;
    tx.execute(
        "UPDATE password_links SET used_at = ?2 WHERE user_id = ?1 AND used_at IS NULL",
        params![user_id, at.stamp()],
    )?;
    let token = random_secret();
    let expires_at = Moment::at(
        at.instant()
            .checked_add(jiff::SignedDuration::from_secs(LINK_VALID_SECS))
            .unwrap_or(at.instant()),
    );
    tx.execute(
        "INSERT INTO password_links (token_hash, user_id, purpose, created_by, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            token_hash(&token),
            user_id,
            purpose.as_str(),
            actor.username,
            at.stamp(),
            expires_at.unix_seconds()
        ],
    )?;
    let mailed_to = match (mail_base, email) {
        (Some(base), Some(email)) => {
            let (subject, body) = mail_text(&username, &display_name, purpose, base, &token);
            crate::mail::outbox::enqueue_to(tx, &email, &subject, &body)?;
            Some(email)
        }
        _ => None,
    };
    let how = match &mailed_to {
        Some(email) => format!("，已发送至 {email}"),
        None => "，已显示给管理员".to_owned(),
    };
    AuditEvent::by(actor, AuditAction::PasswordLinkIssued)
        .detail(format!("{username}{how}"))
        .record(tx, at)?;
    Ok(IssuedLink {
        user_id,
        username,
        display_name,
        token,
        expires_at,
        mailed_to,
    })
}

fn mail_text(
    username: &str,
    display_name: &str,
    purpose: Purpose,
    base: &str,
    token: &str,
) -> (String, String) {
    let whom = if display_name.is_empty() {
        username
    } else {
        display_name
    };
    let why = match purpose {
        Purpose::Reset => "管理员为您的账号重置了密码",
        Purpose::Welcome => "管理员为您开通了账号",
    };
    let subject = "【警示教育资源库】请设置登录密码".to_owned();
    let body = format!(
        "{whom}，您好：\n\n{why}（用户名：{username}）。请在 24 小时内打开下面的链接设置密码，\
         链接只能使用一次：\n\n{}{LINK_PATH}{token}\n\n如果您没有申请，请忽略本邮件并告知工委资料室。\n",
        base.trim_end_matches('/')
    );
    (subject, body)
}

/// Whose password a usable link sets.
#[derive(Debug, Clone)]
pub struct LinkHolder {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub unit: Option<String>,
    pub purpose: Purpose,
}

/// The account a link sets the password of, if the link can be used at `at`.
pub fn link_holder(conn: &Connection, token: &str, at: Moment) -> Result<LinkHolder, AccountError> {
    /// A link as stored, with its account.
    struct Stored {
        holder: LinkHolder,
        expires_at: i64,
        spent: bool,
        active: bool,
    }
    let stored = conn
        .query_row(
            "SELECT u.id, u.username, u.display_name, u.unit_code, l.purpose, l.expires_at,
                    l.used_at IS NOT NULL, u.active = 1 AND coalesce(n.active, 1) = 1
             FROM password_links l JOIN users u ON u.id = l.user_id
             LEFT JOIN units n ON n.code = u.unit_code
             WHERE l.token_hash = ?1",
            [token_hash(token.trim())],
            |r| {
                Ok(Stored {
                    holder: LinkHolder {
                        user_id: r.get(0)?,
                        username: r.get(1)?,
                        display_name: r.get(2)?,
                        unit: r.get(3)?,
                        purpose: Purpose::parse(&r.get::<_, String>(4)?),
                    },
                    expires_at: r.get(5)?,
                    spent: r.get(6)?,
                    active: r.get(7)?,
                })
            },
        )
        .optional()?
        .ok_or(AccountError::Link(LinkProblem::Unknown))?;
    let problem = if stored.spent {
        LinkProblem::Spent
    } else if at.unix_seconds() >= stored.expires_at {
        LinkProblem::Expired
    } else if !stored.active {
        LinkProblem::AccountDisabled
    } else {
        return Ok(stored.holder);
    };
    Err(AccountError::Link(problem))
}

/// The owner of a link sets their password with it: the link is spent, the
/// account's sessions end and its sign-in failures are forgotten, in one
/// transaction with the audit row. Slow on purpose (argon2): call from a blocking
/// task, behind the hashing gate.
pub fn set_password_by_link(
    conn: &mut Connection,
    token: &str,
    new: &str,
    at: Moment,
) -> Result<LinkHolder, AccountError> {
    let holder = link_holder(conn, token, at)?;
    super::strength::validate_new_password(new, &holder.username)?;
    let hash = super::password::hash_password(new)?;
    let tx = crate::db::begin_write(conn)?;
    // Checked again inside the write: two tabs cannot both spend one link.
    let holder = link_holder(&tx, token, at)?;
    tx.execute(
        "UPDATE password_links SET used_at = ?2 WHERE token_hash = ?1",
        params![token_hash(token.trim()), at.stamp()],
    )?;
    tx.execute(
        "UPDATE users SET password_hash = ?2, password_changed_at = ?3 WHERE id = ?1",
        params![holder.user_id, hash, at.stamp()],
    )?;
    super::sessions::end_all_sessions(&tx, holder.user_id)?;
    super::throttle::forget_account(&tx, &holder.username)?;
    let owner = Actor {
        user_id: Some(holder.user_id),
        username: holder.username.clone(),
        unit: holder.unit.clone(),
        librarian: false,
        admin: false,
    };
    AuditEvent::by(&owner, AuditAction::PasswordSetByLink).record(&tx, at)?;
    tx.commit()?;
    Ok(holder)
}
