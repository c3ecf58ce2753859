import { describe, expect, it } from 'vitest';
import {
  cleanOwner,
  countsOf,
  filterRows,
  NO_FILTERS,
  ownersOf,
  type PageDocument,
  repeatsDocumentSummary,
  taskRows,
} from '../../cli/review/page/model';
import type { Digest } from '../../shared/contract';

function doc(
  key: string,
  articles: Array<{ summary?: string; tasks: Array<[string, string | null, string | null]> }>,
  summary = 'Document summary',
): PageDocument {
  const digest = {
    summary,
    articles: articles.map((a) => ({
      title: null,
      byline: null,
      summary: a.summary ?? 'Article summary',
      keyPoints: [],
      tasks: a.tasks.map(([task, owner, deadline], i) => ({
        task,
        owner,
        deadline,
        evidence: { quote: task, start: i * 10, end: i * 10 + task.length },
      })),
    })),
  } as unknown as Digest;
  return { key, digest, source: null };
}

const documents = [
  doc('incoming/a.txt', [
    {
      tasks: [
        ['完成道路改造', '1. 财政部', '年底前'],
        ['完善考核办法', null, null],
      ],
    },
  ]),
  doc('incoming/b.txt', [
    {
      tasks: [
        ['编制预算', '（一）财政部', '12月31日前'],
        ['Clear the drains', 'Highways team', null],
      ],
    },
  ]),
  {
    key: 'incoming/c.png',
    source: null,
    error: { error: { code: 'binary_input' } },
  } as unknown as PageDocument,
];

describe('review page model', () => {
  it('takes list markers off owners', () => {
    expect(
      ['1. 财政部', '（一）财政部', '(2)财政部', '一、财政部', '第三，财政部', '2、 财政部'].map(
        cleanOwner,
      ),
    ).toEqual(Array(6).fill('财政部'));
    expect(cleanOwner('1.')).toBeNull();
    expect(cleanOwner('Highways team')).toBe('Highways team');
  });

  it('lists every task across documents with owners as people read them', () => {
    const rows = taskRows(documents);
    expect(rows.map((r) => [r.doc, r.task, r.owner])).toEqual([
      [0, '完成道路改造', '财政部'],
      [0, '完善考核办法', null],
      [1, '编制预算', '财政部'],
      [1, 'Clear the drains', 'Highways team'],
    ]);
    // Sorted as Chinese readers expect (zh collation).
    expect(ownersOf(rows)).toEqual(['财政部', 'Highways team']);
  });

  it('filters tasks by owner, deadline, document and every word of the search', () => {
    const rows = taskRows(documents);
    const tasks = (filters: Partial<typeof NO_FILTERS>) =>
      filterRows(rows, documents, { ...NO_FILTERS, ...filters }).map((r) => r.task);
    expect(tasks({ owner: '财政部', deadline: 'with' })).toEqual(['完成道路改造', '编制预算']);
    expect(tasks({ owner: '(none)' })).toEqual(['完善考核办法']);
    expect(tasks({ deadline: 'without' })).toEqual(['完善考核办法', 'Clear the drains']);
    expect(tasks({ document: 'incoming/b.txt' })).toEqual(['编制预算', 'Clear the drains']);
    expect(tasks({ text: 'DRAINS highways' })).toEqual(['Clear the drains']);
    expect(tasks({ text: '年底' })).toEqual(['完成道路改造']);
    expect(tasks({ text: 'b.txt 预算' })).toEqual(['编制预算']);
  });

  it('counts documents, digests, errors and tasks', () => {
    expect(countsOf(documents)).toEqual({ documents: 3, digests: 2, errors: 1, tasks: 4 });
  });

  it('tells when a one-article document would show its summary twice', () => {
    const same = doc('x', [{ summary: '会议 要求', tasks: [] }], '会议要求');
    const two = doc(
      'y',
      [
        { summary: 'S', tasks: [] },
        { summary: 'S', tasks: [] },
      ],
      'S',
    );
    expect(repeatsDocumentSummary(same.digest as Digest)).toBe(true);
    expect(repeatsDocumentSummary(two.digest as Digest)).toBe(false);
    expect(
      repeatsDocumentSummary(doc('z', [{ summary: 'A', tasks: [] }], 'B').digest as Digest),
    ).toBe(false);
  });
});
