/**
 * Who is to act and by when, as people write it in English and Chinese (simplified and
 * traditional): the owner and the deadline of a task, and where one sentence assigns several
 * actions to several owners.
 *
 * Every pattern has bounded gaps and runs on one item or one sentence, so the cost stays linear
 * in the text's length. Values are copied as written (a deadline keeps its "by" or its 前), never
 * rewritten.
 */

// --- deadlines ----------------------------------------------------------------------------------

const MONTH =
  '(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)';
const WEEKDAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const PERIOD = '(?:day|week|month|quarter|year|term|semester)';
const SEASON = '(?:spring|summer|autumn|fall|winter)';
/** A calendar date: "March", "March 31", "31 March 2026", "2026-03-31", "3/31". */
const EN_DATE = `(?:${MONTH}(?:\\s+\\d{1,2}(?:st|nd|rd|th)?(?!\\d))?(?:,?\\s+\\d{4})?|\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH}(?:,?\\s+\\d{4})?|\\d{4}-\\d{2}-\\d{2}|\\d{1,2}\\/\\d{1,2}(?:\\/\\d{2,4})?)`;
/** A time relative to now: "next Friday", "the end of the month", "Q3 2026", "tomorrow". */
const EN_RELATIVE = `(?:(?:next|this|the coming|coming)\\s+(?:${WEEKDAY}|${PERIOD}|${SEASON})|(?:(?:early|late)\\s+)?${SEASON}(?:\\s+\\d{4})?(?![\\w-])|${WEEKDAY}(?:,?\\s+${EN_DATE})?|tomorrow|tonight|today|(?:the\\s+)?end\\s+of\\s+(?:(?:the\\s+|this\\s+|next\\s+)?(?:(?:${SEASON}|first|second|third|fourth|financial|fiscal|school|academic|calendar)\\s+)?(?:${PERIOD}|${MONTH}(?:\\s+\\d{4})?)|Q[1-4](?:\\s+\\d{4})?)|(?:early|mid|late)[- ]${MONTH}|Q[1-4](?:\\s+\\d{4})?|\\d{4}(?!\\d))`;
/** An event a deadline can be set by: "the July board meeting", "next winter's launch". */
const EN_EVENT = `(?!(?:we|you|they|he|she|it|i|anyone|someone)\\b)(?:the\\s+|next\\s+|this\\s+|our\\s+|their\\s+|its\\s+)?(?:[A-Za-z0-9'’-]+\\s+){0,4}?(?:meeting|conference|summit|vote|election|deadline|launch|release|holidays?|break|season|review|audit|inspection|hearing|session|opening|visit|event|recess|festival|fair|show|exams?|ceremony|kick-?off)s?`;

/** What a deadline can be set before: "the switch", "the AGM", "next year's audit". */
const EN_BEFORE_WHAT = `(?:the|next|this|our|their|its)\\s+(?:[A-Za-z0-9'’-]+\\s+){0,3}?[A-Za-z0-9'’-]*[A-Za-z0-9]`;

const EN_DEADLINE = new RegExp(
  [
    `\\b(?:by|before|until|till|no later than|not later than|on or before|due(?:\\s+by)?)\\s+(?:${EN_DATE}|${EN_RELATIVE}|${EN_EVENT})`,
    `\\b(?:before|until|ahead of)\\s+${EN_BEFORE_WHAT}`,
    `\\bon\\s+(?:${WEEKDAY}(?:\\s+(?:morning|afternoon|evening|night))?|${EN_DATE})`,
    `\\b(?:this|next)\\s+(?:${PERIOD}|${WEEKDAY})`,
    '\\bwithin\\s+(?:\\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|fourteen|thirty)\\s+(?:business\\s+|working\\s+)?(?:days?|weeks?|months?)',
    `\\bat\\s+the\\s+(?:next|following|${MONTH})\\s+(?:[a-z]+\\s+){0,2}(?:meeting|board|session|review)`,
    '\\bin\\s+Q[1-4](?:\\s+\\d{4})?',
  ]
    .map((p) => `(?:${p})`)
    .join('|'),
  'iu',
);

const ZH_BEFORE = '(?:前|以前|之前)';
/** 年底完成 is a deadline; 年底届满 ("expires at the end of the year") is not. */
const ZH_DONE = '(?=完成|实现|實現|建成|完工|全部|基本|达到|達到|投入|交付|启用|啟用|上线|上線|前)';
/** 2025年, 115年6月 (a year of the Republic of China calendar), 7月10日, 6月底, 9月中旬. */
const ZH_DATE =
  '(?:(?:\\d{4}年|\\d{2,3}年(?=\\d{1,2}月|[底末]))(?:\\d{1,2}月(?:\\d{1,2}[日号號])?)?|(?:今年|明年|本年|当年|當年)?(?:\\d{1,2}|[一二三四五六七八九十]{1,3})月(?:(?:\\d{1,2}|[一二三四五六七八九十]{1,3})[日号號])?)(?:[底末]|[上中下]旬)?(?:上午|中午|下午|晚上|早上|傍晚)?(?:\\d{1,2}\\s*[时時点點])?';
const ZH_DEADLINE = new RegExp(
  [
    `${ZH_DATE}(?:${ZH_BEFORE}|${ZH_DONE})`,
    `(?:(?:今|本|明|当|當)年)?年?[底末](?:${ZH_BEFORE}|${ZH_DONE})`,
    `(?:本|当|當|下个|下個|下)?月[底末](?:${ZH_BEFORE}|${ZH_DONE})`,
    `(?:本|这|這|下|下个|下個)(?:周|週|星期|礼拜|禮拜)[一二三四五六日天]?(?:${ZH_BEFORE}|[内內])`,
    `第?[一二三四1-4]季度?[末底]?${ZH_BEFORE}`,
    `(?:年|月|本周|本週|本月|本季度|本年度|年度)[内內]`,
    `\\d+\\s*(?:个|個)?(?:工作日|日|天|周|週|星期|月)[内內]`,
    `(?<=[于於在])(?:(?!的)\\p{Script=Han}){2,6}?前(?![提后後列景线線沿往])`,
    `(?:汛期|汛前|入汛|开学|開學|春节|春節|国庆|國慶|元旦|节前|節前|放假|假期|入冬|雨季|开工|開工|竣工|上线|上線|(?:下次|下一次|本次|下周|下週)?(?:会议|會議|例会|例會))${ZH_BEFORE}`,
  ].join('|'),
  'u',
);

/** What every Chinese deadline pattern ends with. */
const ZH_NEEDS =
  /[前内內]|完成|实现|實現|建成|完工|全部|基本|达到|達到|投入|交付|启用|啟用|上线|上線/u;

/**
 * The first deadline stated in `text`, as written: 7月10日前, 2025年底前, 月底前, 本周五前,
 * 第三季度末前, 汛期前, "by March", "before the July board meeting", "next Friday", "this week",
 * "no later than 30 October", "within two weeks". A leading "due" is left out ("due Q3" gives
 * "Q3"). Null when there is none.
 */
export function findDeadline(text: string): string | null {
  // Each pattern is tried only where a word it needs occurs: most sentences state no deadline.
  const zh = ZH_NEEDS.test(text) ? ZH_DEADLINE.exec(text) : null;
  const en = /[a-z]/iu.test(text) ? englishDeadline(text) : null;
  const first = zh && (!en || zh.index <= en.index) ? zh : en;
  if (!first) return null;
  return first[0].replace(/^due\s+(?:by\s+)?/i, '').trim();
}

/**
 * "on Tuesday approved", "on 3 May announced": a day right before a past-tense verb dates what
 * happened (news reports it), not when something is due.
 */
const DATES_AN_EVENT =
  /^\s+(?:[a-z]+ed|said|met|held|voted|won|gave|took|made|began|chose|set)\b/iu;

function englishDeadline(text: string): RegExpExecArray | null {
  const m = EN_DEADLINE.exec(text);
  if (m && /^on\s/iu.test(m[0]) && DATES_AN_EVENT.test(text.slice(m.index + m[0].length)))
    return null;
  return m;
}

// --- Chinese owners -----------------------------------------------------------------------------

/** What names an organisation or an office holder, longest first (so 委员会 wins over 委). */
const ZH_AGENT_END =
  '(?:委员会|委員會|领导小组|領導小組|工作组|工作組|办公室|辦公室|办公厅|辦公廳|中心|公司|政府|单位|單位|部门|部門|科长|科長|处长|處長|局长|局長|主任|经理|經理|主管|同志|小组|小組|学校|學校|医院|醫院|银行|銀行|协会|協會|总局|總局|总署|總署|党委|黨委|公所|局|部|委|办|辦|厅|廳|处|處|科|室|组|組|署|院|校|所|会|會|队|隊|站|社|团|團|行|长|長)';
/** One organisation: a few characters ending like one ("市气象局", "工业和信息化部"). */
/*
 * No separator of a list (、及与) may stand inside one name: each list then splits one way only,
 * which keeps matching linear (a name that could swallow a separator makes "部及部及部…" try
 * every split).
 */
const ZH_AGENT = `[^，,。；;：:、及与與！？!?\\s]{1,20}?${ZH_AGENT_END}`;
/** Several, as lists name them: "科技部、财政部等部门". */
const ZH_AGENTS = `${ZH_AGENT}(?:[、及与與](?:${ZH_AGENT}))*(?:等(?:有关|有關|相关|相關)?(?:部门|部門|单位|單位))?`;
const RESPONSIBLE = '(?:[牵牽][头頭](?:[负負][责責])?|[负負][责責](?![人同]))';

/** （工业和信息化部、发展改革委等负责）, （农业农村部牵头负责）: the policy-document annotation. */
const ZH_ANNOTATION =
  /[（(]([^（）()]{2,200}?)(?:按[职職][责責]分工)?(?:[牵牽][头頭])?(?:[负負][责責]|[牵牽][头頭])[^（）()]{0,40}[）)]/u;
/** 牵头单位：…, 责任单位：…, 责任人：…; the lead's label first. */
const ZH_LABELS = [
  /(?:[牵牽][头頭](?:[单單]位|部[门門]))\s*[:：]\s*([^，,。；;）)\n]{2,60})/u,
  /(?:[责責]任(?:[单單]位|部[门門]|人)|[负負][责責](?:[单單]位|部[门門]|人)|主[办辦][单單]位)\s*[:：]\s*([^，,。；;）)\n]{2,60})/u,
];
/** 由市城管局负责, 由总务科牵头, 由工会统一收取. */
const ZH_BY = new RegExp(
  `由([^，,。；;：:！？!?由]{2,30}?)(?:${RESPONSIBLE}|[统統]一|[组組][织織]|(?=(?:在|于|於)[^，,。；;]{1,16}?(?:前|[内內])))`,
  'u',
);
/** A clause opening with its owner: 市水务局牵头, 李娜负责对接…. */
const ZH_LEAD = new RegExp(
  `^([^，,。；;：:！？!?]{2,30}?)(?:${RESPONSIBLE}|(?:是|为|為)[^，,。；;]{0,12}?[责責]任人)`,
  'u',
);
/** 请市气象局加强…, 請陳美玲科長彙整…: a request names who is to act. */
const ZH_PLEASE = new RegExp(
  `^[请請](?!联系|聯繫|联络|聯絡|注意|参照|參照|按照|及时|及時|于|於|将|將|把|在|务必|務必|各位|大家|您|认真|認真|尽快|儘快|留意|查收|回复|回覆|填写|填寫|登录|登錄|点击|點擊|提前|准时|準時|予以|示|问|問|致电|致電|来电|來電|拨打|撥打|查询|查詢|咨询|諮詢|洽|参阅|參閱|见|見)(${ZH_AGENTS})`,
  'u',
);
/** A clause opening with an organisation that must act: 各部门要…, 各科應於…, 各部門主管須…. */
const ZH_MODAL = new RegExp(
  `^((?:${ZH_AGENTS})|各[^，,。；;：:、！？!?\\s]{1,8}?)(?:要|[须須]|[应應](?:当|當)?|必[须須]|[务務]必|需要?)(?![求点點素是急变變])`,
  'u',
);
/** Anyone who must act by a deadline: 住户须于7月7日前…, 学生应在开学前…. */
const ZH_MUST_BY =
  /^(\p{Script=Han}{2,6}?)(?:[须須]|[应應](?:当|當)?|必[须須]|[务務]必)(?=[于於在])/u;
/** A list item opening with its owner and a verb: 测试组完成回归测试…. */
const ZH_AGENT_VERB = new RegExp(
  `^(${ZH_AGENTS})(?=完成|开展|開展|组织|組織|提交|做好|推进|推進|落实|落實|制定|编制|編制|准备|準備|安排|召开|召開|跟进|跟進|整理|起草|修订|修訂|上报|上報|报送|報送|对接|對接|协调|協調|督促|检查|檢查|排查|审核|審核|发布|發布|启动|啟動|实施|實施)`,
  'u',
);
/** A list item naming its owners before a colon: 张伟：…, 王磊、赵敏：…. */
const ZH_NAME = `(?:(?:(?![、和及与與])\\p{Script=Han}){2,4}|[^，,。；;：:、和及与與！？!?\\s]{1,20}?${ZH_AGENT_END})`;
const ZH_NAMES_COLON = new RegExp(`^(${ZH_NAME}(?:[、和及与與]${ZH_NAME})*)\\s*[:：]`, 'u');
/** Labels that open a line like a name does ("时间：…"), which are not owners. */
const ZH_LABEL_WORDS =
  /^(?:时间|時間|地点|地點|主持|记录|記錄|议题|議題|内容|內容|备注|備註|说明|說明|目标|目標|要求|措施|任务|任務|事由|主题|主題|附件|参加人员|參加人員|出席|列席|决议|決議|结论|結論|进展|進展|问题|問題|原因|背景|现状|現狀|成效|亮点|亮點|做法|经验|經驗|总结|總結|计划|計劃|安排|完成情况|完成情況)$/u;

/** Words that join a clause to the one before; they are not part of its owner. */
const ZH_LEADING =
  /^(?:并且?|並且?|且|同时|同時|另外|此外|由|会议(?:要求|决定|明确|议定|同意|强调)|會議(?:要求|決定|明確|議定|同意|強調))/u;
/** Adverbs between an owner and 负责 ("市水务局具体负责"). */
const ZH_TRAILING =
  /(?:具体|具體|主要|统一|統一|全面|共同|分别|分別|专门|專門|继续|繼續|切实|切實|也|还|還|则|則)+$/u;

/**
 * Words of agency and place names that hold a character read elsewhere as a modal or particle
 * (应急管理局, 需求侧管理中心, 要素市场, 将军路, 應變小組, 供应链): they do not end an owner.
 */
const ZH_NAME_WORDS =
  /主要|重要|需要|[应應](?:急|[变變])|供[应應]|[响響][应應]|需求|要素|[将將]军|[将將]軍|[对對]外|[为為]民|向[阳陽]|从化|從化/gu;

function zhOwner(candidate: string | undefined): string | null {
  if (candidate === undefined) return null;
  const owner = candidate.replace(ZH_TRAILING, '').trim();
  // A verb, a particle or a modal inside means the match ran past the owner into a clause.
  if (owner.length < 2 || owner.length > 200 || /^[（(]/u.test(owner)) return null;
  const words = owner.replace(ZH_NAME_WORDS, '');
  if (
    /[的了是对對把被已要需应應须須将將为為向从從]|主持|召开|召開|表示|指出|认为|認為/u.test(words)
  )
    return null;
  return owner;
}

/** Splits `text` into clauses (after ，；。：！？), each with its offset. */
function clauses(text: string): Array<{ text: string; offset: number }> {
  const out: Array<{ text: string; offset: number }> = [];
  const re = /[^，,；;。！？!?：:]+[，,；;。！？!?：:]*/gu;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out.push({ text: m[0], offset: m.index });
  }
  return out;
}

/** The owner a Chinese clause opens with (市水务局牵头, 请市气象局…, 各部门要…), or null. */
function zhClauseOwner(clause: string): string | null {
  const text = clause.trim().replace(ZH_LEADING, '');
  return (
    zhOwner(ZH_BY.exec(clause)?.[1]) ??
    zhOwner(ZH_LEAD.exec(text)?.[1]) ??
    zhOwner(ZH_PLEASE.exec(text)?.[1]) ??
    zhOwner(ZH_MODAL.exec(text)?.[1]) ??
    zhMustBy(text)
  );
}

/** The owner of 住户须于7月7日前…: anyone who must act, when a deadline says by when. */
function zhMustBy(text: string): string | null {
  const must = ZH_MUST_BY.exec(text)?.[1];
  return must !== undefined && findDeadline(text) !== null ? zhOwner(must) : null;
}

/** An owner marked as such anywhere in `text`: （…负责）, 牵头单位：…, 责任单位：…. */
function zhMarkedOwner(text: string): string | null {
  const annotated = zhOwner(ZH_ANNOTATION.exec(text)?.[1]?.replace(/^[:：]/, ''));
  if (annotated) return annotated;
  for (const label of ZH_LABELS) {
    const labelled = zhOwner(label.exec(text)?.[1]);
    if (labelled) return labelled;
  }
  return null;
}

function zhFindOwner(text: string, listItem: boolean): string | null {
  if (listItem) {
    const named = ZH_NAMES_COLON.exec(text)?.[1];
    if (named && !ZH_LABEL_WORDS.test(named)) return named;
    const acting = zhOwner(ZH_AGENT_VERB.exec(text)?.[1]);
    if (acting) return acting;
  }
  const marked = zhMarkedOwner(text);
  if (marked) return marked;
  for (const clause of clauses(text)) {
    const owner = zhClauseOwner(clause.text);
    if (owner) return owner;
  }
  return null;
}

// --- English owners -----------------------------------------------------------------------------

/** A verb phrase that commits its subject: will, must, is responsible for, has to…. */
const EN_COMMITMENT =
  /\b(?:will|shall|must|should|(?:has|have|needs?|ought) to|(?:is|are) (?:to|required to|expected to|responsible for|in charge of|tasked with)|(?:has |have )?(?:agreed|volunteered|promised|undertook|offered) to|plans? to|is going to|are going to)\b/giu;
/** Words that name no one: alone ("They", "All") or opening the phrase ("we both"). */
const PRONOUN =
  /^(?:i|we|you|he|she|it|they|this|that|these|those|there|which|who|what|everyone|everybody|someone|somebody|anyone|nobody|one|each|all|both)$/iu;
const OPENS_PRONOUN = /^(?:i|we|you|he|she|it|they|there|which|who|what|us|them)$/iu;
/** Nouns that name who acts (the head of "the parks department", "regional managers"). */
const AGENT_NOUN =
  /^(?:department|dept|team|office|council|committee|board|panel|group|unit|authority|agency|ministry|service|services|company|firm|government|administration|police|staff|crew|desk|division|branch|bureau|commission|secretariat|party|coalition|club|school|university|hospital|city|county|state|mayor|chair|chairman|chairwoman|chairperson|chief|head|lead|secretary|clerk|treasurer|staff|people|residents?|members?|parents?|students?|volunteers?|contractors?|owners?|officials?|officers?|managers?|directors?|engineers?|designers?|developers?|analysts?|consultants?|accountants?|coordinators?|administrators?|supervisors?|inspectors?|planners?|lawyers?|auditors?|nurses?|doctors?|teachers?|police|landlords?|tenants?|suppliers?|vendors?|partners?|facilities|finance|hr|it|qa|legal|marketing|sales|operations|support|security|procurement|communications|comms)$/iu;
const PASSIVE =
  /^\s+(?:be|been|get|have been)\s+(?:\w+(?:ed|en)|held|made|done|built|set|sent|paid|kept|met|put|read|run|shown|told|led|given|taken|written|seen|chosen|bought|sold|brought|spent|cut|shut|laid|found|hung|won|struck)\b/iu;
const BY_AGENT =
  /\bby\s+((?:the|a|an|our|their|its|his|her)\s+(?:[A-Za-z-]+\s+){0,3}?[A-Za-z-]+|[A-Z][\w.'’-]*(?:\s+(?:and\s+)?[A-Z][\w.'’-]*){0,3})(?=\s+(?:no later than|not later than|by|before|until|on|in|at|this|next|within|and|once|after|when)\b|\s*[,.;:)]|\s*$)/u;
/** "owner: Facilities", "Lead - Jane Doe". */
const EN_OWNER_LABEL =
  /\b(?:owners?|responsible|lead|assigned to|assignee|action)\s*[:：–—-]\s*([A-Z][\w.'’&-]*(?:\s+(?:and\s+|&\s+)?[A-Z][\w.'’&-]*){0,5})/u;
/** A list item that names its owner before a colon: "Priya Raman: get three quotes…". */
const EN_NAME_COLON =
  /^([A-Z][\w.'’-]*(?:\s+(?:and|&|[A-Za-z][\w.'’-]*)){0,5})\s*[:–—]\s+(?=[a-z])/u;
/** Minutes' shorthand: "Building manager Omar Haddad to arrange access…". */
const EN_TO_VERB = /^([A-Z][\w.'’-]*(?:\s+(?:and|&|[A-Za-z][\w.'’-]*)){0,5}?)\s+to\s+(?=[a-z])/u;
const EN_LABEL_WORDS =
  /^(?:note|notes|action|actions|decision|decisions|agenda|subject|re|to|from|cc|date|time|place|venue|status|update|background|summary|item|task|next steps?|outcome|result|deadline|due|owner|present|apologies|attendees|absent|minutes|chair|location|purpose|goal|objective|question|answer|reminder|warning|important)$/iu;
/** Imperatives that open a list item; "Go to the office" names no owner. */
const EN_IMPERATIVE =
  /^(?:go|plan|try|need|want|remember|continue|start|begin|decide|agree|aim|prepare|write|ask|make|get|return|move|turn|switch|add|refer|listen|talk|reach|travel|send|report|remind|check|review|update|book|call|email|contact|submit|draft|arrange|order|buy|fix|set|schedule|confirm|share|circulate|publish|finish|complete|organise|organize|replace|clean|clear|follow)$/iu;

/** Whether a noun phrase names someone who can act: a name, an acronym or an agent noun. */
function namesAgent(phrase: string): boolean {
  const words = phrase.split(/\s+/).filter(Boolean);
  if (words.length === 0 || words.length > 8) return false;
  const first = words[0] ?? '';
  // "IT" and "QA" are departments; "it" is no one.
  const acronym = first.length > 1 && first === first.toUpperCase();
  if (!acronym && (OPENS_PRONOUN.test(first) || (words.length === 1 && PRONOUN.test(first))))
    return false;
  const head = (words[words.length - 1] ?? '').replace(/[’']s$/u, '');
  return /^[A-Z]/u.test(head) || AGENT_NOUN.test(head) || /(?:er|or|ist|ian)s?$/iu.test(head);
}

/** What opens a decision's content: "The council resolved that", "It was agreed that". */
const DECIDED_THAT =
  /^.{0,80}?\b(?:agreed|decided|resolved|determined|confirmed|noted|ruled|voted|recommended|instructed|directed|ordered|requested|proposed|moved)\s+that\s+/iu;

/**
 * "The committee asked Legal to review…", "Members requested the clerk to write…": whoever is
 * asked is to act. Only a body that can ask in minutes (board, committee, we…) counts, so that news
 * ("Residents asked the council to…") does not become a task.
 */
const EN_ASKED =
  /\b(?:board|council|committee|members|meeting|group|panel|chair|commission|trustees|directors|we)\s+(?:asked|requested|instructed|directed|tasked|invited)\s+((?:the\s+)?[A-Za-z][\w.'’&-]*(?:\s+[A-Za-z][\w.'’&-]*){0,3}?)\s+to\s+(?=[a-z])/iu;
/** "Legal was asked to review…": the subject of a request. */
const EN_WAS_ASKED =
  /\b(?:was|were|has been|have been)\s+(?:asked|requested|tasked|instructed)\s+to\s+(?=[a-z])/iu;

/** The one asked to act in `clause` ("asked Legal to…", "Legal was asked to…"), or null. */
function enAskedOwner(clause: string): string | null {
  const asked = EN_ASKED.exec(clause)?.[1];
  if (asked && namesAgent(asked)) return asked;
  const was = EN_WAS_ASKED.exec(clause);
  return was ? enSubject(clause.slice(0, was.index)) : null;
}

/** The subject before a commitment verb: the text after the last comma, or an appositive's name. */
function enSubject(before: string): string | null {
  let pre = before.trim();
  if (pre.endsWith(',')) {
    // "Our designer, Lina Chow, will…": the name in apposition.
    const parts = pre
      .slice(0, -1)
      .split(/,\s*/u)
      .map((p) => p.trim())
      .filter(Boolean);
    const name = parts[parts.length - 1] ?? '';
    pre = /^[A-Z]/u.test(name) && parts.length > 1 ? name : (parts[0] ?? '');
  } else {
    pre = pre.split(/[,;:]\s*/u).pop() ?? pre;
  }
  // Minutes report decisions: "The board decided that the treasurer will…" commits the treasurer.
  pre = pre.replace(DECIDED_THAT, '');
  pre = pre
    .replace(/^(?:and|but|then|also|so|while|whereas|meanwhile|finally|first|second|next)\s+/iu, '')
    .replace(/\s+(?:also|now|then|still|jointly|together|each|both|alone|itself|themselves)$/iu, '')
    .replace(/^[-•·*\s]+/u, '')
    .trim();
  return pre !== '' && namesAgent(pre) ? pre : null;
}

/** The owner of the first commitment in an English clause (the agent of a passive), or null. */
function enCommitmentOwner(clause: string): string | null {
  EN_COMMITMENT.lastIndex = 0;
  const m = EN_COMMITMENT.exec(clause);
  if (!m) return enAskedOwner(clause);
  const after = clause.slice(m.index + m[0].length);
  if (PASSIVE.test(after)) {
    const agent = BY_AGENT.exec(after)?.[1];
    return agent && !EN_DEADLINE.test(`by ${agent}`) && namesAgent(agent) ? agent : null;
  }
  return enSubject(clause.slice(0, m.index));
}

function enFindOwner(text: string, listItem: boolean): string | null {
  const labelled = EN_OWNER_LABEL.exec(text)?.[1];
  if (labelled && !EN_LABEL_WORDS.test(labelled)) return labelled;
  if (listItem) {
    const named = EN_NAME_COLON.exec(text)?.[1];
    if (named && !EN_LABEL_WORDS.test(named) && namesAgent(named)) return named;
    const shorthand = EN_TO_VERB.exec(text)?.[1];
    const first = shorthand?.split(/\s+/u)[0] ?? '';
    if (shorthand && !EN_IMPERATIVE.test(first) && namesAgent(shorthand)) return shorthand;
  }
  const sentence = text.split(/(?<=[.!?])\s+/u)[0] ?? text;
  return enCommitmentOwner(sentence);
}

// --- both ---------------------------------------------------------------------------------------

const WIDE = /[\p{Script=Han}]/u;

/**
 * Who is to act, as `text` (a task's item or sentence) names it; null when it names no one (a
 * pronoun is no one). Chinese: （…负责） annotations (the list as printed, lead first), 牵头单位：
 * and 责任单位：, 由…负责, …牵头 and …负责 opening a clause, 请…, 各部门要…; English: "owner:",
 * the subject of "will / must / is responsible for…" or the agent of a passive ("approved by the
 * director"). `listItem`: the text is an enumerated item's (without its marker), so a name before
 * a colon ("张伟：…", "Priya Raman: …") or "X to do…" names its owner.
 */
export function findOwner(text: string, listItem = false): string | null {
  return WIDE.test(text)
    ? zhFindOwner(text.replace(ZH_ITEM_MARKER, ''), listItem)
    : enFindOwner(text, listItem);
}

/** One action of a sentence that may assign several: its text, where it starts, who and when. */
export interface Commitment {
  text: string;
  /** Offset of `text` in the sentence. */
  offset: number;
  owner: string | null;
  deadline: string | null;
}

/**
 * The actions a sentence commits someone to, one per owner: "市财政局负责落实资金，市审计局负责
 * 跟踪审计" and "Facilities will service the boilers, and IT will replace the drives" give two
 * each. An empty list when the sentence commits no one: English needs a commitment verb (will,
 * must, should, has to, is responsible for…); Chinese an owner, or a deadline outside reported
 * speech.
 */
export function commitmentsIn(sentence: string): Commitment[] {
  // A lone numbered item (三、…) is read as a sentence: its number is neither task nor owner.
  const marker = ZH_ITEM_MARKER.exec(sentence)?.[0].length ?? 0;
  if (marker > 0) {
    return zhCommitments(sentence.slice(marker)).map((c) => ({ ...c, offset: c.offset + marker }));
  }
  return WIDE.test(sentence) ? zhCommitments(sentence) : enCommitments(sentence);
}

const ZH_ITEM_MARKER =
  /^\s*(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十]{1,3}[）)]|第[一二三四五六七八九十]{1,3}[，,、]|\d{1,2}[、．]|[（(]\d{1,2}[）)])\s*(?=\p{Script=Han})/u;

function zhCommitments(sentence: string): Commitment[] {
  const segments: Array<{ start: number; end: number; owner: string | null }> = [];
  for (const clause of clauses(sentence)) {
    const owner = zhClauseOwner(clause.text);
    const current = segments[segments.length - 1];
    if (current && (owner === null || current.owner === null)) {
      current.end = clause.offset + clause.text.length;
      current.owner ??= owner;
    } else {
      segments.push({ start: clause.offset, end: clause.offset + clause.text.length, owner });
    }
  }
  const found = segments.map((s) => {
    const text = sentence.slice(s.start, s.end);
    return {
      text,
      offset: s.start,
      // Clauses opening with an owner were read above; what is left is an owner marked as such.
      owner: s.owner ?? zhMarkedOwner(text),
      deadline: findDeadline(text),
    };
  });
  return found.filter(
    (c) =>
      c.owner !== null ||
      (c.deadline !== null && !/表示|指出|认为|認為|称|稱|说|說|据悉|據悉|获悉|獲悉/u.test(c.text)),
  );
}

/**
 * Where a sentence may divide into two commitments: ", and", "; ", ", while", " and ", and a bare
 * comma ("Facilities will repaint the hall by May, Finance will approve…"), which the check that
 * both sides commit someone of their own keeps from cutting a list.
 */
const EN_JOIN = /(?:,\s+(?:and|but|while|whereas)\s+|;\s+|\s+and\s+|,\s+)(?=\S)/gu;

/**
 * Whether an English clause commits or asks someone to act. "will" inside a relative clause ("a
 * park that will open") describes a thing, not a duty: such a clause commits no one.
 */
function commits(clause: string): boolean {
  EN_COMMITMENT.lastIndex = 0;
  const m = EN_COMMITMENT.exec(clause);
  if (m && !/\b(?:that|which)\s+$/iu.test(clause.slice(0, m.index))) return true;
  return EN_ASKED.test(clause) || EN_WAS_ASKED.test(clause);
}

/** A line of minutes that states an action: "Action: Daniel Kim to circulate the register." */
const EN_ACTION_LINE =
  /^(?:actions?(?:\s+items?)?|to-?dos?|follow[- ]ups?|next steps?)\s*[:：–—-]\s*/iu;

function enCommitments(sentence: string): Commitment[] {
  const label = EN_ACTION_LINE.exec(sentence);
  if (label) {
    const text = sentence.slice(label[0].length).trim();
    if (text.split(/\s+/u).length < 2) return [];
    const owner = enFindOwner(text, true);
    return [{ text, offset: label[0].length, owner, deadline: findDeadline(text) }];
  }
  if (!commits(sentence)) return [];
  const cuts: number[] = [0];
  for (const m of sentence.matchAll(EN_JOIN)) {
    const left = sentence.slice(cuts[cuts.length - 1], m.index);
    const right = sentence.slice(m.index + m[0].length);
    // Only where both sides commit someone of their own: "Chris Nolan and Mei Tan will…" is one.
    const rightCommitment =
      /^([^,;]{1,60}?)\s+(?:will|shall|must|should|has to|have to|needs? to|is responsible|are responsible|is to|are to)\b/u.exec(
        right,
      );
    if (
      enCommitmentOwner(left) !== null &&
      rightCommitment &&
      enSubject(rightCommitment[1] ?? '')
    ) {
      cuts.push(m.index + m[0].length);
    }
  }
  cuts.push(sentence.length);
  const out: Commitment[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const start = cuts[i] ?? 0;
    const raw = sentence.slice(start, cuts[i + 1]);
    const text = raw.replace(/(?:,\s+(?:and|but|while|whereas)|;|\s+and|,)\s*$/u, '').trim();
    if (!commits(text)) continue;
    out.push({ text, offset: start, owner: enCommitmentOwner(text), deadline: findDeadline(text) });
  }
  return out;
}
