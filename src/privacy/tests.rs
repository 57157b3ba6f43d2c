//! The scanner on short texts: each kind found with its character offsets, the forms
//! that must stay clean, full-width digits, and numbers inside longer runs.

use super::{Finding, FindingKind, scan};

/// `(kind, text)` of every finding.
fn found(text: &str) -> Vec<(FindingKind, String)> {
    scan(text).into_iter().map(|f| (f.kind, f.text)).collect()
}

fn only(text: &str, kind: FindingKind) -> Vec<String> {
    scan(text)
        .into_iter()
        .filter(|f| f.kind == kind)
        .map(|f| f.text)
        .collect()
}

/// Numbers checked by hand (and by an independent script): a valid ID number, one
/// with a 13th month, Luhn-valid card numbers of 19 and 16 digits, and an ID number
/// that passes Luhn too.
const ID: &str = "530102198001011237";
const ID_NO_DATE: &str = "530102198013011234";
const CARD_19: &str = "6222021234567890128";
const CARD_16: &str = "6217001234567893";
const CARD_16_B: &str = "6228481090728077";
const ID_AND_LUHN: &str = "530102198001011050";

/// The same string with another last character: a wrong check digit.
fn with_wrong_last(s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let last = chars.pop().expect("not empty");
    let other = if last == '1' { '2' } else { '1' };
    chars.push(other);
    chars.into_iter().collect()
}

fn in_fours(digits: &str) -> String {
    let groups: Vec<&str> = (0..digits.len())
        .step_by(4)
        .map(|i| &digits[i..(i + 4).min(digits.len())])
        .collect();
    groups.join(" ")
}

fn wide(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' | 'A'..='Z' => char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c),
            other => other,
        })
        .collect()
}

#[test]
fn id_numbers_are_found_with_character_offsets() {
    let id = ID.to_owned();
    let text = format!("经查，当事人身份证号{id}，住某小区。");
    let findings = scan(&text);
    assert_eq!(
        findings,
        vec![Finding {
            kind: FindingKind::IdNumber,
            start: 10,
            end: 28,
            text: id.clone()
        }]
    );
    // The ISO example ends in X; a lower-case x is the same number.
    assert_eq!(
        only("号码11010519491231002X。", FindingKind::IdNumber),
        ["11010519491231002X"]
    );
    assert_eq!(
        only("号码11010519491231002x。", FindingKind::IdNumber),
        ["11010519491231002x"]
    );
    let spaced = format!("{} {} {}", &id[..6], &id[6..14], &id[14..]);
    assert_eq!(
        only(&format!("身份证{spaced}。"), FindingKind::IdNumber),
        [spaced]
    );
}

#[test]
fn id_numbers_with_a_wrong_check_digit_or_date_are_not_found() {
    let wrong = with_wrong_last(ID);
    assert_eq!(found(&format!("身份证号{wrong}有误")), vec![]);
    // 13th month: no birth date, so no ID number (and not a card number either).
    assert_eq!(found(&format!("身份证号{ID_NO_DATE}有误")), vec![]);
}

#[test]
fn mobile_numbers_in_every_usual_form() {
    for written in [
        "13812345678",
        "138-1234-5678",
        "138 1234 5678",
        "+86 13812345678",
        "+86-13812345678",
    ] {
        let text = format!("联系电话：{written}，请核实。");
        let findings = scan(&text);
        assert_eq!(findings.len(), 1, "{written}: {findings:?}");
        assert_eq!(findings[0].kind, FindingKind::Mobile);
        assert_eq!(findings[0].text, written);
        assert_eq!(findings[0].start, 5);
    }
    // 12 is no mobile prefix.
    assert_eq!(found("编号12812345678。"), vec![]);
}

#[test]
fn landline_numbers_need_an_area_code() {
    for written in [
        "0871-65123456",
        "(0871)65123456",
        "（0871）6512 3456",
        "010-87654321",
        "087165123456",
        "0872-7123456",
    ] {
        let found = only(&format!("办公电话{written}。"), FindingKind::Landline);
        assert_eq!(found, [written], "{written}");
    }
    // No area code, or too short a local number.
    assert_eq!(found("拨打65123456或0871-1234联系。"), vec![]);
}

#[test]
fn bank_cards_pass_luhn() {
    let card = CARD_19;
    let text = format!("其妻通过卡号{card}收款");
    let findings = scan(&text);
    assert_eq!(findings.len(), 1);
    assert_eq!(
        (findings[0].kind, findings[0].start, findings[0].end),
        (FindingKind::BankCard, 6, 25)
    );
    let grouped = in_fours(CARD_16);
    assert_eq!(
        only(&format!("账户{grouped}内"), FindingKind::BankCard),
        [grouped]
    );
    assert_eq!(found(&format!("卡号{}有误", with_wrong_last(card))), vec![]);
}

#[test]
fn numbers_inside_longer_digit_runs_are_not_found() {
    for text in [
        format!("流水号{ID}07"),
        format!("流水号9{ID}"),
        format!("订单号2023{}0001", "13812345678"),
        format!("凭证{CARD_19}123"),
        // A 16-digit card number would be the start of this grouped 19-digit number.
        format!("卡号{} 732有误", in_fours(CARD_16_B)),
        "版本v13812345678".to_owned(),
        "比例为1.3812345678".to_owned(),
    ] {
        assert_eq!(found(&text), vec![], "{text}");
    }
}

#[test]
fn an_id_number_is_not_also_a_card_or_phone() {
    // An ID number that also passes Luhn is reported once, as an ID number.
    assert_eq!(
        found(&format!("证件{ID_AND_LUHN}。")),
        vec![(FindingKind::IdNumber, ID_AND_LUHN.to_owned())]
    );
}

#[test]
fn full_width_digits_are_found_at_their_own_offsets() {
    let text = format!("身份证号{}，手机{}", wide(ID), wide("13912345678"));
    let findings = scan(&text);
    assert_eq!(findings.len(), 2, "{findings:?}");
    assert_eq!(
        (findings[0].kind, findings[0].start, findings[0].end),
        (FindingKind::IdNumber, 4, 22)
    );
    assert_eq!(findings[0].text, wide(ID));
    assert_eq!(
        (findings[1].kind, findings[1].start),
        (FindingKind::Mobile, 25)
    );
    assert_eq!(findings[1].text, "１３９１２３４５６７８");
}

#[test]
fn emails_and_plates() {
    assert_eq!(
        found("邮箱wang.jg78@example.cn，车牌号云A·12345，另一辆京AD12345。"),
        vec![
            (FindingKind::Email, "wang.jg78@example.cn".to_owned()),
            (FindingKind::Plate, "云A·12345".to_owned()),
            (FindingKind::Plate, "京AD12345".to_owned()),
        ]
    );
    // Not plates: no digits to speak of, or a longer code; not an address: no domain.
    assert_eq!(found("云南ABCDE型号，川A12345678，联系@某某"), vec![]);
}

#[test]
fn names_next_to_titles_and_cues() {
    let cases = [
        ("经查，某某局原局长王建国利用职务便利收受财物。", "王建国"),
        ("欧阳明辉同志出席会议。", "欧阳明辉"),
        ("李秀英女士反映情况。", "李秀英"),
        ("其妻张丽华通过银行卡收受转账。", "张丽华"),
        ("犯罪嫌疑人刘志强已被留置。", "刘志强"),
        ("王伟副局长分管财务工作。", "王伟"),
        ("纪委书记周海涛在会上讲话。", "周海涛"),
    ];
    for (text, name) in cases {
        assert_eq!(only(text, FindingKind::PersonName), [name], "{text}");
    }
    let text = "某县财政局局长陈小红、出纳赵刚等人违规发放津贴。";
    let findings = scan(text);
    let spans: Vec<(usize, usize, &str)> = findings
        .iter()
        .map(|f| (f.start, f.end, f.text.as_str()))
        .collect();
    assert_eq!(spans, [(7, 10, "陈小红"), (13, 15, "赵刚")]);
}

/// Anonymised names, pseudonyms, a surname with a title, role words alone, places,
/// organisations, public figures and words that begin with a surname.
#[test]
fn anonymised_names_and_ordinary_words_are_clean() {
    for text in [
        "某局原局长王某利用职务便利收受财物。",
        "其妻王某某通过银行卡收受转账。",
        "犯罪嫌疑人张××已被留置。",
        "犯罪嫌疑人张XX已被留置。",
        "被告人李*与他人共谋。",
        "张三（化名）在接受审查调查期间主动交代问题。",
        "化名为李四的当事人反映情况。",
        "周先生和韩女士反映情况。",
        "局长高度重视，书记全面负责，涉案金额万元。",
        "局长办公会议研究决定，由主任科员负责整改。",
        "王家坝村、张家界市的党员干部参加了警示教育大会。",
        "全国人民代表大会常务委员会第六次会议通过。",
        "学习雷锋精神和焦裕禄精神，深入学习习近平新时代中国特色社会主义思想。",
        "被害人陈述与证人证言相互印证，经审判长许可后发问。",
    ] {
        let names = only(text, FindingKind::PersonName);
        assert!(names.is_empty(), "{text}: {names:?}");
    }
}

#[test]
fn offsets_count_characters_and_findings_do_not_overlap() {
    let text = "🙂汇报：王建国局长的手机13812345678，邮箱wjg@example.com。";
    let chars: Vec<char> = text.chars().collect();
    let findings = scan(text);
    assert_eq!(findings.len(), 3, "{findings:?}");
    let mut last = 0;
    for f in &findings {
        assert!(f.start >= last);
        assert_eq!(chars[f.start..f.end].iter().collect::<String>(), f.text);
        last = f.end;
    }
    assert_eq!((findings[0].start, findings[0].end), (4, 7));
}

#[test]
fn empty_and_plain_texts_have_no_findings() {
    assert_eq!(scan(""), vec![]);
    assert_eq!(scan("各级领导干部要以案为鉴、以案促改。"), vec![]);
}

#[test]
fn a_name_found_once_is_found_at_every_mention() {
    let text = "经查，原大队长李建华收受礼金。此后李建华多次退还未果，李建华的联系电话已停用。";
    let names: Vec<_> = scan(text)
        .into_iter()
        .filter(|f| f.kind == FindingKind::PersonName)
        .map(|f| (f.start, f.text))
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.iter().all(|(_, t)| t == "李建华"), "{names:?}");
}
