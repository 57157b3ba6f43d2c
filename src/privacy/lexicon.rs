//! The word lists the name finder reads: surnames, titles and the words that announce
//! or follow a person's name. Written for this project from common knowledge of Chinese
//! names and of how case bulletins are worded.

/// Common single-character surnames (the few hundred that cover nearly everyone).
/// Characters that are mostly something else in running text (和, 时, 原, 都, 来 ...)
/// are left out; a name with such a surname is still found through jieba's tagging.
pub(super) const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖\
田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎\
段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟\
殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙\
鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农卓古吉缪简车项连芦麦褚娄窦戚岑景宫费卜冷晏席卫米柏宗瞿桂全佟\
臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南\
班储栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻厉伊仝郜阚花权强帅屠豆朴盖练廉禹井祖漆巴丰卿狄计索宣晋初云\
容敬扈晁芮普阙浦戈伏鹿薄邸雍辜羊裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇湛宾戎勾茅揭干尉\
冶斯束檀衣展昝智幸奉植衡富尧闭";

/// Two-character surnames; checked before the single ones (欧阳, not 欧).
pub(super) const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "夏侯", "长孙",
    "宇文", "司徒", "端木", "独孤", "南宫", "西门", "轩辕", "百里", "呼延", "澹台", "万俟", "闻人",
    "东郭", "申屠", "钟离", "赫连", "拓跋", "鲜于", "第五", "左丘", "太史", "濮阳", "淳于", "单于",
];

/// Titles and posts written right before or after a name (局长王建国, 王建国局长).
/// Longer forms (副局长, 党委书记) need not be listed: the shorter one inside is found.
pub(super) const TITLES: &[&str] = &[
    "局长",
    "处长",
    "科长",
    "主任",
    "书记",
    "经理",
    "董事长",
    "所长",
    "队长",
    "厅长",
    "县长",
    "市长",
    "镇长",
    "乡长",
    "区长",
    "省长",
    "部长",
    "村主任",
    "会计",
    "出纳",
    "站长",
    "院长",
    "校长",
    "主席",
    "组长",
    "社长",
    "行长",
    "总监",
    "庭长",
    "检察长",
    "审判长",
    "审判员",
    "检察官",
    "法官",
    "秘书长",
    "秘书",
    "馆长",
    "台长",
    "总裁",
    "总经济师",
    "总工程师",
    "总会计师",
    "监事",
    "董事",
    "理事长",
    "会长",
    "专员",
    "巡视员",
    "调研员",
    "督察长",
    "政委",
    "教导员",
    "指导员",
    "大队长",
    "中队长",
    "支队长",
    "主管",
    "股长",
    "主办",
    "委员",
    "常委",
    "代表",
    "村长",
    "支书",
    "厂长",
    "总经理",
    "副总",
    "老总",
    "师傅",
    "医生",
    "护士长",
    "教授",
    "老师",
    "律师",
    "民警",
    "警官",
    "记者",
    "干部",
    "科员",
    "职工",
    "员工",
    "司机",
    "驾驶员",
    "局长助理",
    "总工",
    "审计师",
];

/// Words after which a name follows (犯罪嫌疑人王某, 其妻李秀英).
pub(super) const CUES_BEFORE: &[&str] = &[
    "犯罪嫌疑人",
    "嫌疑人",
    "被告人",
    "被告",
    "原告",
    "上诉人",
    "被上诉人",
    "申请人",
    "被申请人",
    "当事人",
    "证人",
    "被害人",
    "受害人",
    "举报人",
    "检举人",
    "控告人",
    "委托人",
    "代理人",
    "辩护人",
    "法定代表人",
    "负责人",
    "实际控制人",
    "股东",
    "老板",
    "商人",
    "私营企业主",
    "包工头",
    "其妻",
    "其夫",
    "其子",
    "其女",
    "其父",
    "其母",
    "其弟",
    "其兄",
    "其姐",
    "其妹",
    "其侄",
    "其婿",
    "其儿媳",
    "其女婿",
    "其外甥",
    "其表弟",
    "其妻弟",
    "其妻子",
    "其丈夫",
    "其儿子",
    "其女儿",
    "妻子",
    "丈夫",
    "儿子",
    "女儿",
    "前妻",
    "岳父",
    "岳母",
    "情妇",
    "情人",
    "特定关系人",
    "同学",
    "好友",
    "朋友",
    "亲属",
    "亲戚",
    "联系人",
    "经办人",
    "收款人",
    "户名",
    "持卡人",
    "账户名",
    "姓名",
    "名叫",
    "名为",
    "户主",
    "车主",
    "房主",
    "业主",
];

/// Words written right after a name (王建国同志, 李秀英女士).
pub(super) const CUES_AFTER: &[&str] = &[
    "同志",
    "先生",
    "女士",
    "小姐",
    "夫妇",
    "等人",
    "之妻",
    "之子",
    "之女",
    "之夫",
    "的妻子",
    "的丈夫",
    "的儿子",
    "的女儿",
];

/// What a person does, written right after a name standing alone (王伟利用职务便利).
pub(super) const PERSON_FOLLOWERS: &[&str] = &[
    "利用",
    "将",
    "曾",
    "称",
    "说",
    "借",
    "等人",
    "多次",
    "先后",
    "分别",
    "亲自",
    "本人",
    "主动",
    "涉嫌",
    "收受",
    "索取",
    "违规",
    "违反",
    "担任",
    "任职",
    "伙同",
    "指使",
    "授意",
    "安排",
    "要求",
    "出面",
    "交代",
    "承认",
    "供述",
    "表示",
    "证实",
    "反映",
    "辩称",
    "明知",
    "同意",
    "决定",
    "分管",
    "个人",
    "夫妇",
    "一家",
    "妻子",
    "丈夫",
    "之妻",
    "之子",
    "之女",
    "的妻子",
    "的丈夫",
    "的儿子",
    "的女儿",
    "家中",
    "名下",
    "私自",
    "擅自",
    "长期",
    "退休",
    "到案",
    "投案",
    "在担任",
    "在任",
    "被查",
    "被留置",
    "被开除",
];

/// What introduces a person, written right before a name standing alone (据王伟交代).
pub(super) const PERSON_PRECEDERS: &[&str] = &[
    "据", "交给", "送给", "转给", "借给", "委托", "指使", "授意", "伙同", "告诉", "通知", "介绍",
    "帮助", "请托",
];

/// Last characters of words for a person (责任人, 驾驶员, 举报者), after which a name
/// may stand in parentheses.
pub(super) const PERSON_WORD_ENDS: &str = "人员者长";

/// Grammatical characters jieba's HMM sometimes glues to the end of a name (葛庆泽将).
pub(super) const GLUED_CHARS: &str = "将在的系和与及等了是对把被向从为以于也又都就已曾";

/// Characters never found in a given name: function words, and the suffixes that
/// make a word of what comes before them (迟发性, 仲裁庭, 王家坝村).
pub(super) const NOT_GIVEN_CHARS: &str = "在的了是和与及或等被把将向对为因从自以于由给让使也又还都就才已曾所\
之其这那该此各每某个位名人者并但却说称时后前上下任系即乃均皆仍再另请要应可能会需曾将\
年月日号省市县区乡镇村组局处科室部委厅院队站司厂店校性化式们率度费庭证单表卡款额数量类\
种项条法规制权税案罪业员面点期副不没未非无有得出甲乙丙丁一二三四五六七八九十两几";

/// Characters common in given names. A name no title or cue announces is taken only
/// when its given name is made of these: jieba's dictionary tags words such as 施工图,
/// 安全观 and 麻黄素 as names too.
pub(super) const GIVEN_NAME_CHARS: &str = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰红辉玲华飞鹏斌波宇浩凯健俊帆帅旭宁龙林欢阳建国晨\
瑞翔婷雪琳晶燕梅莉萍倩慧颖佳欣悦志永海春金德文东亮成荣新胜兵峰泽宏庆松光天玉云凤琴丹蕾嘉铭昊睿轩\
博楠琪怡馨梓思立家振福贵祥忠民学卫中山江河清水青秋冬夏月星晓小大子长生发富财宝珍珠翠菊莲荷花香芬\
芝琼瑶璐露霜蓉蓓蕊薇萱茜莎姗珊妍婉媛娇妮娅婕嫣岚虹彤彩彬斐菲霏雯雅淑贤惠洁纯真诚信义仁礼智勤俭廉\
正直毅坚武威雄豪岩石森树柏杨柳桃李竹杉桦楷栋梁材才聪捷达通顺利安康泰和吉喜乐愉畅舒逸致远航舟澜浪\
潮泉溪源渊深滨洲岛峻岭巍峥嵘崇高鼎鑫钰锐锋钧镇钦铁钢锦绣紫蓝碧素皓莹瑜瑾璇珺璟瑛琦琛玮珏环佩贝\
昌盛兴旺进升腾鹤鸿雁莺凰虎麟骏驰晖晗昕暄晴昭曦朝耀煜烨炜焕炎灿熙然照焱彦哲涵润沛淼澄添沁汐沐霖雨\
风晟昱奕宸辰弘泓洪宗祖定守宪寿久延恒常力勋功劲励仙侠修伦伯仲叔季元先克兆全冠创剑卓南卿友双叶同向\
君启周咏品唐圣均坤培基堂增士声夫奇奎好如妙姝娥婵婧存孝孟宋宜宣宽寒少尚尧岳川州巧希师幸广庄庭开彪\
影征心忆念恩情意慈战敬方昂昆景曼朋望朗本杏杭果根格梧棋楚毓汉治洛浚淳渝湘满漫潇灵炳烈爱牧玄珂球理\
琨琰璋璞甜田甫男界登白百益盈相知祺禄禹秉科程稳穗章童端笑策筠箐米粤精纪纲维美羽翎臣良艺芃芊芮芷苏\
苗若茂茵茹菁萌蒙蔚蕴言训诗语谦贞赛越跃路迪道邦郎银闯闻雷震霆韵颂飘魁鸣鹰麒黎默齐桐栩梦姣媚娴嫒妤\
姿姬娣雀倍";

/// What follows a place named after a family (王家坝村, 李庄镇).
pub(super) const PLACE_SUFFIXES: &str = "村镇乡县市区省州街路巷庄屯寨湾沟坝桥河山岭坪峡";

/// Tags of words that cannot be (or begin) a name.
pub(super) const FUNCTION_TAGS: &[&str] = &[
    "p", "c", "u", "uj", "ul", "uz", "ug", "uv", "ud", "y", "e", "o", "x",
];

/// Public figures named in the material as such, not private people.
pub(super) const PUBLIC_FIGURES: &[&str] = &[
    "习近平",
    "毛泽东",
    "邓小平",
    "江泽民",
    "胡锦涛",
    "周恩来",
    "刘少奇",
    "朱德",
    "孙中山",
    "马克思",
    "恩格斯",
    "列宁",
    "斯大林",
    "雷锋",
    "焦裕禄",
    "孔繁森",
    "杨善洲",
    "谷文昌",
    "廖俊波",
    "黄大年",
    "张桂梅",
    "孔子",
    "孟子",
    "包拯",
    "海瑞",
    "方志敏",
    "任弼时",
    "董必武",
    "陈云",
    "彭德怀",
];
