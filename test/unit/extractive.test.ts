import { describe, expect, it } from 'vitest';
import { createExtractiveEngine } from '../../shared/engines/extractive';
import { prepare } from '../support/documents';
import { SAMPLE_000, SAMPLE_004, sampleText } from '../support/fixtures';

const engine = createExtractiveEngine();

async function tasksOf(text: string): Promise<string[]> {
  const result = await engine.digest(prepare(text));
  return result.articles.flatMap((a) => a.tasks.map((t) => t.task));
}

describe('extractive engine', () => {
  it('finds the 一是…四是 tasks of both articles on sample 000', async () => {
    const tasks = await tasksOf(sampleText(SAMPLE_000));
    for (const expected of [
      '当好服务决策的“参谋部”',
      '用好改革创新的“冲击钻”',
      '用好督查考核的“指挥棒”',
      '当好综合协调的“联络员”',
      '不折不扣落实全面从严治党政治责任',
      '围绕新区中心工作强化监督',
      '坚决治理形式主义官僚主义',
    ]) {
      expect(tasks).toContain(expected);
    }
    expect(tasks.some((t) => t.startsWith('护航政务新生态'))).toBe(true);
  });

  it('finds the 抓… series of sample 004, including those after inline headings', async () => {
    const tasks = await tasksOf(sampleText(SAMPLE_004));
    expect(tasks).toEqual(
      expect.arrayContaining([
        '抓干部教育',
        '抓作风建设',
        '抓查办案件',
        '抓用人导向',
        '抓规矩建设',
        '抓监督落实',
        '抓责任落实',
      ]),
    );
  });

  it('reads English numbered and bulleted lists, with owners and deadlines', async () => {
    const text = [
      'Council approves flood plan',
      '',
      'The council approved its flood plan on Monday after a long debate.',
      '1. The highways team will clear all drains by March 2027.',
      '2. Residents must register for flood alerts.',
      '3. The budget office will publish quarterly costs.',
    ].join('\n');
    const result = await engine.digest(prepare(text));
    const tasks = result.articles[0]?.tasks ?? [];
    expect(tasks.map((t) => t.task)).toEqual([
      'The highways team will clear all drains by March 2027',
      'Residents must register for flood alerts',
      'The budget office will publish quarterly costs',
    ]);
    expect(tasks[0]?.deadline).toBe('by March 2027');
  });

  it('finds owners and deadlines stated in Chinese', async () => {
    const text = '一是由市交通局牵头，年底前完成道路改造。二是完善考核办法。';
    const result = await engine.digest(prepare(text));
    const [first, second] = result.articles[0]?.tasks ?? [];
    expect(first?.owner).toBe('市交通局');
    expect(first?.deadline).toBe('年底前');
    expect(second).toMatchObject({ task: '完善考核办法', owner: null, deadline: null });
  });

  it('does not take a lone ordinal for an enumeration', async () => {
    expect(await tasksOf('一是一个好的开始。后来就没有下文了。')).toEqual([]);
  });

  it('writes a summary from source sentences, within its length budget', async () => {
    const source = sampleText(SAMPLE_000);
    const { summary } = await engine.digest(prepare(source));
    expect(summary.length).toBeGreaterThan(40);
    expect(summary.length).toBeLessThanOrEqual(260);
    const flat = source.replace(/\s+/g, '');
    for (const sentence of summary.split(/(?<=。)/))
      expect(flat).toContain(sentence.replace(/\s+/g, ''));
  });

  it('splits sample 000 into its two articles, the second titled from the bottom of the page', async () => {
    const { articles } = await engine.digest(prepare(sampleText(SAMPLE_000)));
    expect(articles.map((a) => a.title)).toEqual([
      '以绝对忠诚服务大局 以决战姿态推动落实',
      '坚决打好清廉新区攻坚战 护航西海岸经济社会发展',
    ]);
    expect(articles[0]?.byline).toBe('本报记者 宋迎迎 整理');
    expect(articles[1]?.byline).toContain('仲伟富');
    expect(articles.map((a) => a.tasks.length)).toEqual([4, 4]);
  });

  it('reads the title, byline and section headings of one-line sample 004 as furniture', async () => {
    const { articles } = await engine.digest(prepare(sampleText(SAMPLE_004)));
    expect(articles).toHaveLength(1);
    const [article] = articles;
    expect(article?.title).toBe('重构良好政治生态 重整旗鼓再出发');
    expect(article?.byline).toBe('文/张茂盛 梁永超 图/郭永乐 李伟杰');
    const written = [
      article?.summary,
      ...(article?.keyPoints.map((k) => k.point) ?? []),
      ...(article?.tasks.map((t) => t.task) ?? []),
    ].join('\n');
    for (const furniture of ['文/', '图为', '张茂盛', '不进则退 抢抓机遇谋发展', '树信心干实事']) {
      expect(written).not.toContain(furniture);
    }
  });

  it("takes the items below an outline's sections as tasks, leaving out framing sections and sub-items", async () => {
    const text = [
      '关于推进某项工作的意见',
      '一、总体要求',
      '（一）指导思想。以新发展理念为指导。',
      '（二）基本原则。坚持统筹推进。',
      '二、重点任务',
      '（三）完善创新体系。加快推进装备创新。1.建设实验室。2.培育人才。',
      '（四）优化产业布局。鼓励企业转型。（工业和信息化部、发展改革委负责）',
      '三、保障措施',
      '（五）加强组织领导。各地区要建立协调机制，2020年底前完成。',
    ].join('\n');
    const { articles } = await engine.digest(prepare(text));
    const tasks = articles.flatMap((a) => a.tasks);
    expect(tasks.map((t) => t.task)).toEqual(['完善创新体系', '优化产业布局', '加强组织领导']);
    expect(tasks[1]?.owner).toBe('工业和信息化部、发展改革委');
    expect(tasks[2]?.deadline).toBe('2020年底前');
  });

  it("sums up long Chinese news from the editors' summary box (核心阅读) when the page prints one", async () => {
    const story = [
      '  图为新建成的滨江步道。',
      '  核心阅读',
      '  今年以来，某市加快推进城市更新，老旧小区改造已完成八成。居民普遍反映，出行和停车更方便了。',
      '  专家认为，城市更新不能只做表面文章，要在完善公共服务上持续用力。',
      '  改造从“楼下”开始',
      ...Array.from(
        { length: 12 },
        (_, i) =>
          `  第${i + 1}个小区的改造从加装电梯和修缮管网入手，施工队伍分批进场，街道干部逐户上门听取意见，工程进度每周公示一次。`,
      ),
    ].join('\n');
    const { summary } = await engine.digest(prepare(story));
    expect(summary).toContain('今年以来，某市加快推进城市更新，老旧小区改造已完成八成。');
    expect(summary).not.toContain('小区的改造从加装电梯');
  });

  it('leaves the bullets of action lines out of their tasks', async () => {
    const tasks = await tasksOf(
      'Weekly sync\n\nAction items:\n• Tom will send the budget report by Friday.\n- Ben will call the printer next week.\n1. Finance will approve the invoice by June.\n2. Legal will review the contract by July.',
    );
    expect(tasks).toContain('Tom will send the budget report by Friday');
    expect(tasks).toContain('Ben will call the printer next week');
    expect(tasks.filter((t) => /^[-•\d]/u.test(t))).toEqual([]);
  });

  it('takes English sentences that commit someone as tasks when there is no list', async () => {
    const text =
      'The council met on Tuesday. The transport department will resurface Main Street by June 2027. Residents said they were pleased. Contractors must keep one lane open at all times.';
    const { articles } = await engine.digest(prepare(text));
    expect(articles[0]?.tasks.map((t) => t.task)).toEqual([
      'The transport department will resurface Main Street by June 2027',
      'Contractors must keep one lane open at all times',
    ]);
  });

  it('reads a series of clauses opening with 要 as tasks', async () => {
    const tasks = await tasksOf('会议指出，要加强组织领导，要完善工作机制；要强化督查考核。');
    expect(tasks).toEqual(['要加强组织领导', '要完善工作机制', '要强化督查考核']);
  });
  it('sums up a short Chinese news post in a few of its clauses, not the whole post again', async () => {
    const post =
      '今天下午，北京市召开新闻发布会，聚焦老百姓“住”的问题。北京市均价始终维持在每平方米4000元左右的经济适用房将成为历史。本市今年解决完所有轮候家庭后，不再新建经济适用住房。';
    const { summary } = await engine.digest(prepare(post));
    expect(summary.length).toBeLessThanOrEqual(post.length / 2);
    for (const clause of summary.replace(/[。…]$/u, '').split(/[，。]/u)) {
      expect(post).toContain(clause);
    }
  });

  it('never ends a short post summary on a reporting verb, nor joins clauses of two sentences into one', async () => {
    const posts = [
      '国家统计局今天发布数据，5月份全国居民消费价格同比上涨2.1%。国家统计局城市司高级统计师表示，食品价格涨幅回落是主要原因。',
      '记者昨日从市教育局获悉，今年秋季全市将新增公办学位1.2万个。市教育局负责人指出，新增学位主要集中在人口导入较快的城区，新建学校均按标准化要求建设。',
      '连接南北两岸的滨江隧道今天上午正式通车，隧道全长4.6公里，双向六车道。隧道通车初期实行免费通行，收费标准将另行公布。',
    ];
    for (const post of posts) {
      const { summary } = await engine.digest(prepare(post));
      const sentences = post.split(/(?<=。)/u);
      for (const said of summary.split(/(?<=[。…])/u).filter((x) => x !== '')) {
        expect(said).not.toMatch(/(?:表示|指出|认为|称|说)[。…]$/u);
        // Every sentence of the summary is made of clauses of one sentence of the post.
        const clauses = said.replace(/[。…]$/u, '').split(/[，,]/u);
        expect(sentences.some((s) => clauses.every((c) => s.includes(c)))).toBe(true);
      }
    }
  });

  it('passes over a background opener (…以来, 近年来) and a source (记者…获悉) for the clause that tells the news', async () => {
    const post =
      '近年来，以细颗粒物为主的空气污染问题频频影响市民出行。记者从今天市人大常委会审议现场获悉，重污染天气预警和应急处置将通过地方立法予以明确。';
    const { summary } = await engine.digest(prepare(post));
    expect(summary.startsWith('重污染天气预警和应急处置将通过地方立法予以明确')).toBe(true);
    expect(summary).not.toContain('近年来');
  });

  it('sums up a post in a headline-length line of its central clauses when its point comes second', async () => {
    // Lead-3 of a post is the whole post, and its first sentence here only sets the scene.
    const post =
      '党的十八大以来，城市停车难问题日益受到关注，各地纷纷出台措施。市交通委昨天宣布，全市今年将新建公共停车泊位两万个，新建停车泊位优先布局在老旧小区周边。市民表示，停车难问题有望缓解。';
    const { summary } = await engine.digest(prepare(post));
    expect(summary).toContain('全市今年将新建公共停车泊位两万个');
    expect(summary).not.toContain('党的十八大以来');
    expect(summary.length).toBeLessThanOrEqual(post.length * 0.4);
  });

  it('sums up a Chinese post that opens with a date and ends without a full stop, not reading it as a title', async () => {
    // Its first character is a digit, so it passed for a Latin heading (up to 120 characters).
    const post =
      '27日，六名全国人大代表联名向全国人大发出建议书，建议取消征收社会抚养费。建议书认为，征收社会抚养费，是把“提倡”变成了“强制要求”，侵犯了公民的合法权益。根据不完全统计，全国每年征收的社会抚养费超过200亿元。一财网';
    const { summary, articles } = await engine.digest(prepare(post));
    expect(articles[0]?.title).toBeNull();
    expect(summary).toContain('建议取消征收社会抚养费');
  });

  it('leaves the outlet that closes a Chinese news post out of its summary', async () => {
    for (const [credit, post] of [
      [
        '（中国经济时报）',
        '近日，坊间传出沃尔玛将陆续关闭100家不盈利门店的消息。日前，沃尔玛中国官方微博进行了辟谣，称纯属谣言，无事实依据，并表示对中国市场充满信心。（中国经济时报）',
      ],
      [
        '新民网',
        '上海交大今天发布一项调查结果，目前大学生体质明显是女强男弱。而不论男女，超重比例都在升高。体育专家建议，宅男宅女至少每天运动45分钟到1小时。新民网',
      ],
    ] as const) {
      const { summary } = await engine.digest(prepare(post));
      expect(summary.length).toBeGreaterThan(0);
      expect(summary).not.toContain(credit);
      expect(summary).not.toMatch(/[（(]/u);
    }
  });

  it('keeps the summary of very long Chinese news to an editor summary length (120 characters at most)', async () => {
    const lead =
      '当地时间22日，航天局在新闻发布会上宣布，科学家在距地球约40光年处发现了7颗类地行星。';
    const body = Array.from(
      { length: 120 },
      (_, i) =>
        `第${i + 1}段介绍了研究团队的观测方法、使用的望远镜和后续的研究计划，专家认为意义重大。`,
    );
    const { summary } = await engine.digest(prepare([lead, ...body].join('\n')));
    expect(summary.startsWith(lead)).toBe(true);
    expect(summary.length).toBeLessThanOrEqual(120);
  });

  it('leaves out the opening bracket the segmenter leaves at the end of a summary sentence', async () => {
    const lead = '第二届征稿活动开始了，我们陆续收到了不少小朋友的作品，接下来，作品将陆续刊登。';
    const body = Array.from(
      { length: 30 },
      (_, i) => `第${i + 1}篇作品讲述了小作者和家人一起度过的时光，老师认为写得真切动人。`,
    );
    const text = [`${lead}《爸爸妈妈，我想对你们说》作者：某某，某小学五年级。`, ...body].join('');
    const { summary } = await engine.digest(prepare(text));
    expect(summary).toContain('作品将陆续刊登。');
    expect(summary).not.toMatch(/《(?![^《》]*》)/u);
  });

  it('sums up long Chinese news in about a twentieth of its length, from its lead', async () => {
    const lead =
      '当地时间22日，航天局在新闻发布会上宣布，科学家在距地球约40光年处发现了7颗类地行星。';
    const body = Array.from(
      { length: 40 },
      (_, i) =>
        `第${i + 1}段介绍了研究团队的观测方法、使用的望远镜和后续的研究计划，专家认为意义重大。`,
    );
    const text = [lead, ...body].join('\n');
    const { summary } = await engine.digest(prepare(text));
    expect(summary.startsWith(lead)).toBe(true);
    expect(summary.length).toBeLessThanOrEqual(Math.max(80, text.length / 20) + 1);
  });

  it('reads an English sentence opening with "A" as a sentence, not as a section letter', async () => {
    const { articles } = await engine.digest(
      prepare('A public workshop will be held before the July board meeting.'),
    );
    expect(articles[0]?.tasks.map((t) => t.task)).toEqual([
      'A public workshop will be held before the July board meeting',
    ]);
  });

  it('reads numbered agenda headings of minutes as headings and takes the actions below them', async () => {
    const text = [
      'Minutes of the board meeting',
      '',
      '1. Storm drains',
      'The public works department must clear the drains before next winter.',
      '2. Budget',
      'No decision was taken on the budget.',
      '',
      'Action items',
      '- Priya Raman: draft a letter to the transport agency by next Friday.',
      '- Tom Becker: circulate the minutes this week.',
    ].join('\n');
    const { articles } = await engine.digest(prepare(text));
    expect(articles[0]?.tasks.map((t) => [t.owner, t.deadline])).toEqual([
      ['The public works department', 'before next winter'],
      ['Priya Raman', 'by next Friday'],
      ['Tom Becker', 'this week'],
    ]);
  });
});
