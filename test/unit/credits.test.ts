import { describe, expect, it } from 'vitest';
import { createExtractiveEngine } from '../../shared/engines/extractive';
import { digestContent } from '../../shared/pipeline';

const engine = createExtractiveEngine();

/** Everything the digest writes about its articles, but the bylines. */
const written = (body: Awaited<ReturnType<typeof digestContent>>) =>
  [
    body.summary,
    ...body.articles.flatMap((a) => [a.title ?? '', a.summary, ...a.keyPoints.map((k) => k.point)]),
  ].join('\n');

describe('Chinese news credits', () => {
  it('takes 本报讯（记者 …） to the byline and leaves 责任编辑 and 来源 out', async () => {
    const text = [
      '全市春季防汛工作会议召开',
      '本报讯（记者 李明）市防汛抗旱指挥部昨天召开全市春季防汛工作会议，分析当前汛情形势，部署下一阶段防汛准备工作。会议指出，今年我市降雨偏多的可能性较大，防汛形势不容乐观。',
      '（责任编辑：刘洋）',
      '来源：江门日报',
    ].join('\n');
    const body = await digestContent({ engine }, text, 'text');
    expect(body.articles).toHaveLength(1);
    expect(body.articles[0]).toMatchObject({
      title: '全市春季防汛工作会议召开',
      byline: '本报讯（记者 李明）',
    });
    expect(body.articles[0]?.summary.startsWith('市防汛抗旱指挥部昨天召开')).toBe(true);
    expect(written(body)).not.toMatch(/本报讯|记者|责任编辑|刘洋|来源|江门日报/);
  });

  it('takes 新华社…电（记者 …） and 【…报道 记者 …】 openings to the byline', async () => {
    const text = [
      '新华社北京3月5日电（记者 张伟 李娜）十四届全国人大二次会议5日上午在人民大会堂开幕。国务院总理作政府工作报告，回顾过去一年工作，部署今年重点任务。',
      '【环球网报道 记者 王五】外交部发言人在例行记者会上回答了有关问题，介绍了近期外交安排。',
    ].join('\n');
    const body = await digestContent({ engine }, text, 'text');
    expect(body.articles[0]?.byline).toBe(
      '新华社北京3月5日电（记者 张伟 李娜）; 环球网报道 记者 王五',
    );
    expect(written(body)).not.toMatch(/新华社|电（|张伟|环球网|王五|【/);
    expect(body.articles[0]?.keyPoints.map((k) => k.point)).toContain(
      '十四届全国人大二次会议5日上午在人民大会堂开幕',
    );
  });

  it("leaves out a printed page's photo captions, told by their photographer's credit", async () => {
    const text = [
      '  滨江公园内新落成的城市雕塑群吸引不少市民驻足观看，成为周末休闲的新去处。　王晓明摄(人民视觉)',
      '  新华社发',
      '  市政府昨天召开常务会议，研究部署城市更新工作。会议要求，今年完成老旧小区改造一百个，新增公园绿地五十公顷。',
      '  会议指出，城市更新要坚持以人民为中心，把群众满意作为衡量标准。',
    ].join('\n');
    const body = await digestContent({ engine }, text, 'text');
    expect(written(body)).not.toMatch(/雕塑群|王晓明|新华社发/);
    expect(body.summary).toContain('市政府昨天召开常务会议');
  });

  it('keeps a credit that ends a story as the end of that story', async () => {
    const text = [
      '春耕生产全面展开',
      '各地抓住有利天气，组织农民开展春耕生产，确保粮食播种面积稳定，农业部门派出技术人员下乡指导。',
      '（本报记者 张三）',
      '城区道路改造完工',
      '经过三个月施工，城区主干道改造工程日前完工，道路通行能力明显提升，市民出行更加便利。',
    ].join('\n');
    const body = await digestContent({ engine }, text, 'text');
    expect(body.articles.map((a) => [a.title, a.byline])).toEqual([
      ['春耕生产全面展开', '本报记者 张三'],
      ['城区道路改造完工', null],
    ]);
  });
});

describe('English bylines', () => {
  it('reads a byline under the title as the story’s, with or without a date', async () => {
    for (const byline of [
      'By Maria Santos',
      'Posted by Sam Lee on March 3, 2025',
      'By Jane Doe | 3 March 2025',
    ]) {
      const text = `Harbor Works Finished Early\n${byline}\nThe harbor authority completed the dredging of the northern channel in September, two weeks ahead of schedule.\n`;
      const body = await digestContent({ engine }, text, 'text');
      expect(body.articles).toHaveLength(1);
      expect(body.articles[0]).toMatchObject({ title: 'Harbor Works Finished Early', byline });
    }
  });

  it('does not take a sentence that opens with "By" for a byline', async () => {
    const text =
      'By Friday the committee will publish the final budget for the coming year.\nThe vote follows in March.\n';
    const body = await digestContent({ engine }, text, 'text');
    expect(body.articles[0]?.byline).toBeNull();
    expect(body.summary).toContain('By Friday the committee will publish');
  });
});
