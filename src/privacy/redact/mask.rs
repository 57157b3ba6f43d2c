//! What each kind of personal data becomes in a redacted copy. A mask keeps only what
//! cannot identify anyone (a region, an area code, the last digits) and hides at least
//! as much as it shows; separators keep their places so the layout stays readable.

use super::Redaction;
use crate::privacy::FindingKind;

/// The mask of one finding's text.
pub fn mask(kind: FindingKind, text: &str, how: Redaction) -> String {
    match kind {
        FindingKind::PersonName => mask_name(text, how),
        FindingKind::IdNumber => crate::visits::id_number::mask(text),
        FindingKind::Mobile => mask_mobile(text),
        FindingKind::Landline => mask_landline(text),
        FindingKind::BankCard => mask_digits(text, |i, n| i + 4 >= n),
        FindingKind::Email => mask_email(text),
        FindingKind::Plate => mask_plate(text),
    }
}

/// What stands for a name, after the surname when that is kept.
const NAME_MASK: &str = "某某";

/// Two-character surnames (复姓) of the 百家姓 and those still common today.
const COMPOUND_SURNAMES: [&str; 64] = [
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "令狐", "尉迟", "公孙", "长孙", "宇文",
    "夏侯", "轩辕", "司徒", "司空", "端木", "南宫", "西门", "独孤", "百里", "呼延", "澹台", "公冶",
    "宗政", "濮阳", "淳于", "单于", "太叔", "申屠", "闻人", "万俟", "赫连", "拓跋", "钟离", "第五",
    "左丘", "东郭", "梁丘", "羊舌", "微生", "公羊", "谷梁", "乐正", "漆雕", "壤驷", "公良", "巫马",
    "仲孙", "叔孙", "鲜于", "闾丘", "亓官", "司寇", "子车", "颛孙", "段干", "夹谷", "宰父", "公西",
    "东门", "归海", "羊角", "呼衍",
];

/// 王建国 → 某某, or 王某某 when the surname is kept (欧阳明 → 欧阳某某). A name that is
/// not written in Chinese characters, or a single character, keeps nothing.
fn mask_name(name: &str, how: Redaction) -> String {
    let surname = how.keep_surname.then(|| surname(name.trim())).flatten();
    format!("{}{NAME_MASK}", surname.unwrap_or_default())
}

fn surname(name: &str) -> Option<&str> {
    let first = name.chars().next().filter(|c| is_han(*c))?;
    let length = name.chars().count();
    if length < 2 {
        return None;
    }
    // A compound surname needs a given name after it: 欧阳 alone is 欧 + 阳.
    if length > 2
        && let Some(compound) = COMPOUND_SURNAMES.iter().find(|s| name.starts_with(**s))
    {
        return Some(compound);
    }
    Some(&name[..first.len_utf8()])
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{20000}'..='\u{2ebef}')
}

/// ASCII or full-width digits: what the digit masks count and hide.
fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// `text` with each digit hidden unless `keep(its position among the digits, how many
/// digits there are)`; every other character stays where it is.
fn mask_digits(text: &str, keep: impl Fn(usize, usize) -> bool) -> String {
    let total = text.chars().filter(|c| is_digit(*c)).count();
    let mut seen = 0;
    text.chars()
        .map(|c| {
            if !is_digit(c) {
                return c;
            }
            seen += 1;
            if keep(seen - 1, total) { c } else { '*' }
        })
        .collect()
}

/// 138 1234 5678 → 138 **** 5678: of the last eleven digits the middle four are hidden
/// (a +86 before them stays). Fewer digits than a mobile number: all but the last four.
fn mask_mobile(text: &str) -> String {
    mask_digits(text, |i, n| match n.checked_sub(11) {
        Some(prefix) => i < prefix + 3 || i >= prefix + 7,
        None => i + 4 >= n,
    })
}

/// 0871-63101234 → 0871-******34: the area code (and a +86 or 0086) kept, the number
/// hidden but for its last two digits. Too short to show that much: all hidden.
fn mask_landline(text: &str) -> String {
    let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
    let country = if text.trim_start().starts_with("+86") {
        2
    } else if digits.starts_with("0086") {
        4
    } else {
        0
    };
    let national = &digits[country.min(digits.len())..];
    // Beijing (010) and the 02x cities have three-digit area codes, the rest four;
    // after a country code the leading 0 is dropped.
    let short_area = national.starts_with("010") || national.starts_with("02");
    let area = match (country > 0, national.starts_with('0')) {
        (false, true) if short_area => 3,
        (false, true) => 4,
        (false, false) => 0,
        (true, _) if national.starts_with('1') || national.starts_with('2') => 2,
        (true, _) => 3,
    };
    let kept = country + area;
    mask_digits(text, |i, n| n >= kept + 6 && (i < kept || i + 2 >= n))
}

/// zhangsan@example.com → z***@example.com. A one-letter mailbox shows nothing of itself.
fn mask_email(text: &str) -> String {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return "***".to_owned();
    };
    let mut chars = local.chars();
    let first = match (chars.next(), chars.next()) {
        (Some(first), Some(_)) => first.to_string(),
        _ => String::new(),
    };
    format!("{first}***@{domain}")
}

/// 云A12345 → 云A****5, 云A·D1234 → 云A·****4: the province and the issuing letter
/// kept, then every letter and digit hidden but the last; a dot or space stays.
fn mask_plate(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let head = chars
        .iter()
        .take(2)
        .take_while(|c| is_han(**c) || c.is_ascii_alphabetic())
        .count();
    let last = chars.iter().rposition(|c| c.is_alphanumeric());
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let shown = i < head || (Some(i) == last && chars.len() > head + 2);
            if shown || !c.is_alphanumeric() {
                c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: Redaction = Redaction {
        keep_surname: false,
    };
    const SURNAME: Redaction = Redaction { keep_surname: true };

    fn m(kind: FindingKind, text: &str) -> String {
        mask(kind, text, PLAIN)
    }

    #[test]
    fn names_with_and_without_the_surname() {
        use FindingKind::PersonName;
        assert_eq!(m(PersonName, "王建国"), "某某");
        assert_eq!(m(PersonName, "欧阳明"), "某某");
        assert_eq!(mask(PersonName, "王建国", SURNAME), "王某某");
        assert_eq!(mask(PersonName, "李强", SURNAME), "李某某");
        for (name, masked) in [
            ("欧阳明", "欧阳某某"),
            ("司马光明", "司马某某"),
            ("诸葛亮", "诸葛某某"),
            ("上官婉儿", "上官某某"),
            ("东方朔", "东方某某"),
            ("皇甫嵩", "皇甫某某"),
            ("慕容复", "慕容某某"),
            ("令狐冲", "令狐某某"),
            ("尉迟恭", "尉迟某某"),
            ("公孙胜", "公孙某某"),
            ("长孙无忌", "长孙某某"),
            ("宇文泰", "宇文某某"),
            ("夏侯惇", "夏侯某某"),
            ("轩辕明", "轩辕某某"),
            // Two characters: a one-character surname and a one-character given name.
            ("欧阳", "欧某某"),
            // Not a compound surname: 东 is the surname of 东方红 only by the list.
            ("马东方", "马某某"),
        ] {
            assert_eq!(mask(PersonName, name, SURNAME), masked, "{name}");
        }
        // Nothing to keep when the name is not Chinese or is a single character.
        assert_eq!(mask(PersonName, "John Smith", SURNAME), "某某");
        assert_eq!(mask(PersonName, "王", SURNAME), "某某");
    }

    #[test]
    fn id_numbers_keep_region_and_last_four() {
        use FindingKind::IdNumber;
        assert_eq!(m(IdNumber, "53010219800101123X"), "530102********123X");
        // Not 18 characters: nothing shown.
        assert_eq!(m(IdNumber, "5301021980"), "*".repeat(18));
    }

    #[test]
    fn mobiles_hide_the_middle_four() {
        use FindingKind::Mobile;
        assert_eq!(m(Mobile, "13812345678"), "138****5678");
        assert_eq!(m(Mobile, "138 1234 5678"), "138 **** 5678");
        assert_eq!(m(Mobile, "138-1234-5678"), "138-****-5678");
        assert_eq!(m(Mobile, "+86 138 1234 5678"), "+86 138 **** 5678");
        assert_eq!(m(Mobile, "+8613812345678"), "+86138****5678");
        assert_eq!(m(Mobile, "１３８１２３４５６７８"), "１３８****５６７８");
        assert_eq!(m(Mobile, "1381234"), "***1234");
    }

    #[test]
    fn landlines_keep_the_area_code_and_last_two() {
        use FindingKind::Landline;
        assert_eq!(m(Landline, "0871-63101234"), "0871-******34");
        assert_eq!(m(Landline, "010-12345678"), "010-******78");
        assert_eq!(m(Landline, "(020)87654321"), "(020)******21");
        assert_eq!(m(Landline, "087163101234"), "0871******34");
        assert_eq!(m(Landline, "0871 6310 1234"), "0871 **** **34");
        assert_eq!(m(Landline, "+86 871 6310 1234"), "+86 871 **** **34");
        assert_eq!(m(Landline, "+86-10-12345678"), "+86-10-******78");
        assert_eq!(m(Landline, "0086-871-63101234"), "0086-871-******34");
        // Extension: the last two digits are the extension's, the number is hidden.
        assert_eq!(m(Landline, "0871-63101234-801"), "0871-********-*01");
        // Too short to keep the area code and two digits: everything hidden.
        assert_eq!(m(Landline, "0871-123"), "****-***");
    }

    #[test]
    fn bank_cards_keep_the_last_four() {
        use FindingKind::BankCard;
        assert_eq!(m(BankCard, "6222021234567890123"), "***************0123");
        assert_eq!(
            m(BankCard, "6222 0212 3456 7890 123"),
            "**** **** **** ***0 123"
        );
        assert_eq!(m(BankCard, "6222-0212-3456-7890"), "****-****-****-7890");
    }

    #[test]
    fn emails_keep_first_letter_and_domain() {
        use FindingKind::Email;
        assert_eq!(m(Email, "zhangsan@example.com"), "z***@example.com");
        assert_eq!(m(Email, "li.si+tag@mail.yn.gov.cn"), "l***@mail.yn.gov.cn");
        assert_eq!(m(Email, "a@example.com"), "***@example.com");
        assert_eq!(m(Email, "not an address"), "***");
    }

    #[test]
    fn plates_keep_province_letter_and_last() {
        use FindingKind::Plate;
        assert_eq!(m(Plate, "云A12345"), "云A****5");
        assert_eq!(m(Plate, "云A·12345"), "云A·****5");
        assert_eq!(m(Plate, "云A D12345"), "云A *****5");
        assert_eq!(m(Plate, "京AD12345"), "京A*****5");
        assert_eq!(m(Plate, "云A1234警"), "云A****警");
        assert_eq!(m(Plate, "云A1"), "云A*");
    }

    /// What a mask leaves cannot be read as the same number again: no run of more
    /// than six of the original's digits survives.
    #[test]
    fn masks_leave_no_long_run_of_digits() {
        for (kind, text) in [
            (FindingKind::IdNumber, "53010219800101123X"),
            (FindingKind::Mobile, "+86 13812345678"),
            (FindingKind::Landline, "0086-871-63101234"),
            (FindingKind::BankCard, "6222021234567890123"),
            (FindingKind::Plate, "云A12345"),
        ] {
            let masked = m(kind, text);
            let longest = masked
                .split(|c: char| !c.is_ascii_digit())
                .map(str::len)
                .max();
            assert!(longest <= Some(6), "{kind:?}: {masked}");
            assert!(masked.contains('*'), "{kind:?}: {masked}");
        }
    }
}
