//! Numbers that identify a person: resident ID numbers, mobile and landline numbers,
//! bank card numbers. They are read from runs of digits joined by single separators
//! (`138-1234-5678`, `6222 0212 3456 7890`, `(0871) 6512 3456`), and a number only ever
//! covers whole runs: the digits inside a longer run are never taken for a shorter kind.

use super::FindingKind;
use super::scan::Hit;

/// One maximal run of ASCII digits (an ID number's final `X` included), with what
/// separates it from the next run of its chain.
#[derive(Debug, Clone, Copy)]
struct Group {
    start: usize,
    end: usize,
    /// The separator after this group: `None` for the chain's last.
    sep: Option<Sep>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sep {
    Space,
    Dash,
    /// `)` or `) ` or `)-`: after an area code written in parentheses.
    Paren,
}

/// Every number in `chars` (already folded to half width).
pub(super) fn find(chars: &[char], out: &mut Vec<Hit>) {
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        if !free_before(chars, i) {
            i = skip_run(chars, i);
            continue;
        }
        let chain = read_chain(chars, i);
        let next = chain.last().map_or(i + 1, |g| g.end);
        match_chain(chars, &chain, out);
        i = next;
    }
}

/// Past the digits at `i` (or one char if there are none).
fn skip_run(chars: &[char], i: usize) -> usize {
    let mut j = i + 1;
    while j < chars.len() && chars[j].is_ascii_digit() {
        j += 1;
    }
    j
}

/// A number may not follow a letter or a decimal point (`v13812345678`, `1.3812345678`).
fn free_before(chars: &[char], i: usize) -> bool {
    match i.checked_sub(1).map(|p| chars[p]) {
        None => true,
        Some(c) if c.is_ascii_alphanumeric() => false,
        Some('.') => !i.checked_sub(2).is_some_and(|p| chars[p].is_ascii_digit()),
        Some(_) => true,
    }
}

/// Nor may it run into a letter or a decimal fraction.
fn free_after(chars: &[char], end: usize) -> bool {
    match chars.get(end) {
        None => true,
        Some(c) if c.is_ascii_alphanumeric() => false,
        Some('.') => !chars.get(end + 1).is_some_and(char::is_ascii_digit),
        Some(_) => true,
    }
}

/// The runs starting at `i` joined by single separators.
fn read_chain(chars: &[char], mut i: usize) -> Vec<Group> {
    let mut chain: Vec<Group> = Vec::new();
    let mut digits = 0;
    loop {
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - start;
        // 17 digits and an X: the check character of an ID number (`530102 19900101 627X`).
        if digits == 17 && matches!(chars.get(i), Some('X' | 'x')) {
            i += 1;
        }
        let (sep, next) = separator_at(chars, i);
        let joins = sep.is_some() && chars.get(next).is_some_and(char::is_ascii_digit);
        chain.push(Group {
            start,
            end: i,
            sep: if joins { sep } else { None },
        });
        if !joins || chain.len() >= 8 {
            return chain;
        }
        i = next;
    }
}

fn separator_at(chars: &[char], i: usize) -> (Option<Sep>, usize) {
    match chars.get(i) {
        Some(' ') => (Some(Sep::Space), i + 1),
        Some('-') => (Some(Sep::Dash), i + 1),
        Some(')') => match chars.get(i + 1) {
            Some(' ' | '-') => (Some(Sep::Paren), i + 2),
            _ => (Some(Sep::Paren), i + 1),
        },
        _ => (None, i),
    }
}

/// Takes numbers from the chain left to right, the longest first at each run.
fn match_chain(chars: &[char], chain: &[Group], out: &mut Vec<Hit>) {
    let mut i = 0;
    'outer: while i < chain.len() {
        for j in (i..chain.len()).rev() {
            if j > i && chain[j - 1].sep.is_none() {
                continue;
            }
            let groups = &chain[i..=j];
            if !free_after(chars, groups[groups.len() - 1].end) || !stands_apart(chain, i, j) {
                continue;
            }
            if let Some(hit) = classify(chars, groups) {
                out.push(hit);
                i = j + 1;
                continue 'outer;
            }
        }
        i += 1;
    }
}

/// Whether groups `i..=j` of a chain may be read as one number apart from their
/// neighbours: a single run always; several only when no neighbour continues their
/// grouping (`6228 4810 9072 8077 732` holds no 16-digit card number), that is when
/// the neighbour is a long run of its own (`0871 6512 3456 13812345678`).
fn stands_apart(chain: &[Group], i: usize, j: usize) -> bool {
    let long = |g: &Group| g.end - g.start >= 5;
    i == j || ((i == 0 || long(&chain[i - 1])) && chain.get(j + 1).is_none_or(long))
}

/// What the groups spell, if anything.
fn classify(chars: &[char], groups: &[Group]) -> Option<Hit> {
    let digits: String = groups
        .iter()
        .flat_map(|g| chars[g.start..g.end].iter())
        .collect();
    let lens: Vec<usize> = groups.iter().map(|g| g.end - g.start).collect();
    let seps: Vec<Sep> = groups[..groups.len() - 1]
        .iter()
        .filter_map(|g| g.sep)
        .collect();
    let first = groups[0].start;
    let last = groups[groups.len() - 1].end;
    let opened = first > 0 && chars[first - 1] == '(';
    let has_paren = seps.contains(&Sep::Paren);
    let hit = |kind, start| Some(Hit::new(kind, start, last));

    if !has_paren {
        if is_id_number(&digits, &lens) {
            return hit(FindingKind::IdNumber, first);
        }
        if is_bank_card(&digits, &lens, &seps) {
            return hit(FindingKind::BankCard, first);
        }
        if let Some(prefixed) = mobile(&digits, &lens) {
            let plus = prefixed && first > 0 && chars[first - 1] == '+';
            return hit(FindingKind::Mobile, if plus { first - 1 } else { first });
        }
    }
    if landline(&digits, &lens, &seps, opened) {
        let start = if has_paren { first - 1 } else { first };
        return hit(FindingKind::Landline, start);
    }
    None
}

/// 18 characters passing GB 11643 (region, birth date, check digit), written whole or
/// as 6-8-4.
fn is_id_number(digits: &str, lens: &[usize]) -> bool {
    matches!(lens, [18] | [6, 8, 4])
        && crate::visits::id_number::check(digits).is_ok_and(|id| id.eq_ignore_ascii_case(digits))
}

/// An 18-digit number that fails only on its check digit is a mistyped ID number, not
/// a card number.
fn is_id_shaped(digits: &str) -> bool {
    use crate::visits::id_number::{IdProblem, check};
    digits.len() == 18 && matches!(check(digits), Ok(_) | Err(IdProblem::CheckDigit))
}

/// 16 to 19 digits with a card issuer's first digit and a valid Luhn sum, written whole
/// or in groups of four.
fn is_bank_card(digits: &str, lens: &[usize], seps: &[Sep]) -> bool {
    let grouped = match lens {
        [_] => true,
        [init @ .., last] => {
            init.iter().all(|&n| n == 4)
                && (1..=4).contains(last)
                && seps.windows(2).all(|w| w[0] == w[1])
        }
        [] => false,
    };
    (16..=19).contains(&digits.len())
        && grouped
        && digits.bytes().all(|b| b.is_ascii_digit())
        && matches!(digits.as_bytes()[0], b'3'..=b'6' | b'9')
        && luhn(digits)
        && !is_id_shaped(digits)
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A mainland mobile number (`1[3-9]` and nine digits, written whole, 3-4-4 or 3-8),
/// perhaps after the country code `86` / `0086`. `Some(true)` when a country code leads.
fn mobile(digits: &str, lens: &[usize]) -> Option<bool> {
    let (prefixed, rest, lens) = match lens {
        [13, ..] if digits.starts_with("86") => (true, &digits[2..], &[11][..]),
        [2, rest @ ..] if digits.starts_with("86") => (true, &digits[2..], rest),
        [4, rest @ ..] if digits.starts_with("0086") => (true, &digits[4..], rest),
        _ => (false, digits, lens),
    };
    let b = rest.as_bytes();
    let shaped = matches!(lens, [11] | [3, 4, 4] | [3, 8] | [7, 4]);
    (shaped && b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])).then_some(prefixed)
}

/// A landline number with its area code: `010`/`02x` and eight digits, or `0xxx` and
/// seven or eight; the area code apart (`0871-65123456`, `(0871)65123456`) or not, the
/// local number whole or split in two.
fn landline(digits: &str, lens: &[usize], seps: &[Sep], opened: bool) -> bool {
    let b = digits.as_bytes();
    if b.len() < 10 || b[0] != b'0' || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let area = if b[1] == b'1' || b[1] == b'2' { 3 } else { 4 };
    if b[1] == b'0' || (b[1] == b'1' && b[2] != b'0') {
        return false;
    }
    let local = &b[area..];
    let local_ok = (7..=8).contains(&local.len()) && local[0] != b'0' && local[0] != b'1';
    let local_ok = local_ok && (area == 4 || local.len() == 8);
    if !local_ok {
        return false;
    }
    // An area code in parentheses needs both, and nothing else may use them.
    let paren_area = seps.first() == Some(&Sep::Paren);
    if (paren_area && !opened) || seps.iter().skip(1).any(|s| *s == Sep::Paren) {
        return false;
    }
    match lens {
        [_] => true,
        [a, rest @ ..] => *a == area && rest.len() <= 2 && rest.iter().all(|&n| n >= 3),
        [] => false,
    }
}
