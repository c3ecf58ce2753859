import { describe, expect, it } from 'vitest';
import { createExtractiveEngine } from '../../shared/engines/extractive';
import { digestContent } from '../../shared/pipeline';
import { commitmentsIn, findDeadline, findOwner } from '../../shared/text/commitments';

const engine = createExtractiveEngine();

/** The tasks the offline engine finds in `text`, as the digest states them (after grounding). */
async function tasksOf(text: string) {
  const body = await digestContent({ engine }, text, 'text');
  return body.articles.flatMap((a) =>
    a.tasks.map(({ task, owner, deadline }) => ({ task, owner, deadline })),
  );
}

describe('offline engine: owners and deadlines', () => {
  it('names the subject of an English commitment as its owner, with the deadline as written', async () => {
    const tasks = await tasksOf(
      [
        'Riverside City Council',
        '',
        'The council approved the renovation of the playground. The parks department will publish a design by March. Council member Dana Whitfield will lead the outreach to residents. Marcus Lee is responsible for reporting progress to the council. QA must run the full regression suite this week. The public works department must clear the drains before next winter. A workshop will be held before the July board meeting.',
      ].join('\n'),
    );
    expect(tasks).toEqual([
      {
        task: 'The parks department will publish a design by March',
        owner: 'The parks department',
        deadline: 'by March',
      },
      expect.objectContaining({ owner: 'Council member Dana Whitfield', deadline: null }),
      expect.objectContaining({ owner: 'Marcus Lee', deadline: null }),
      expect.objectContaining({ owner: 'QA', deadline: 'this week' }),
      expect.objectContaining({
        owner: 'The public works department',
        deadline: 'before next winter',
      }),
      // A passive names no one.
      expect.objectContaining({ owner: null, deadline: 'before the July board meeting' }),
    ]);
  });

  it('finds a lead named mid-sentence (…牵头) and a deadline without a year (7月10日前)', async () => {
    const [task] = await tasksOf(
      '一、会议要求，市水务局牵头，市住建局、各区政府配合，7月10日前完成全市易涝点排查。\n二、请市气象局加强信息共享。',
    );
    expect(task).toMatchObject({ owner: '市水务局', deadline: '7月10日前' });
  });

  it.each([
    ['月底前', '行政部负责联络搬运公司，月底前确定报价。', '行政部'],
    ['5月15日前', '人事处负责汇总名单，5月15日前报办公室。', '人事处'],
    ['本周五前', '各部门要在本周五前报送参检人员名单。', '各部门'],
    ['本週五前', '機房空調汰換由總務科牽頭，本週五前提出採購需求。', '總務科'],
    ['6月30日前', '網站改版案由系統發展科負責，6月30日前上線測試版。', '系統發展科'],
  ])('reads the deadline %s and its owner from a memo', async (deadline, sentence, owner) => {
    const tasks = await tasksOf(`关于近期工作的通知\n\n${sentence}`);
    expect(tasks).toEqual([expect.objectContaining({ owner, deadline })]);
  });

  it('names list owners without their list numbers', async () => {
    const tasks = await tasksOf(
      [
        '本周工作安排',
        '1. 张伟：本周五前完成总结报告。',
        '2. 李娜负责对接三家渠道商，月底前签订合作协议。',
        '3. 王磊、赵敏：6月20日前完成推广方案初稿。',
      ].join('\n'),
    );
    expect(tasks.map((t) => t.owner)).toEqual(['张伟', '李娜', '王磊、赵敏']);
    expect(tasks.map((t) => t.deadline)).toEqual(['本周五前', '月底前', '6月20日前']);
  });

  it('makes one task per action when one sentence assigns actions to several owners', async () => {
    const zh = await tasksOf(
      '会议议定事项\n一、市财政局负责落实防汛应急资金，市审计局负责跟踪资金使用情况。\n二、请市气象局加强与水务部门的信息共享。',
    );
    expect(zh.map((t) => [t.task, t.owner])).toEqual([
      ['市财政局负责落实防汛应急资金', '市财政局'],
      ['市审计局负责跟踪资金使用情况', '市审计局'],
      ['请市气象局加强与水务部门的信息共享', '市气象局'],
    ]);
    const en = await tasksOf(
      'Facilities will service the boilers before next winter, and Legal will review the new leases by the end of the month.',
    );
    expect(en).toEqual([
      {
        task: 'Facilities will service the boilers before next winter',
        owner: 'Facilities',
        deadline: 'before next winter',
      },
      {
        task: 'Legal will review the new leases by the end of the month',
        owner: 'Legal',
        deadline: 'by the end of the month',
      },
    ]);
  });

  it("takes a policy document's （…负责） annotation whole, however many departments it names", async () => {
    const departments =
      '农业农村部、科技部、工业和信息化部、财政部、交通运输部、商务部、人民银行、银保监会、民航局等';
    const [task] = await tasksOf(
      `关于加快推进农业机械化的意见\n（一）加强新机具示范推广。积极推进农机报废更新。（${departments}负责）\n（二）推动智慧农业示范应用。建设数字农业示范基地。（农业农村部牵头负责）`,
    );
    expect(task).toMatchObject({ task: '加强新机具示范推广', owner: departments });
  });

  it('leaves the owner null when only a pronoun or nobody is named', () => {
    expect(findOwner('We will review the metrics together by the end of the month.')).toBeNull();
    expect(findOwner('It will be decided later.')).toBeNull();
    expect(findOwner('今年职工体检定于9月中旬进行。')).toBeNull();
  });

  it('does not read "by" before an agent, a share or a price as a deadline', () => {
    expect(findDeadline('Sam will fix the bug reported by two customers by Wednesday.')).toBe(
      'by Wednesday',
    );
    expect(findDeadline('The board agreed to raise the budget by 5%.')).toBeNull();
    expect(findDeadline('在合规审慎的前提下开展业务。')).toBeNull();
    expect(findDeadline('清洁承办商合约将于年底届满。')).toBeNull();
    expect(findDeadline('10年前建成的大桥')).toBeNull();
  });

  it('leaves reported speech and plain statements out of Chinese commitments', () => {
    expect(commitmentsIn('公司将于4月中旬迁往新办公室。')).toEqual([]);
    expect(commitmentsIn('专家表示，6月前提出条例草案。')).toEqual([]);
  });

  it('keeps an agency whose name holds a modal character (应急, 需求, 要素, 将军路) as owner', () => {
    expect(findOwner('市应急管理局负责在月底前完成物资储备检查。')).toBe('市应急管理局');
    expect(findOwner('由区应急管理局负责汛期值守。')).toBe('区应急管理局');
    expect(findOwner('市电力需求侧管理中心负责迎峰度夏电力调度。')).toBe('市电力需求侧管理中心');
    expect(findOwner('区要素市场服务中心负责价格监测。')).toBe('区要素市场服务中心');
    expect(findOwner('將軍澳民政處負責派發防疫包。')).toBe('將軍澳民政處');
    expect(findOwner('緊急應變小組負責二十四小時值班。')).toBe('緊急應變小組');
    expect(commitmentsIn('市应急管理局负责预算调整。')).toMatchObject([
      { owner: '市应急管理局', deadline: null },
    ]);
  });

  it('splits two owners joined by a comma when the second agency holds a modal character', () => {
    expect(
      commitmentsIn('各街道要在6月1日前上报名单，区应急管理局负责在月底前完成复核。').map(
        ({ owner, deadline }) => ({ owner, deadline }),
      ),
    ).toEqual([
      { owner: '各街道', deadline: '6月1日前' },
      { owner: '区应急管理局', deadline: '月底前' },
    ]);
  });

  it('leaves a lone section number (三、) out of the task and its owner', async () => {
    const tasks = await tasksOf(
      '关于做好防汛物资储备的通知\n\n各有关单位：\n三、区应急管理局负责在6月底前完成物资清点。\n特此通知。',
    );
    expect(tasks).toEqual([
      { task: '区应急管理局负责在6月底前完成物资清点', owner: '区应急管理局', deadline: '6月底前' },
    ]);
  });

  it('names the owner inside "resolved that" / "it was agreed that" and splits comma-joined actions', () => {
    expect(
      commitmentsIn(
        'The trustees resolved that Grounds will reseed the lawn by April, Catering will renew the contract before the summer fair.',
      ).map(({ owner, deadline }) => ({ owner, deadline })),
    ).toEqual([
      { owner: 'Grounds', deadline: 'by April' },
      { owner: 'Catering', deadline: 'before the summer fair' },
    ]);
    expect(findOwner('The panel decided that the secretary will book the venue.')).toBe(
      'the secretary',
    );
    expect(findOwner('It was agreed that Omar will chase the invoice.')).toBe('Omar');
  });

  it('names who was asked to act in minutes ("asked X to", "X was asked to")', () => {
    expect(
      commitmentsIn('The committee asked Procurement to renew the cleaning contract.'),
    ).toMatchObject([{ owner: 'Procurement' }]);
    expect(findOwner('HR was asked to update the handbook.')).toBe('HR');
  });

  it('reads "before the end of Q3" and "the end of the summer term" whole', () => {
    expect(findDeadline('Ana will close the accounts before the end of Q3.')).toBe(
      'before the end of Q3',
    );
    expect(findDeadline('Tom will mark the scripts by the end of the spring term.')).toBe(
      'by the end of the spring term',
    );
  });

  it('reads a bare season after "before" as a deadline and 請各校 as a request to the schools', () => {
    expect(findDeadline('The caretaker will drain the pond before winter.')).toBe('before winter');
    expect(findOwner('請各校於9月30日前回傳報名表。')).toBe('各校');
  });

  it("takes an organisation's plan that its spokesperson states as a task with its owner", async () => {
    const tasks = await tasksOf(
      'Library to reopen\n\nThe library closed in March for repairs. The county library service will reopen the reading room by October, a spokesperson said. Other branches stay open.',
    );
    expect(tasks).toEqual([
      {
        task: 'The county library service will reopen the reading room by October',
        owner: 'The county library service',
        deadline: 'by October',
      },
    ]);
  });

  it('makes no task of a past event reported in news', async () => {
    const tasks = await tasksOf(
      'Town approves skate park\n\nThe town council on Thursday approved a skate park that will open next to the library. The vote was 7 to 2.',
    );
    expect(tasks).toEqual([]);
  });

  it('reads thousands of list separators in one clause in linear time', () => {
    // A name that could take in a list separator made the owner patterns try every split.
    for (const text of ['部及'.repeat(1000), `${'和'.repeat(2000)}：`, `请${'局、'.repeat(900)}`]) {
      const started = performance.now();
      findOwner(text, true);
      commitmentsIn(text);
      expect(performance.now() - started).toBeLessThan(500);
    }
  });
});
