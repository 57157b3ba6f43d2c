//! The test set: sentences in the style of case bulletins (典型案例通报) about fictional
//! people, each with the personal data it holds. Deterministic (a fixed seed).
//!
//! It is written to measure, not to please the scanner: many names stand where no title
//! or cue announces them (subjects, objects, lists), some roles are words the scanner
//! does not know (技术员, 中间人, 承包商), a few surnames are rare ones, and numbers
//! come in every way people write them.

use jingshi::privacy::FindingKind;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, IteratorRandom};
use rand::{RngExt, SeedableRng};

/// One sentence and what the scanner should find in it.
pub struct Sample {
    pub text: String,
    pub truth: Vec<(FindingKind, String)>,
    pub template: usize,
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖",
    "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈",
    "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏", "韦", "付",
    "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯", "龙", "史",
    "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "钱", "严", "覃", "武", "戴", "莫", "孔", "汤",
    "常", "温", "康", "施", "牛", "樊", "葛", "邢", "岑", "晏", "欧阳", "司马", "诸葛", "上官",
    "皇甫", "令狐",
];

/// Rare surnames, several of them also common words (和, 应, 查), which the scanner's
/// surname list leaves out. People with surnames beyond the few hundred common ones are
/// a few per cent; these are drawn for 3% of names.
const RARE_SURNAMES: &[&str] = &["杞", "和", "党", "应", "查", "佴", "郗", "仉"];
const RARE_SURNAME_SHARE: f64 = 0.03;

const GIVEN: &str = "建国华明伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛超霞平刚桂兰红辉鹏飞斌波宇浩凯健俊帆旭宁龙林欢晨瑞翔婷雪琳晶玲燕梅莉萍倩慧颖佳欣志永海春金德文东亮成荣新胜兵峰泽宏庆松光天玉云凤琴丹蕾嘉铭昊睿轩博楠琪怡馨梓思立家振福贵祥忠民学卫红军";

/// Characters of given names that are uncommon (but real).
const RARE_GIVEN: &str = "淦燚垚赟珩昶翊湉骞沅芸玥珞琬钊铎霁韬劼祎頔喆堃犇骁朔晞岫";

/// Organisations, all fictional.
const ORGS: &[&str] = &[
    "某县交通运输局",
    "某市自然资源局",
    "某区住房和城乡建设局",
    "某县财政局",
    "某市卫生健康委员会",
    "某国有企业",
    "某县烟草专卖局",
    "某市消防救援支队",
    "某乡镇人民政府",
    "某县人民医院",
    "某市税务局",
    "某区教育体育局",
    "某县农业农村局",
    "某市公安局某分局",
    "某开发区管委会",
];

/// Titles the scanner knows, written before or after the name.
const TITLES: &[&str] = &[
    "局长",
    "副局长",
    "党组书记",
    "处长",
    "科长",
    "副主任",
    "主任",
    "经理",
    "总经理",
    "董事长",
    "所长",
    "队长",
    "副县长",
    "镇长",
    "村主任",
    "会计",
    "出纳",
    "党委书记",
    "副书记",
    "院长",
];

/// Roles the scanner's lists do not name: a name after them is found only by jieba.
const HELD_OUT_ROLES: &[&str] = &[
    "技术员",
    "保管员",
    "业务员",
    "网格员",
    "承包商",
    "中间人",
    "个体户",
    "采购员",
    "供应商",
];

const ID_REGIONS: &[&str] = &[
    "530102", "530103", "532301", "110105", "440304", "510107", "320106", "420106", "370102",
    "330106", "610113", "500103", "450103", "520102", "430104",
];

const CARD_PREFIXES: &[&str] = &[
    "622202", "621700", "622848", "623668", "436742", "621226", "622588", "625911",
];

const MAIL_DOMAINS: &[&str] = &[
    "163.com",
    "qq.com",
    "126.com",
    "sina.com",
    "example.cn",
    "yeah.net",
];
const PINYIN: &[&str] = &[
    "wang", "li", "zhang", "liu", "chen", "yang", "zhao", "zhou", "xu", "sun", "ma", "hu",
];
const PROVINCES: &[&str] = &["云", "川", "贵", "京", "粤", "浙", "苏", "鲁", "湘", "渝"];
const PLATE_LETTERS: &[char] = &[
    'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'J', 'K', 'L', 'M', 'N', 'P',
];

/// The bulletins' templates. `{N}` a name (found), `{S}` the same surname masked
/// (王某, 张××: clean), `{U}` a name of rare characters (found), `{P}` a pseudonym (clean), `{T}` a known title, `{R}` a held-out
/// role, `{O}` an organisation, `{ID}`/`{BADID}` a valid / invalid ID number, `{MOB}`,
/// `{TEL}`, `{CARD}`/`{BADCARD}`, `{MAIL}`, `{PLATE}`, `{AMT}` an amount, `{Y}` a year,
/// `{TAIL}` four digits.
const TEMPLATES: &[&str] = &[
    // Names announced by a title or cue.
    "经查，{O}原{T}{N}利用职务便利，在工程项目承揽等方面为他人谋取利益，收受财物共计{AMT}万元。",
    "{O}{T}{N}违规收受管理服务对象所送礼品礼金，受到党内严重警告处分。",
    "{N}{T}在{Y}年春节期间违规接受宴请，被诫勉谈话。",
    "其妻{N}通过尾号为{TAIL}的银行卡{CARD}收受他人转账{AMT}万元。",
    "犯罪嫌疑人{N}，男，身份证号{ID}，现羁押于某看守所。",
    "被告人{N}身份证号码：{ID}，联系电话{MOB}。",
    "当事人{N}的联系方式为{TEL}，电子邮箱{MAIL}。",
    "{N}同志任职期间，严格落实中央八项规定精神。",
    "请{N}女士于三日内到本机关说明情况，联系电话{MOB}。",
    "{O}党委书记、{T}{N}对本单位违规发放津贴补贴问题负有主要领导责任。",
    "其子{N}以咨询费名义收受某公司所送现金{AMT}万元。",
    "证人{N}证实，{Y}年5月其驾驶车牌号为{PLATE}的轿车将现金送至某小区。",
    "{O}{T}{N}、{T}{N}等人违规公款吃喝，分别受到政务警告处分。",
    "举报人{N}反映，{O}有关人员违规经商办企业。",
    "{N}先生驾驶{PLATE}号小型汽车，违规出入私人会所。",
    // Names with no title or cue next to them: only jieba's tagging can find these.
    "{N}利用担任{O}{T}的职务便利，为他人在项目审批方面谋取利益。",
    "经查，{N}与{N}共谋，将公款{AMT}万元转入个人账户。",
    "{Y}年至{Y}年间，{N}多次向{N}借款，共计{AMT}万元，至今未还。",
    "由{R}{N}出面，将{AMT}万元现金交给{N}。",
    "{R}{N}承认，曾向{O}有关负责人行贿。",
    "{N}将收受的钱款存入其控制的银行账户{CARD}。",
    "案发后，{N}主动投案，如实供述了自己的罪行。",
    "{N}、{N}、{N}三人在同一酒店违规接受宴请。",
    "{N}在担任{O}{T}期间，利用职务上的便利收受财物。",
    "据{N}交代，现金由其本人保管。",
    // Anonymised forms (clean) around real personal data.
    "{O}原{T}{S}严重违纪违法，被开除党籍和公职。",
    "其妻{S}在某银行开立账户，卡号为{CARD}。",
    "犯罪嫌疑人{S}，身份证号{BADID}，已被依法留置。",
    "{P}在接受审查调查期间，主动交代了问题。",
    "被告人{S}与{S}共同收受某公司财物，联系电话{TEL}。",
    "{S}{T}违规使用公车，车牌号{PLATE}。",
    "当事人{S}提供的银行卡号为{BADCARD}，经核查卡号有误。",
    "证人{S}的身份证号{BADID}与户籍信息不符。",
    // Numbers only.
    "举报电话：{TEL}，举报邮箱：{MAIL}。",
    "涉案车辆车牌号{PLATE}，登记车主身份证号{ID}。",
    "来电号码{MOB}，通话时长3分钟。",
    "转账记录显示，资金从卡号{CARD}转入尾号{TAIL}的账户。",
    "监察机关依法冻结其名下银行卡{CARD}内存款{AMT}万元。",
    "联系人手机{MOB}，办公电话{TEL}。",
    "订单编号{LONG}，支付金额{AMT}万元。",
    "交易流水号{IDLONG}，凭证号{CARDLONG}。",
    "核查发现所填卡号{BADCARD}不符合校验规则。",
    "所报身份证号{BADID}校验位有误，经核实系笔误。",
    // Held out: verbs, prepositions and places in the sentence that no list of the
    // scanner names, and given names of rare characters (`{U}`).
    "{N}挪用公款{AMT}万元用于个人营利活动。",
    "{N}虚报冒领补助资金，被给予开除党籍处分。",
    "在{N}的授意下，财务人员多次套取资金。",
    "{N}和{N}系同学关系，长期保持不正当往来。",
    "{N}默许其亲属收受他人财物。",
    "调查组依规约谈了{N}。",
    "举报信反映{N}侵占集体资金。",
    "相关责任人（{N}）已被立案审查调查。",
    "{O}{T}{U}违规收受礼金，受到撤职处分。",
    "{U}利用职务便利为他人谋取利益。",
    "犯罪嫌疑人{U}已被依法采取留置措施。",
    // No personal data (with traps: role words, place and organisation names, amounts).
    "市长专线和县长信箱共受理群众来信{CNT}件。",
    "局长办公会、书记专题会和主任会议均作了研究部署。",
    "会计凭证、出纳账簿和经理层人员履职情况一并纳入审计。",
    "石油化工、黄金珠宝和白酒企业是本次专项整治的重点。",
    "万元以上大额支出须经党组会议集体研究。",
    "高速公路、江河湖泊和金沙江流域的生态环境问题一并整改。",
    "方向盘、钱包、黄金首饰等物品已依法扣押。",
    "常委会、董事会和监事会的议事规则需进一步完善。",
    "雷锋精神、焦裕禄精神和杨善洲精神是党员干部的精神坐标。",
    "组织部长、宣传部长和统战部长出席了会议。",
    "项目负责人、技术负责人和安全负责人均未到岗履职。",
    "明确要求各单位主要负责同志亲自抓、负总责。",
    "全体同志要以案为鉴，文明单位、卫生城市和平安社区创建不能放松。",
    "严禁利用职务便利为亲友经商办企业提供帮助，周年庆典等活动严禁铺张浪费。",
    "{O}党组高度重视，全面加强警示教育，{Y}年共查处违规问题{CNT}起。",
    "局长办公会议研究决定，由主任科员负责整改落实。",
    "市长热线{HOTLINE}受理群众反映问题{CNT}件，办结率百分之九十八。",
    "涉案金额{AMT}万元，已全部追缴上缴国库。",
    "王家坝村、张家界市、石林彝族自治县的党员干部参加了警示教育大会。",
    "依据《中华人民共和国监察法》第{CNT}条，对其采取留置措施。",
    "书记全面负责，副书记具体抓落实，委员各负其责。",
    "文件编号云纪发〔{Y}〕{CNT}号，于{Y}年{CNT}月印发。",
    "于是，该局向党组织作出深刻检查，并在全系统通报。",
    "统一社会信用代码91530100MA6K{TAIL}Y，注册资本{AMT}万元。",
    "案件涉及黄金首饰、高档烟酒和购物卡，价值共计{AMT}万元。",
    "各级领导干部要以案为鉴、以案促改，筑牢拒腐防变的思想防线。",
    "常委会会议听取了关于巡察整改情况的报告，文明城市创建工作同步推进。",
];

/// Short sentences that each hold numbers, valid or not, in every written form: many
/// more numbers than the bulletins give, for the numeric kinds' rates.
const NUMBER_TEMPLATES: &[&str] = &[
    "身份证号{ID}。",
    "身份证号码：{BADID}（校验位有误）",
    "手机{MOB}，固话{TEL}",
    "电话：{TEL}；传真：{TEL}",
    "卡号{CARD}，户名{S}",
    "卡号{BADCARD}无法转账",
    "流水号{IDLONG}，订单号{LONG}",
    "凭证号{CARDLONG}",
    "来电{MOB}（{Y}年{CNT}月）",
    "{MOB}、{MOB}均为其本人使用",
    "邮箱{MAIL}，车牌{PLATE}",
];

/// The bulletins' sentences, `count` of them, the templates in turn.
pub fn generate(count: usize) -> Vec<Sample> {
    fill_templates(TEMPLATES, count, 18)
}

/// `count` sentences of numbers.
pub fn numbers(count: usize) -> Vec<Sample> {
    fill_templates(NUMBER_TEMPLATES, count, 1818)
}

fn fill_templates(templates: &[&str], count: usize, seed: u64) -> Vec<Sample> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|i| {
            let template = i % templates.len();
            let mut g = Gen {
                rng: &mut rng,
                truth: Vec::new(),
            };
            let text = g.fill(templates[template]);
            Sample {
                text,
                truth: g.truth,
                template,
            }
        })
        .collect()
}

struct Gen<'a> {
    rng: &'a mut StdRng,
    truth: Vec<(FindingKind, String)>,
}

impl Gen<'_> {
    fn fill(&mut self, template: &str) -> String {
        let mut out = String::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = open + rest[open..].find('}').expect("closed slot");
            let slot = &rest[open + 1..close];
            let value = self.slot(slot);
            out.push_str(&value);
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        out
    }

    fn pick<'s>(&mut self, list: &[&'s str]) -> &'s str {
        list.choose(self.rng).expect("non-empty list")
    }

    fn pick_char(&mut self, chars: &str) -> char {
        chars.chars().choose(self.rng).expect("non-empty list")
    }

    fn found(&mut self, kind: FindingKind, text: String) -> String {
        self.truth.push((kind, text.clone()));
        text
    }

    fn found_by(&mut self, kind: FindingKind, make: impl FnOnce(&mut Self) -> String) -> String {
        let text = make(self);
        self.found(kind, text)
    }

    fn slot(&mut self, slot: &str) -> String {
        match slot {
            "N" => {
                let name = self.name();
                self.found(FindingKind::PersonName, name)
            }
            "U" => {
                let surname = self.surname();
                let mut name = surname.to_owned();
                for _ in 0..self.rng.random_range(1..3) {
                    name.push(self.pick_char(RARE_GIVEN));
                }
                self.found(FindingKind::PersonName, name)
            }
            "S" => self.masked(),
            "P" => {
                let name = self.name();
                if self.rng.random_bool(0.5) {
                    format!("{name}（化名）")
                } else {
                    format!("化名为{name}的当事人")
                }
            }
            "T" => self.pick(TITLES).to_owned(),
            "R" => self.pick(HELD_OUT_ROLES).to_owned(),
            "O" => self.pick(ORGS).to_owned(),
            "ID" => self.found_by(FindingKind::IdNumber, |g| g.id_number(true)),
            "BADID" => self.id_number(false),
            "MOB" => self.found_by(FindingKind::Mobile, Self::mobile),
            "TEL" => self.found_by(FindingKind::Landline, Self::landline),
            "CARD" => self.found_by(FindingKind::BankCard, |g| g.card(true)),
            "BADCARD" => self.card(false),
            "MAIL" => self.found_by(FindingKind::Email, Self::mail),
            "PLATE" => self.found_by(FindingKind::Plate, Self::plate),
            "AMT" => {
                let whole = self.rng.random_range(1..2000);
                if self.rng.random_bool(0.5) {
                    format!("{whole}.{}", self.rng.random_range(1..99))
                } else {
                    whole.to_string()
                }
            }
            "Y" => self.rng.random_range(2012..2025).to_string(),
            "CNT" => self.rng.random_range(2..60).to_string(),
            "TAIL" => format!("{:04}", self.rng.random_range(0..10000)),
            "HOTLINE" => "12345".to_owned(),
            // A long run with a valid mobile number inside it: not a finding.
            "LONG" => format!(
                "2023{}{:04}",
                self.bare_mobile(),
                self.rng.random_range(0..10000)
            ),
            // A valid ID number and card number with more digits after them: not findings.
            "IDLONG" => format!(
                "{}{:02}",
                self.id_number(true),
                self.rng.random_range(0..100)
            ),
            // Four more digits make 20 or 23: too long for any card.
            "CARDLONG" => format!("{}{}", self.card(true).replace(' ', ""), self.digits(4)),
            other => panic!("unknown slot {other}"),
        }
    }

    fn surname(&mut self) -> &'static str {
        if self.rng.random_bool(RARE_SURNAME_SHARE) {
            self.pick(RARE_SURNAMES)
        } else {
            self.pick(SURNAMES)
        }
    }

    fn name(&mut self) -> String {
        let surname = self.surname();
        let given_len = if surname.chars().count() == 2 || self.rng.random_bool(0.25) {
            1
        } else {
            2
        };
        let mut name = surname.to_owned();
        for _ in 0..given_len {
            name.push(self.pick_char(GIVEN));
        }
        name
    }

    fn masked(&mut self) -> String {
        let surname = self.pick(SURNAMES);
        let mask = self.pick(&["某", "某某", "××", "XX", "*", "某某"]);
        format!("{surname}{mask}")
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.rng.random_range(0..10u8)))
            .collect()
    }

    /// Half the time in full-width digits, as typed with a Chinese input method.
    fn maybe_wide(&mut self, s: String) -> String {
        if self.rng.random_bool(0.1) {
            s.chars()
                .map(|c| match c {
                    '0'..='9' | 'A'..='Z' | 'a'..='z' | '-' | '@' | '.' | '+' => {
                        char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c)
                    }
                    other => other,
                })
                .collect()
        } else {
            s
        }
    }

    fn id_number(&mut self, valid: bool) -> String {
        let region = self.pick(ID_REGIONS);
        let year = self.rng.random_range(1950..2003);
        let month = self.rng.random_range(1..13);
        let day = self.rng.random_range(1..29);
        let seq = self.digits(3);
        let body = format!("{region}{year}{month:02}{day:02}{seq}");
        let check = id_check(&body);
        let check = if valid {
            check
        } else {
            let others: Vec<char> = "0123456789X".chars().filter(|&c| c != check).collect();
            *others.choose(self.rng).expect("ten others")
        };
        let check = if check == 'X' && self.rng.random_bool(0.3) {
            'x'
        } else {
            check
        };
        let id = if self.rng.random_bool(0.15) {
            format!("{} {} {}{check}", &body[..6], &body[6..14], &body[14..])
        } else {
            format!("{body}{check}")
        };
        self.maybe_wide(id)
    }

    fn bare_mobile(&mut self) -> String {
        let second = self.pick(&["3", "5", "7", "8", "9"]);
        format!("1{second}{}", self.digits(9))
    }

    fn mobile(&mut self) -> String {
        let m = self.bare_mobile();
        let written = match self.rng.random_range(0..7) {
            0 => format!("{}-{}-{}", &m[..3], &m[3..7], &m[7..]),
            1 => format!("{} {} {}", &m[..3], &m[3..7], &m[7..]),
            2 => format!("+86 {m}"),
            3 => format!("+86-{m}"),
            4 => format!("0086 {m}"),
            _ => m,
        };
        self.maybe_wide(written)
    }

    fn landline(&mut self) -> String {
        let (area, local_len) = *[
            ("0871", 8),
            ("010", 8),
            ("020", 8),
            ("0872", 7),
            ("0691", 7),
            ("028", 8),
        ]
        .choose(self.rng)
        .expect("areas");
        let first = self.rng.random_range(2..10);
        let local = format!("{first}{}", self.digits(local_len - 1));
        let written = match self.rng.random_range(0..5) {
            0 => format!("({area}){local}"),
            1 => format!("（{area}）{local}"),
            2 => format!("{area}{local}"),
            _ => format!("{area}-{local}"),
        };
        self.maybe_wide(written)
    }

    fn card(&mut self, valid: bool) -> String {
        let prefix = self.pick(CARD_PREFIXES);
        let len = *[16usize, 19].choose(self.rng).expect("lengths");
        let body = format!("{prefix}{}", self.digits(len - 1 - prefix.len()));
        let check = luhn_check(&body);
        let check = if valid {
            check
        } else {
            (check + self.rng.random_range(1..10)) % 10
        };
        let card = format!("{body}{check}");
        let written = if self.rng.random_bool(0.3) {
            card.as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            card
        };
        self.maybe_wide(written)
    }

    fn mail(&mut self) -> String {
        let user = self.pick(PINYIN);
        let n = self.rng.random_range(60..100);
        let domain = self.pick(MAIL_DOMAINS);
        format!("{user}{n}@{domain}")
    }

    fn plate(&mut self) -> String {
        let province = self.pick(PROVINCES);
        let letter = *PLATE_LETTERS.choose(self.rng).expect("letters");
        let serial = match self.rng.random_range(0..4) {
            0 => format!("D{}", self.digits(5)),
            1 => format!(
                "{}{}",
                *PLATE_LETTERS.choose(self.rng).expect("letters"),
                self.digits(4)
            ),
            _ => self.digits(5),
        };
        let sep = self.pick(&["·", "", "", " "]);
        format!("{province}{letter}{sep}{serial}")
    }
}

/// The GB 11643 check character of 17 digits.
fn id_check(body: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize]
}

/// The Luhn check digit to append to `body`: every second digit from the right,
/// starting with the last, counts double (digits summed).
fn luhn_check(body: &str) -> u32 {
    const DOUBLED: [u32; 10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];
    let digits: Vec<u32> = body.chars().filter_map(|c| c.to_digit(10)).collect();
    let mut sum = 0;
    for (from_right, d) in digits.iter().rev().enumerate() {
        sum += if from_right.is_multiple_of(2) {
            DOUBLED[*d as usize]
        } else {
            *d
        };
    }
    (10 - sum % 10) % 10
}
