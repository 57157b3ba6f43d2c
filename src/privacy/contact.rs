//! E-mail addresses and licence plates.

use super::FindingKind;
use super::scan::Hit;

/// Every e-mail address in `chars` (folded to half width): a local part, `@`, and a
/// domain of at least two labels ending in letters.
pub(super) fn find_emails(chars: &[char], out: &mut Vec<Hit>) {
    let mut after = 0;
    for at in 0..chars.len() {
        if chars[at] != '@' || at < after {
            continue;
        }
        let mut start = at;
        while start > after && is_local(chars[start - 1]) {
            start -= 1;
        }
        while start < at && chars[start] == '.' {
            start += 1;
        }
        let mut end = at + 1;
        while end < chars.len() && is_domain(chars[end]) {
            end += 1;
        }
        while end > at + 1 && matches!(chars[end - 1], '.' | '-') {
            end -= 1;
        }
        if start < at && domain_ok(&chars[at + 1..end]) {
            out.push(Hit::new(FindingKind::Email, start, end));
            after = end;
        }
    }
}

fn is_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_domain(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

fn domain_ok(domain: &[char]) -> bool {
    let text: String = domain.iter().collect();
    let labels: Vec<&str> = text.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
}

/// The abbreviations of the provinces that begin a plate.
const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";
/// What may stand between the city letter and the serial (`云A·12345`).
const PLATE_SEPARATORS: &[char] = &['·', '•', '・', '.', ' ', '-'];
/// Plates of driving schools, police, trailers, Hong Kong and Macao crossings.
const PLATE_SUFFIXES: &str = "学警挂港澳领试超";

/// Every licence plate: a province, a city letter, and a serial of five (six for new
/// energy vehicles) letters and digits.
pub(super) fn find_plates(chars: &[char], out: &mut Vec<Hit>) {
    for i in 0..chars.len().saturating_sub(6) {
        if !PROVINCES.contains(chars[i]) || !chars[i + 1].is_ascii_uppercase() {
            continue;
        }
        let mut j = i + 2;
        if PLATE_SEPARATORS.contains(&chars[j]) {
            j += 1;
        }
        let serial_start = j;
        while j < chars.len() && j - serial_start < 7 && is_serial(chars[j]) {
            j += 1;
        }
        let serial = &chars[serial_start..j];
        let end = match serial.len() {
            5 | 6 if serial_ok(serial) => j,
            4 if chars.get(j).is_some_and(|c| PLATE_SUFFIXES.contains(*c))
                && digits(serial) >= 3 =>
            {
                j + 1
            }
            _ => continue,
        };
        if chars.get(end).is_some_and(char::is_ascii_alphanumeric) {
            continue;
        }
        out.push(Hit::new(FindingKind::Plate, i, end));
    }
}

/// Plates use upper-case letters but I and O (they look like 1 and 0).
fn is_serial(c: char) -> bool {
    c.is_ascii_digit() || (c.is_ascii_uppercase() && c != 'I' && c != 'O')
}

fn digits(serial: &[char]) -> usize {
    serial.iter().filter(|c| c.is_ascii_digit()).count()
}

/// Five characters with at most two letters; or six of a new energy vehicle: D or F and
/// five more (a letter or digit, then four digits), or five digits and D or F.
fn serial_ok(serial: &[char]) -> bool {
    let df = |c: char| c == 'D' || c == 'F';
    match serial {
        [_, _, _, _, _] => digits(serial) >= 3,
        [first, _, rest @ ..] if df(*first) => rest.iter().all(char::is_ascii_digit),
        [init @ .., last] if df(*last) => init.iter().all(char::is_ascii_digit),
        _ => false,
    }
}
