//! What a new password must be, wherever it is set: account creation (API and
//! command line), an admin's reset, a change of one's own, and `admin` at first start.

use std::collections::HashSet;
use std::sync::LazyLock;

use super::AccountError;

/// The minimum length of a new password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The maximum: long enough for any passphrase, short enough that hashing one is cheap.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// The 10,000 most common passwords (see `common_passwords.py` for the source),
/// lower-case.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .collect()
});

/// Checks a new password for the account `username`; the error names the field
/// `password` and says in words what to change.
pub fn validate_new_password(password: &str, username: &str) -> Result<(), AccountError> {
    let refuse = |message: String| Err(AccountError::invalid("password", message));
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return refuse(format!("密码至少 {MIN_PASSWORD_CHARS} 个字符"));
    }
    if chars > MAX_PASSWORD_CHARS {
        return refuse(format!("密码最长 {MAX_PASSWORD_CHARS} 个字符"));
    }
    if password.trim().is_empty() {
        return refuse("密码不能只有空白".to_owned());
    }
    let folded = password.trim().to_lowercase();
    if folded == username.trim().to_lowercase() {
        return refuse("密码不能与用户名相同".to_owned());
    }
    if COMMON.contains(folded.as_str()) {
        return refuse("这是最常见密码之一，很容易被猜中，请换一个".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(password: &str, username: &str) -> String {
        validate_new_password(password, username)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn the_list_holds_ten_thousand_passwords() {
        assert_eq!(COMMON.len(), 10_000);
        assert!(COMMON.contains("password123") && COMMON.contains("1234567890"));
    }

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        assert_eq!(message("short", "u"), "password: 密码至少 10 个字符");
        assert!(message(&"x".repeat(257), "u").contains("最长 256"));
        assert!(message(&" ".repeat(12), "u").contains("空白"));
        assert!(message("Tax-Officer-1", "tax-officer-1").contains("用户名"));
        assert!(message(" tax-officer-1 ", "tax-officer-1").contains("用户名"));
        assert!(message("PassWord123", "u").contains("常见密码"));
        assert!(message("qwertyuiop", "u").contains("常见密码"));
    }

    #[test]
    fn strong_and_random_passwords_pass() {
        validate_new_password("以案为鉴，警钟要长鸣", "u").unwrap();
        validate_new_password("correct horse battery", "u").unwrap();
        validate_new_password("<script>x</script>", "u").unwrap();
        for _ in 0..100 {
            validate_new_password(&super::super::password::random_password(), "admin").unwrap();
        }
    }
}
