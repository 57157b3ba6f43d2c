//! Checking how a person can be reached: a Chinese mobile or landline number, and an
//! e-mail address. Numbers are stored in one written form, so that a list of liaisons
//! reads the same whoever typed them.

use super::AccountError;

/// A mobile number (`13800138000`) or a landline with its area code
/// (`0871-65123456`, with an extension `0871-65123456-801`), in that written form;
/// spaces, brackets, full-width digits and a `+86` prefix are accepted as typed.
pub fn normalize_phone(field: &str, typed: &str) -> Result<String, AccountError> {
    let refuse = || {
        AccountError::invalid(
            field,
            format!(
                "电话“{}”格式不正确：应为 11 位手机号（如 13800138000）或带区号的固定电话（如 0871-65123456）",
                typed.trim()
            ),
        )
    };
    let text: String = typed
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '－' | '—' | '–' => '-',
            other => other,
        })
        .collect();
    // An extension after 转, 分机, # or ext, or as a third group of digits.
    let (number, extension) = match text.find(['转', '#']).or_else(|| text.find("分机")) {
        Some(at) => (&text[..at], Some(&text[at..])),
        None => match text.to_ascii_lowercase().find("ext") {
            Some(at) => (&text[..at], Some(&text[at..])),
            None => (text.as_str(), None),
        },
    };
    if !number
        .chars()
        .all(|c| c.is_ascii_digit() || " ()（）+-".contains(c))
    {
        return Err(refuse());
    }
    // A mobile, however grouped, with or without the country code.
    let all: String = number.chars().filter(char::is_ascii_digit).collect();
    let national = match number.trim_start().strip_prefix('+') {
        Some(_) => all.strip_prefix("86").ok_or_else(refuse)?,
        None => all.as_str(),
    };
    if is_mobile(national) {
        return match extension {
            None => Ok(national.to_owned()),
            Some(_) => Err(refuse()),
        };
    }
    let groups: Vec<&str> = number.split('-').filter(|g| !g.trim().is_empty()).collect();
    let (number, extension) = match (groups.len(), extension) {
        (3, None) => (format!("{}{}", groups[0], groups[1]), Some(groups[2])),
        (n, ext) if n <= 2 => (groups.concat(), ext),
        _ => return Err(refuse()),
    };
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let extension = match extension {
        None => None,
        Some(ext) => {
            let ext: String = ext.chars().filter(char::is_ascii_digit).collect();
            if ext.is_empty() || ext.len() > 6 {
                return Err(refuse());
            }
            Some(ext)
        }
    };
    let bytes = digits.as_bytes();
    if bytes.first() != Some(&b'0') || bytes.len() < 3 {
        return Err(refuse());
    }
    // Beijing (010) and the big cities (020–029) have three-digit area codes.
    let area = if matches!(bytes[1], b'1' | b'2') {
        3
    } else {
        4
    };
    let local = &digits[area.min(digits.len())..];
    if !(7..=8).contains(&local.len()) || local.starts_with(['0', '1']) {
        return Err(refuse());
    }
    Ok(match extension {
        Some(ext) => format!("{}-{local}-{ext}", &digits[..area]),
        None => format!("{}-{local}", &digits[..area]),
    })
}

/// Eleven digits starting 13–19.
fn is_mobile(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    bytes.len() == 11
        && bytes.iter().all(u8::is_ascii_digit)
        && bytes[0] == b'1'
        && (b'3'..=b'9').contains(&bytes[1])
}

/// A trimmed e-mail address that looks deliverable, or nothing when left blank.
pub fn optional_email(field: &str, typed: &str) -> Result<Option<String>, AccountError> {
    let email = typed.trim();
    if email.is_empty() {
        return Ok(None);
    }
    if super::users::plausible_email(email) {
        Ok(Some(email.to_owned()))
    } else {
        Err(AccountError::invalid(
            field,
            format!("邮箱地址“{email}”格式不正确，应如 name@example.cn"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(typed: &str) -> Result<String, String> {
        normalize_phone("mobile", typed).map_err(|e| e.to_string())
    }

    #[test]
    fn mobiles_and_landlines_are_written_one_way() {
        assert_eq!(phone("13800138000").unwrap(), "13800138000");
        assert_eq!(phone(" 138 0013 8000 ").unwrap(), "13800138000");
        assert_eq!(phone("+86 138-0013-8000").unwrap(), "13800138000");
        assert_eq!(phone("１３８００１３８０００").unwrap(), "13800138000");
        assert_eq!(phone("0871-65123456").unwrap(), "0871-65123456");
        assert_eq!(phone("(0871) 6512 3456").unwrap(), "0871-65123456");
        assert_eq!(phone("087165123456").unwrap(), "0871-65123456");
        assert_eq!(phone("010-62345678").unwrap(), "010-62345678");
        assert_eq!(phone("02088886666").unwrap(), "020-88886666");
        assert_eq!(phone("0871-65123456-801").unwrap(), "0871-65123456-801");
        assert_eq!(phone("0871-65123456转801").unwrap(), "0871-65123456-801");
    }

    #[test]
    fn anything_else_is_refused_in_words() {
        for bad in [
            "12345",
            "1380013800",
            "138001380001",
            "12800138000",
            "65123456",
            "0871-651",
            "0871-0512345",
            "13800138000转1",
            "tel:13800138000",
            "<script>",
            "+1 415 555 0100",
            "0871-6512-3456-7",
        ] {
            let message = phone(bad).unwrap_err();
            assert!(message.contains("11 位手机号"), "{bad}: {message}");
        }
    }

    #[test]
    fn blank_email_is_none_and_a_bad_one_is_named() {
        assert_eq!(optional_email("email", "  ").unwrap(), None);
        assert_eq!(
            optional_email("email", " a@example.cn ")
                .unwrap()
                .as_deref(),
            Some("a@example.cn")
        );
        let message = optional_email("email", "a@b").unwrap_err().to_string();
        assert!(message.contains("a@b"), "{message}");
    }
}
