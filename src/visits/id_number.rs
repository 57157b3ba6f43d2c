//! Chinese resident ID numbers (公民身份号码, GB 11643-1999) on the visitor lists that
//! prisons and courts ask for: the check of one number, the masked form shown to
//! people (`530102********1234`), and the reading of a whole list typed in a form or
//! uploaded as CSV/XLSX, every bad row named with its number and reason. Pure: no
//! database, no HTTP.

use std::collections::HashMap;
use std::fmt;

use jiff::civil::Date;

/// The most people one visitor list may hold.
pub const MAX_VISITORS: usize = 500;
/// The longest name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 40;
/// The largest visitor sheet read. A list of 500 people is a few tens of kilobytes;
/// anything much larger is not a visitor list, and refusing it before parsing keeps a
/// hostile upload from costing memory.
pub const MAX_SHEET_BYTES: usize = 2 * 1024 * 1024;

/// Why an ID number is refused, in words the person who typed it understands. The
/// messages never repeat the number, so they are safe to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdProblem {
    #[error("身份证号为空")]
    Empty,
    #[error(
        "身份证号末尾几位已丢失（表格把它当成了数字）；请把“身份证号”一列设置为文本格式，重新填写后再上传"
    )]
    LostDigits,
    #[error("这是 15 位的旧身份证号，请填写 18 位的身份证号")]
    OldFifteenDigits,
    #[error("身份证号位数不对：应为 18 位，这里是 {0} 位")]
    WrongLength(usize),
    #[error("身份证号含有非数字字符（只有最后一位可以是 X）")]
    NotDigits,
    #[error("身份证号前 6 位的地区代码无效")]
    Region,
    #[error("身份证号中的出生日期无效（第 7 至 14 位应是真实的年月日）")]
    BirthDate,
    #[error("身份证号校验位不符，请核对是否抄错")]
    CheckDigit,
}

/// The earliest birth year accepted; nobody born before it visits a base.
const FIRST_BIRTH_YEAR: i16 = 1900;

/// Checks an ID number and returns it normalised: spaces removed, full-width digits
/// made ASCII, a lowercase check letter made `X`. Birth years from 1900 to 2099 pass;
/// [`check_as_of`] also refuses a birth date after today.
pub fn check(id: &str) -> Result<String, IdProblem> {
    check_shape(id, Date::constant(2099, 12, 31))
}

/// [`check`], refusing as well a birth date after `today`.
pub fn check_as_of(id: &str, today: Date) -> Result<String, IdProblem> {
    check_shape(id, today)
}

/// The checks of GB 11643 in the order a person would fix them.
fn check_shape(id: &str, latest_birth: Date) -> Result<String, IdProblem> {
    let id = normalise(id);
    if id.is_empty() {
        return Err(IdProblem::Empty);
    }
    if is_scientific(&id) {
        return Err(IdProblem::LostDigits);
    }
    let body_is_digits = id
        .char_indices()
        .all(|(at, c)| c.is_ascii_digit() || (c == 'X' && at + 1 == id.len()));
    if !body_is_digits {
        return Err(IdProblem::NotDigits);
    }
    match id.len() {
        18 => {}
        15 if !id.ends_with('X') => return Err(IdProblem::OldFifteenDigits),
        n => return Err(IdProblem::WrongLength(n)),
    }
    let digits: Vec<u32> = id.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits[0] == 0 {
        return Err(IdProblem::Region);
    }
    let birth = birth_date(&id[6..14]).ok_or(IdProblem::BirthDate)?;
    if birth.year() < FIRST_BIRTH_YEAR || birth > latest_birth {
        return Err(IdProblem::BirthDate);
    }
    if id[17..] != check_char(&digits[..17]).to_string() {
        return Err(IdProblem::CheckDigit);
    }
    Ok(id)
}

/// Spaces (also full-width ones) removed, full-width digits and letters made ASCII,
/// letters upper case: IDs copied from a Word document or typed with a Chinese input
/// method come in all of these forms.
fn normalise(id: &str) -> String {
    id.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
                char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c)
            }
            other => other,
        })
        .flat_map(char::to_uppercase)
        .collect()
}

/// `5.30102E+17`: how a spreadsheet shows (and a CSV export writes) an 18-digit
/// number it took for a number; the last digits are gone.
fn is_scientific(id: &str) -> bool {
    let Some((mantissa, exponent)) = id.split_once('E') else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let mantissa_ok = mantissa.split_once('.').map_or_else(
        || all_digits(mantissa),
        |(whole, fraction)| all_digits(whole) && (fraction.is_empty() || all_digits(fraction)),
    );
    mantissa_ok && all_digits(exponent)
}

fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// `YYYYMMDD` as a real date.
fn birth_date(digits: &str) -> Option<Date> {
    let year = digits.get(..4)?.parse().ok()?;
    let month = digits.get(4..6)?.parse().ok()?;
    let day = digits.get(6..8)?.parse().ok()?;
    Date::new(year, month, day).ok()
}

/// The ISO 7064 MOD 11-2 check character of the first 17 digits: the weights are
/// 2^(18-i) mod 11, and the check makes the weighted sum of all 18 come to 1 mod 11.
fn check_char(digits: &[u32]) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    match (12 - sum % 11) % 11 {
        10 => 'X',
        n => char::from_digit(n, 10).unwrap_or('?'),
    }
}

/// The form shown everywhere except the coordinator's export for the base: the region
/// (first 6) and the last 4 kept, the birth date hidden: `530102********1234`.
/// Anything that is not 18 characters long is hidden whole, so a malformed number
/// never leaks.
pub fn mask(id: &str) -> String {
    let chars: Vec<char> = id.trim().chars().collect();
    if chars.len() != 18 {
        return "*".repeat(18);
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[14..].iter().collect();
    format!("{head}********{tail}")
}

/// One person on a visitor list: a checked name and a normalised ID number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visitor {
    pub name: String,
    pub id_number: String,
}

/// A refused row: its number as the person sees it (the spreadsheet's row, or the
/// position in a form from 1), or 0 for a problem of the whole list or file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowProblem {
    pub row: usize,
    pub message: String,
}

impl RowProblem {
    fn whole(message: impl Into<String>) -> Vec<Self> {
        vec![Self {
            row: 0,
            message: message.into(),
        }]
    }
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.row == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "第 {} 行：{}", self.row, self.message)
        }
    }
}

/// Checks a list typed in a form or sent as JSON, `(name, id_number)` in order; a
/// problem's row is the entry's position from 1. Entries with neither a name nor a
/// number are skipped (a form's unused lines); an empty list is returned as empty,
/// for the caller to decide what that means.
pub fn check_visitors(list: Vec<(String, String)>) -> Result<Vec<Visitor>, Vec<RowProblem>> {
    let entries = (1..)
        .zip(list)
        .map(|(row, (name, id))| Entry { row, name, id });
    check_entries(entries, false)
}

/// Reads a visitor list uploaded as CSV or XLSX: columns 姓名 and 身份证号 (or `name`
/// and `id_number`; other columns are ignored), the header row optional when the
/// first row already holds a person. Every bad row is listed with its number in the
/// sheet and the reason.
pub fn read_visitors_sheet(file_name: &str, bytes: &[u8]) -> Result<Vec<Visitor>, Vec<RowProblem>> {
    if bytes.len() > MAX_SHEET_BYTES {
        return Err(RowProblem::whole(format!(
            "文件过大（超过 {} MB），不像是一份参观人员名单",
            MAX_SHEET_BYTES / 1024 / 1024
        )));
    }
    let rows = crate::spreadsheet::read_numbered_rows(file_name, bytes)
        .map_err(|e| RowProblem::whole(e.to_string()))?;
    let Some((first_row, first)) = rows.first() else {
        return Err(RowProblem::whole("表格是空的，没有参观人员"));
    };
    let (columns, skip) = match columns_of(first) {
        Ok(Some(columns)) => (columns, 1),
        Ok(None) => (columns_without_header(first), 0),
        Err(message) => {
            return Err(vec![RowProblem {
                row: *first_row,
                message,
            }]);
        }
    };
    let cell = |cells: &[String], at: usize| cells.get(at).cloned().unwrap_or_default();
    let entries: Vec<Entry> = rows
        .iter()
        .skip(skip)
        .map(|(row, cells)| Entry {
            row: *row,
            name: cell(cells, columns.name),
            id: cell(cells, columns.id),
        })
        .collect();
    if entries.iter().all(Entry::is_blank) {
        return Err(RowProblem::whole("表格中没有参观人员"));
    }
    let numeric_ids = entries.iter().any(|e| lost_digits(&normalise(&e.id)));
    check_entries(entries.into_iter(), numeric_ids)
}

/// Which column holds what.
struct Columns {
    name: usize,
    id: usize,
}

/// The columns named by a header row; `None` when the row is not a header but a
/// person; an error when it names one column and not the other or is neither.
fn columns_of(first: &[String]) -> Result<Option<Columns>, String> {
    // Chinese headers are matched by what they contain (身份证号（18位）, 姓名*),
    // English ones whole.
    let find = |words: &[&str], names: &[&str]| {
        first.iter().position(|cell| {
            let cell = cell.trim().to_lowercase();
            words.iter().any(|word| cell.contains(word)) || names.contains(&cell.as_str())
        })
    };
    let name = find(&["姓名", "名字"], &["name"]);
    let id = find(
        &["身份证", "身份号码", "证件号"],
        &["id_number", "id number", "idnumber", "id"],
    );
    match (name, id) {
        (Some(name), Some(id)) => Ok(Some(Columns { name, id })),
        (Some(_), None) => Err("表头缺少“身份证号”一列".into()),
        (None, Some(_)) => Err("表头缺少“姓名”一列".into()),
        (None, None) if first.iter().any(|cell| looks_like_id(cell)) => Ok(None),
        (None, None) => Err("第一行应为表头“姓名”“身份证号”，或直接从第一位参观人员填起".into()),
    }
}

/// Without a header: the ID is the cell that looks like one, the name the first other
/// cell with something besides digits in it (a leading 序号 column is skipped).
fn columns_without_header(first: &[String]) -> Columns {
    let id = first
        .iter()
        .position(|cell| looks_like_id(cell))
        .unwrap_or(1);
    let name = (0..first.len())
        .find(|&at| {
            let cell = &first[at];
            at != id && !cell.is_empty() && !cell.chars().all(|c| c.is_ascii_digit())
        })
        .unwrap_or(usize::from(id == 0));
    Columns { name, id }
}

/// A cell that is an ID number, well or badly typed, rather than a header.
fn looks_like_id(cell: &str) -> bool {
    let cell = normalise(cell);
    is_scientific(&cell) || cell.chars().filter(char::is_ascii_digit).count() >= 15
}

/// An 18-digit number exactly as a spreadsheet writes a floating-point value (Excel
/// keeps 15 significant digits, so `530102199001011234` comes back as
/// `530102199001011000`): it is the shortest form of the nearest `f64`.
fn float_shaped(id: &str) -> bool {
    id.len() == 18
        && all_digits(id)
        && id
            .parse::<u64>()
            .is_ok_and(|value| (value as f64).to_string() == id)
}

/// An ID that surely lost digits: written in scientific form, or float-shaped and
/// failing its check.
fn lost_digits(id: &str) -> bool {
    is_scientific(id) || (float_shaped(id) && check(id) == Err(IdProblem::CheckDigit))
}

/// One row of a list before its checks.
struct Entry {
    row: usize,
    name: String,
    id: String,
}

impl Entry {
    fn is_blank(&self) -> bool {
        self.name.trim().is_empty() && self.id.trim().is_empty()
    }
}

/// The rules shared by forms and sheets. `numeric_ids` says the ID column was taken
/// for numbers somewhere in the sheet, so float-shaped IDs that happen to pass their
/// check lost digits too.
fn check_entries(
    entries: impl Iterator<Item = Entry>,
    numeric_ids: bool,
) -> Result<Vec<Visitor>, Vec<RowProblem>> {
    let entries: Vec<Entry> = entries.filter(|e| !e.is_blank()).collect();
    if entries.len() > MAX_VISITORS {
        return Err(RowProblem::whole(format!(
            "名单最多 {MAX_VISITORS} 人，这里有 {} 人",
            entries.len()
        )));
    }
    let mut visitors = Vec::with_capacity(entries.len());
    let mut problems = Vec::new();
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    for entry in entries {
        let mut reasons = Vec::new();
        let name = check_name(&entry.name).map_err(|reason| reasons.push(reason));
        let id = if numeric_ids && float_shaped(&normalise(&entry.id)) {
            Err(IdProblem::LostDigits)
        } else {
            check(&entry.id)
        };
        let id = id.map_err(|problem| reasons.push(problem.to_string()));
        if let Ok(id) = &id {
            if let Some(first) = first_row_of.get(id) {
                reasons.push(format!("身份证号与第 {first} 行重复"));
            } else {
                first_row_of.insert(id.clone(), entry.row);
            }
        }
        match (name, id) {
            (Ok(name), Ok(id_number)) if reasons.is_empty() => {
                visitors.push(Visitor { name, id_number });
            }
            _ => problems.push(RowProblem {
                row: entry.row,
                message: reasons.join("；"),
            }),
        }
    }
    if problems.is_empty() {
        Ok(visitors)
    } else {
        Err(problems)
    }
}

/// A name trimmed, its runs of spaces made one; refused when empty, too long or
/// holding control characters (a pasted line break or tab).
fn check_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.chars().any(char::is_control) {
        return Err("姓名含有换行等不可见字符".into());
    }
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        Err("姓名为空".into())
    } else if name.chars().count() > MAX_NAME_CHARS {
        Err(format!("姓名过长（最多 {MAX_NAME_CHARS} 个字）"))
    } else {
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ISO 7064 MOD 11-2 as its definition reads, independent of the weight table
    /// above: Σ aᵢ·2^(18−i) ≡ 1 (mod 11) over all 18 characters, X standing for 10.
    fn satisfies_mod_11_2(id: &str) -> bool {
        let sum: u64 = id
            .chars()
            .enumerate()
            .map(|(i, c)| {
                let a = if c == 'X' {
                    10
                } else {
                    u64::from(c.to_digit(10).unwrap())
                };
                a * 2u64.pow(17 - i as u32)
            })
            .sum();
        sum % 11 == 1
    }

    /// The one ID whose first 17 digits are `region`, `birth` and `sequence`.
    fn id_of(region: &str, birth: &str, sequence: &str) -> String {
        let first17 = format!("{region}{birth}{sequence}");
        assert_eq!(first17.len(), 17);
        let fitting: Vec<String> = "0123456789X"
            .chars()
            .map(|c| format!("{first17}{c}"))
            .filter(|id| satisfies_mod_11_2(id))
            .collect();
        assert_eq!(fitting.len(), 1, "exactly one check character fits");
        fitting.into_iter().next().unwrap()
    }

    /// Some valid IDs, one of them ending in X.
    fn valid_ids() -> Vec<String> {
        let mut ids: Vec<String> = (0..40)
            .map(|n| {
                id_of(
                    "530102",
                    &format!("19{:02}0{}1{}", 50 + n, 1 + n % 9, n % 10),
                    &format!("{:03}", 7 * n + 1),
                )
            })
            .collect();
        let with_x = (0..200)
            .map(|n| id_of("110105", "19860412", &format!("{n:03}")))
            .find(|id| id.ends_with('X'))
            .unwrap();
        ids.push(with_x);
        ids
    }

    #[test]
    fn valid_ids_pass_and_come_back_normalised() {
        for id in valid_ids() {
            assert_eq!(check(&id), Ok(id.clone()));
            let spaced = format!(" {} {} {} ", &id[..6], &id[6..14], &id[14..]);
            assert_eq!(check(&spaced), Ok(id.clone()), "spaces are removed");
            let full_width: String = id
                .chars()
                .map(|c| match c {
                    '0'..='9' => char::from_u32(u32::from(c) + 0xFEE0).unwrap(),
                    'X' => 'ｘ',
                    c => c,
                })
                .collect();
            assert_eq!(check(&full_width), Ok(id.clone()), "{full_width}");
            assert_eq!(check(&id.to_lowercase()), Ok(id.clone()));
        }
        // The worked example printed in GB 11643-1999 itself.
        assert_eq!(check("11010519491231002x"), Ok("11010519491231002X".into()));
    }

    #[test]
    fn every_single_wrong_digit_and_every_swap_is_caught() {
        for id in valid_ids() {
            let chars: Vec<char> = id.chars().collect();
            for at in 0..18 {
                for c in "0123456789X".chars().filter(|&c| c != chars[at]) {
                    let mut wrong = chars.clone();
                    wrong[at] = c;
                    let wrong: String = wrong.into_iter().collect();
                    assert!(check(&wrong).is_err(), "{wrong} from {id}");
                }
            }
            for at in 0..17 {
                if chars[at] != chars[at + 1] {
                    let mut swapped = chars.clone();
                    swapped.swap(at, at + 1);
                    let swapped: String = swapped.into_iter().collect();
                    assert!(check(&swapped).is_err(), "{swapped} from {id}");
                }
            }
        }
    }

    #[test]
    fn each_problem_is_named_in_words_and_never_repeats_the_number() {
        let good = id_of("530102", "19900101", "123");
        let wrong_check = {
            let last = if good.ends_with('1') { '2' } else { '1' };
            format!("{}{last}", &good[..17])
        };
        let cases = [
            ("", IdProblem::Empty),
            ("   ", IdProblem::Empty),
            (&good[..17], IdProblem::WrongLength(17)),
            (&format!("{good}1"), IdProblem::WrongLength(19)),
            ("530102900101123", IdProblem::OldFifteenDigits),
            ("53010219900101A23X", IdProblem::NotDigits),
            ("5301021990X101123X", IdProblem::NotDigits),
            ("张三", IdProblem::NotDigits),
            ("<script>alert(1)</script>", IdProblem::NotDigits),
            (&id_of("000000", "19900101", "123"), IdProblem::Region),
            (&id_of("053010", "19900101", "123"), IdProblem::Region),
            (&id_of("530102", "19900230", "123"), IdProblem::BirthDate),
            (&id_of("530102", "19901301", "123"), IdProblem::BirthDate),
            (&id_of("530102", "18991231", "123"), IdProblem::BirthDate),
            (&wrong_check, IdProblem::CheckDigit),
            ("5.30102E+17", IdProblem::LostDigits),
            ("5.30102199001011E+17", IdProblem::LostDigits),
        ];
        for (id, expected) in cases {
            assert_eq!(check(id), Err(expected.clone()), "{id:?}");
            let message = expected.to_string();
            assert!(message.contains("身份证号"), "{message}");
            if id.len() > 4 {
                assert!(!message.contains(id), "{message} repeats {id}");
            }
        }
        assert!(IdProblem::CheckDigit.to_string().contains("校验位不符"));
        assert!(IdProblem::LostDigits.to_string().contains("文本格式"));
    }

    #[test]
    fn a_birth_date_after_today_is_refused_when_today_is_known() {
        let id = id_of("530102", "20250601", "001");
        assert_eq!(check(&id), Ok(id.clone()));
        assert_eq!(check_as_of(&id, Date::constant(2025, 6, 1)), Ok(id.clone()));
        assert_eq!(
            check_as_of(&id, Date::constant(2025, 5, 31)),
            Err(IdProblem::BirthDate)
        );
    }

    #[test]
    fn masking_keeps_region_and_last_four_only() {
        let id = id_of("530102", "19900101", "123");
        let masked = mask(&id);
        assert_eq!(masked, format!("530102********{}", &id[14..]));
        assert_eq!(masked.chars().count(), 18);
        assert!(!masked.contains("19900101"));
        for bad in ["", "5301021990", "530102199001011234567", "张三"] {
            assert_eq!(mask(bad), "*".repeat(18), "{bad:?} is hidden whole");
        }
    }
}

#[cfg(test)]
mod list_tests {
    use super::*;
    use crate::spreadsheet::{BOM, csv_bytes, xlsx_bytes};

    /// Valid IDs made with the check of the other test module's definition.
    fn ids(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                let first17 = format!(
                    "4401061985{:02}{:02}{:03}",
                    1 + i % 12,
                    1 + i % 28,
                    i % 1000
                );
                (0..=10)
                    .map(|c| match c {
                        10 => format!("{first17}X"),
                        c => format!("{first17}{c}"),
                    })
                    .find(|id| {
                        let sum: u64 = id
                            .chars()
                            .enumerate()
                            .map(|(at, c)| {
                                let a = c.to_digit(10).map_or(10, u64::from);
                                a * 2u64.pow(17 - at as u32)
                            })
                            .sum();
                        sum % 11 == 1
                    })
                    .unwrap()
            })
            .collect()
    }

    fn pairs(rows: &[(&str, &str)]) -> Vec<(String, String)> {
        rows.iter()
            .map(|(name, id)| ((*name).to_owned(), (*id).to_owned()))
            .collect()
    }

    #[test]
    fn a_form_list_is_checked_row_by_row_with_positions_from_one() {
        let ids = ids(4);
        let long_name = "长".repeat(MAX_NAME_CHARS + 1);
        let list = pairs(&[
            ("  张三  ", &ids[0]),
            ("", ""),
            ("", &ids[1]),
            (&long_name, &ids[2]),
            ("李四", "530102199001011239"),
            ("王五", &ids[0].to_lowercase()),
            ("赵\n六", "12"),
        ]);
        let problems = check_visitors(list).unwrap_err();
        let by_row: Vec<(usize, &str)> = problems
            .iter()
            .map(|p| (p.row, p.message.as_str()))
            .collect();
        assert_eq!(by_row.len(), 5, "{by_row:?}");
        assert_eq!(by_row[0], (3, "姓名为空"));
        assert_eq!(by_row[1], (4, "姓名过长（最多 40 个字）"));
        assert_eq!(by_row[2].0, 5);
        assert!(by_row[2].1.contains("校验位不符"), "{}", by_row[2].1);
        assert_eq!(by_row[3], (6, "身份证号与第 1 行重复"));
        assert_eq!(by_row[4].0, 7);
        assert!(by_row[4].1.contains("不可见字符") && by_row[4].1.contains("位数不对"));
        assert_eq!(problems[0].to_string(), "第 3 行：姓名为空");

        let good = check_visitors(pairs(&[
            ("<script>alert('x')</script>", &ids[0]),
            ("Mary   Smith", &format!(" {} ", ids[1])),
        ]))
        .unwrap();
        assert_eq!(
            good[0].name, "<script>alert('x')</script>",
            "kept for the page to escape"
        );
        assert_eq!(good[1].name, "Mary Smith");
        assert_eq!(good[1].id_number, ids[1]);
        assert_eq!(check_visitors(Vec::new()), Ok(Vec::new()));
    }

    #[test]
    fn more_than_the_limit_is_refused_whole() {
        let many: Vec<(String, String)> = ids(MAX_VISITORS + 1)
            .into_iter()
            .map(|id| ("某人".to_owned(), id))
            .collect();
        assert_eq!(
            check_visitors(many[..MAX_VISITORS].to_vec()).unwrap().len(),
            MAX_VISITORS
        );
        let problems = check_visitors(many).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].row, 0);
        assert_eq!(problems[0].to_string(), "名单最多 500 人，这里有 501 人");
    }

    #[test]
    fn an_xlsx_with_a_header_names_the_rows_the_sheet_shows() {
        let ids = ids(3);
        let wrong = format!(
            "{}{}",
            &ids[2][..17],
            if ids[2].ends_with('1') { '2' } else { '1' }
        );
        let rows = vec![
            vec!["1".into(), "张三".into(), ids[0].clone(), "处长".into()],
            vec![String::new(); 4],
            vec!["2".into(), "李四".into(), ids[1].clone(), String::new()],
            vec!["3".into(), "王五".into(), wrong, String::new()],
        ];
        let bytes = xlsx_bytes(
            "名单",
            &["序号", "姓名", "身份证号（18位）", "职务"],
            rows.clone(),
        )
        .unwrap();
        let problems = read_visitors_sheet("名单.xlsx", &bytes).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].row, 5, "header 1, blank row 3 still counts");
        assert!(problems[0].message.contains("校验位不符"));
        let mut fixed = rows;
        fixed[3][2] = ids[2].clone();
        let bytes = xlsx_bytes("名单", &["序号", "name", "ID_Number", "职务"], fixed).unwrap();
        let visitors = read_visitors_sheet("list.xlsx", &bytes).unwrap();
        let names: Vec<&str> = visitors.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["张三", "李四", "王五"]);
        assert_eq!(visitors[2].id_number, ids[2]);
    }

    #[test]
    fn a_csv_with_a_bom_reads_with_or_without_a_header() {
        let ids = ids(2);
        let with_header = csv_bytes(
            &["身份证号", "姓名"],
            [
                vec![ids[0].clone(), "张三".into()],
                vec![ids[1].to_lowercase(), "李四".into()],
            ],
        );
        assert!(with_header.starts_with(BOM));
        let visitors = read_visitors_sheet("名单.csv", &with_header).unwrap();
        assert_eq!(
            visitors[0],
            Visitor {
                name: "张三".into(),
                id_number: ids[0].clone()
            }
        );
        assert_eq!(visitors[1].id_number, ids[1], "x made X");

        // No header: the first row already holds a person, behind a 序号 column.
        let text = format!("1,张三,{}\r\n2,李四,{}\r\n", ids[0], ids[1]);
        let bytes = [BOM, text.as_bytes()].concat();
        let visitors = read_visitors_sheet("名单.csv", &bytes).unwrap();
        assert_eq!(visitors.len(), 2);
        assert_eq!(visitors[1].name, "李四");

        // The same ID twice, and an empty name, named by the line a person sees.
        let text = format!(
            "姓名,身份证号\n张三,{}\n\n李四,{}\n,{}\n",
            ids[0], ids[1], ids[1]
        );
        let problems = read_visitors_sheet("名单.csv", text.as_bytes()).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].row, 5);
        assert_eq!(problems[0].message, "姓名为空；身份证号与第 4 行重复");
    }

    #[test]
    fn ids_a_spreadsheet_took_for_numbers_are_refused_with_the_fix() {
        use rust_xlsxwriter::Workbook;
        let ids = ids(40);
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "姓名").unwrap();
        sheet.write_string(0, 1, "身份证号").unwrap();
        for (row, id) in (1u32..).zip(&ids) {
            sheet.write_string(row, 0, "某人").unwrap();
            match id.parse::<f64>() {
                // Excel keeps 15 significant digits; other programs the nearest f64.
                Ok(number) if row % 2 == 0 => {
                    let excel: f64 = format!("{number:.14e}").parse().unwrap();
                    sheet.write_number(row, 1, excel).unwrap()
                }
                Ok(number) => sheet.write_number(row, 1, number).unwrap(),
                // An ID ending in X cannot be a number: it stays text.
                Err(_) => sheet.write_string(row, 1, id).unwrap(),
            };
        }
        let bytes = workbook.save_to_buffer().unwrap();
        let problems = read_visitors_sheet("名单.xlsx", &bytes).unwrap_err();
        let numeric: Vec<usize> = (2..)
            .zip(&ids)
            .filter(|(_, id)| !id.ends_with('X'))
            .map(|(row, _)| row)
            .collect();
        assert!(numeric.len() < ids.len(), "some text IDs beside them");
        let rows: Vec<usize> = problems.iter().map(|p| p.row).collect();
        assert_eq!(rows, numeric);
        for problem in &problems {
            assert_eq!(problem.message, IdProblem::LostDigits.to_string());
        }

        // Excel's CSV export writes such a column in scientific form; a float-shaped
        // ID that happens to pass its check is refused too once the column is known
        // to be numeric, and a text ID beside them is not.
        let lucky = (1..=28)
            .flat_map(|day| (0..10).map(move |s| format!("199001{day:02}{s}000")))
            .map(|tail| format!("530102{tail}"))
            .find(|id| check(id).is_ok() && float_shaped(id))
            .unwrap();
        let text = format!("姓名,身份证号\n甲,5.30102E+17\n乙,{lucky}\n丙,{}\n", ids[0]);
        let problems = read_visitors_sheet("名单.csv", text.as_bytes()).unwrap_err();
        let rows: Vec<usize> = problems.iter().map(|p| p.row).collect();
        assert_eq!(rows, [2, 3]);
        assert!(problems.iter().all(|p| p.message.contains("文本格式")));
        // Alone, the lucky one is a valid ID like any other.
        assert!(check_visitors(vec![("乙".into(), lucky)]).is_ok());
    }

    #[test]
    fn hostile_and_broken_files_are_refused_whole_with_a_reason() {
        let refused = |name: &str, bytes: &[u8]| {
            let problems = read_visitors_sheet(name, bytes).unwrap_err();
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(problems[0].row, 0);
            problems[0].message.clone()
        };
        assert!(refused("x.csv", &vec![b'1'; MAX_SHEET_BYTES + 1]).contains("文件过大"));
        assert!(refused("x.xlsx", b"PK\x03\x04 not a zip").contains("无法读取表格"));
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,身份证号\n张三,1\n");
        assert!(refused("x.csv", &gbk).contains("UTF-8"));
        assert!(refused("x.csv", b"").contains("空"));
        assert!(refused("x.csv", "姓名,身份证号\n,\n".as_bytes()).contains("没有参观人员"));

        // 10,000 rows: refused by the limit at once, not checked row by row.
        let ids = ids(1);
        let mut text = String::from("姓名,身份证号\n");
        for _ in 0..10_000 {
            text.push_str(&format!("某人,{}\n", ids[0]));
        }
        assert!(refused("x.csv", text.as_bytes()).contains("最多 500 人，这里有 10000 人"));

        // A header naming one column only, or something else, is named at its row.
        for (text, expected) in [
            ("姓名,电话\n张三,1\n", "缺少“身份证号”"),
            ("身份证号\n1\n", "缺少“姓名”"),
            ("<b>名单</b>\n张三\n", "第一行应为表头"),
        ] {
            let problems = read_visitors_sheet("x.csv", text.as_bytes()).unwrap_err();
            assert_eq!(problems[0].row, 1);
            assert!(problems[0].message.contains(expected), "{problems:?}");
        }

        // Markup is a name like any other; it is the page's job to escape it.
        let text = format!(
            "姓名,身份证号\n\"<img src=x onerror=alert(1)>\",{}\n",
            ids[0]
        );
        let visitors = read_visitors_sheet("x.csv", text.as_bytes()).unwrap();
        assert_eq!(visitors[0].name, "<img src=x onerror=alert(1)>");
    }
}
