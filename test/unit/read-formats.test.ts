import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DocumentError } from '../../shared/errors';
import { type OcrStep, readableText, readDocument } from '../../shared/read';
import { layoutText, type PageText } from '../../shared/read/pdf-layout';
import { sniff } from '../../shared/read/sniff';
import { ROOT } from '../support/fixtures';

/** A fixture of the readers (written by scripts/make-read-fixtures.ts), a fresh copy. */
const fixture = (name: string) => readFileSync(resolve(ROOT, 'test', 'fixtures', 'read', name));

const read = (name: string, bytes: Uint8Array = fixture(name), ocr?: OcrStep) =>
  readDocument({ key: `incoming/${name}`, contentType: null, bytes }, { ocr });

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DocumentError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a DocumentError');
}

/** Paragraphs of a kept text (they are apart by a blank line). */
const paragraphs = (text: string) => text.split('\n\n');

describe('readDocument', () => {
  it('reads an English PDF in reading order, without its running header and page numbers', async () => {
    const pdf = await read('report-en.pdf');
    expect(pdf).toMatchObject({ format: 'pdf', encoding: null, kept: true });
    const text = paragraphs(pdf.text);
    expect(text.slice(0, 2)).toEqual(['Quarterly Operations Update', 'By Maria Santos']);
    expect(pdf.text).not.toMatch(/Harbor City Council - Operations Report|Page \d of 2/);
    expect(text).toContain(
      '1. The port engineering team will repair the east breakwater by March 2026.',
    );
    // The paragraph cut by the page break is whole again, its hyphenated word rejoined.
    const long = text.find((p) => p.startsWith('Dockworkers raised concerns'));
    expect(long).toMatch(
      /stacks nearest the quay\. .* maintenance work that it recommends, will be presented to the board in December\.$/,
    );
  });

  it('reads two columns one after the other, not line by line across the page', async () => {
    const pdf = await read('two-column.pdf');
    expect(paragraphs(pdf.text)).toEqual([
      'Riverside Library Renovation',
      expect.stringMatching(
        /^The Riverside branch library .* after two years of planning with the residents\.$/,
      ),
      expect.stringMatching(
        /^During the closure a mobile library .* until the building is ready again\.$/,
      ),
    ]);
  });

  it('reads columns printed by Chromium one after the other when their baselines drift apart', async () => {
    const pdf = await read('two-column-chromium.pdf');
    expect(paragraphs(pdf.text)).toEqual([
      'Regional Transport Annual Review',
      expect.stringMatching(
        /^The regional transport authority will approve the revised capital budget before the October board meeting\. .* longer evening service\.$/,
      ),
      'Fares',
      expect.stringMatching(
        /^Off-peak fares .* in the midday off-peak periods rose .* councils\.$/,
      ),
      expect.stringMatching(
        /^Maintenance costs .* department must replace forty diesel buses .* overnight\.$/,
      ),
      expect.stringMatching(/^Passenger surveys .* morning peak\.$/),
      expect.stringMatching(/^The board thanked .* at short notice\.$/),
    ]);
  });

  it('leaves out the print header and footer of a one-page browser print', async () => {
    const pdf = await read('two-column-chromium.pdf');
    expect(pdf.text).not.toMatch(/11\/22\/26|8:06 AM|file:|annual-review\.html|1\/1/);
    expect(pdf.text.indexOf('Regional Transport Annual Review')).toBe(0);
    expect(pdf.text.lastIndexOf('Regional Transport Annual Review')).toBe(0);
  });

  it('reads Chinese in an embedded font subset, with its header and page numbers left out', async () => {
    const pdf = await read('notice-zh.pdf');
    const text = paragraphs(pdf.text);
    expect(text[0]).toBe('关于做好春季防汛工作的通知');
    expect(text[1]).toMatch(/^本报讯（记者 李明）市防汛抗旱指挥部昨天召开/);
    expect(text[2]).toContain('二是由市水务局负责，五月十日前修订完善防汛应急预案。');
    expect(pdf.text).not.toMatch(/春季防汛工作简报|- \d -/);
  });

  it('reads Chinese in a predefined CJK encoding through the character maps', async () => {
    // STSong-Light with UniGB-UCS2-H and no embedded font: without the maps the text is lost.
    const pdf = await read('notice-zh-cmap.pdf');
    expect(paragraphs(pdf.text)).toEqual([
      '关于加强城市绿化管理的通知',
      '本报讯（记者 王芳）市园林局日前印发通知，部署今年城市绿化管理工作。通知要求，',
      '一是各区要在六月底前完成行道树补植。',
      '二是由市园林局负责，加强公园日常养护。',
      '三是做好古树名木保护，建立一树一档。',
    ]);
  });

  it('reports a scanned PDF as needing OCR, and hands it to an OCR step when there is one', async () => {
    expect(await failure(read('scanned.pdf'))).toEqual({
      code: 'needs_ocr',
      message: expect.stringMatching(/PDF of 1 page whose page is an image .* OCR/),
    });
    const seen: unknown[] = [];
    const ocr: OcrStep = {
      async recognize(input) {
        seen.push({ kind: input.kind, pages: input.pages });
        return 'Recognized text of the scan.';
      },
    };
    const recognized = await read('scanned.pdf', undefined, ocr);
    expect(recognized).toMatchObject({
      format: 'pdf',
      kept: true,
      text: 'Recognized text of the scan.',
    });
    expect(seen).toEqual([{ kind: 'pdf', pages: [1] }]);
  });

  it('reports pictures as needing OCR, not as binary data', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    expect(await failure(read('photo.png', png))).toEqual({
      code: 'needs_ocr',
      message: expect.stringContaining('PNG image'),
    });
  });

  it('reads a Word document with its heading, list numbers and bold runs', async () => {
    const docx = await read('memo.docx');
    expect(docx).toMatchObject({ format: 'docx', encoding: null, kept: true });
    expect(paragraphs(docx.text)).toEqual([
      'Product Roadmap Review',
      'By Priya Natarajan',
      expect.stringContaining('year. Customer interviews showed that teams want shared workspaces'),
      expect.stringMatching(/^The council also looked at the support figures\./),
      'Decisions',
      '1. The platform team will ship shared workspaces to beta customers by September 30.',
      '2. Design must deliver the new permissions screens before the end of July.',
      '3. The documentation team should rewrite the administrator guide for the launch.',
      'The reporting module moves to the first quarter of next year.',
    ]);
  });

  it('names legacy and other office formats and what to convert them to', async () => {
    const ole2 = (stream: string) =>
      Buffer.concat([
        Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
        Buffer.alloc(504),
        Buffer.from(stream, 'utf16le'),
      ]);
    expect(await failure(read('minutes.doc', ole2('WordDocument')))).toEqual({
      code: 'unsupported_format',
      message:
        'The object is a legacy Word document (.doc), which is not read: save it as .docx (Word) or PDF and upload that.',
    });
    expect((await failure(read('minutes.wps', ole2('WpsContent')))).message).toContain(
      'WPS Writer document (.wps)',
    );
    expect((await failure(read('scan', ole2('Workbook')))).message).toContain(
      'Excel workbook (.xls)',
    );
    expect(await failure(read('letter.rtf', Buffer.from('{\\rtf1\\ansi Hello}')))).toMatchObject({
      code: 'unsupported_format',
      message: expect.stringContaining('Rich Text Format'),
    });
  });

  it('reports a password-protected Word file as unreadable, not as a legacy format', async () => {
    // Office encrypts a .docx into an OLE2 file whose directory names an EncryptedPackage stream.
    const encrypted = Buffer.concat([
      Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
      Buffer.alloc(504),
      Buffer.from('EncryptionInfo', 'utf16le'),
      Buffer.alloc(50),
      Buffer.from('EncryptedPackage', 'utf16le'),
    ]);
    expect(await failure(read('budget.docx', encrypted))).toEqual({
      code: 'unreadable_document',
      message:
        'The object is a password-protected Word document, which cannot be read: upload a copy without the password.',
    });
    expect(await failure(read('budget.doc', encrypted))).toMatchObject({
      code: 'unreadable_document',
    });
  });

  it('names formats with "an" before a vowel', async () => {
    /** A ZIP file of one empty entry: a local header, its central directory entry, the end record. */
    const zip = (name: string) => {
      const entry = Buffer.from(name);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(entry.length, 26);
      const central = Buffer.alloc(46);
      central.writeUInt32LE(0x02014b50, 0);
      central.writeUInt16LE(entry.length, 28);
      const end = Buffer.alloc(22);
      end.writeUInt32LE(0x06054b50, 0);
      end.writeUInt16LE(1, 8);
      end.writeUInt16LE(1, 10);
      end.writeUInt32LE(central.length + entry.length, 12);
      end.writeUInt32LE(local.length + entry.length, 16);
      return Buffer.concat([local, entry, central, entry, end]);
    };
    expect((await failure(read('sheet.xlsx', zip('xl/workbook.xml')))).message).toMatch(
      /^The object is an Excel workbook \(\.xlsx\)/,
    );
    expect((await failure(read('notes.odt', zip('content.xml')))).message).toMatch(
      /^The object is an OpenDocument file/,
    );
    expect(
      (await failure(read('x.bin', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1])))).message,
    ).toBe('The object is an ELF executable, not a document.');
    expect(
      (
        await failure(
          read('minutes.doc', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])),
        )
      ).message,
    ).toMatch(/^The object is a legacy Word document/);
  });

  it('tells damaged PDFs and Word files from binary data', async () => {
    const pdf = Buffer.from('%PDF-1.7\n%\u00e2\u00e3\n1 0 obj', 'latin1');
    expect((await failure(read('broken.pdf', pdf))).code).toBe('unreadable_document');
    const docx = Buffer.from(fixture('memo.docx'));
    docx.fill(0x41, 40, 600); // the first entries' data overwritten, the directory kept
    expect((await failure(read('broken.docx', docx))).code).toBe('unreadable_document');
  });

  it('decodes Windows-1252 text, as the issue reproduced it', async () => {
    const text = await read('notes-cp1252.txt');
    expect(text).toEqual({
      format: 'text',
      encoding: 'windows-1252',
      kept: false,
      text: 'Notes from the café meeting on Tuesday.\r\nThe committee will publish the final budget by March 31.\r\n',
    });
  });
});

/** A line of text as a PDF places it: about half its size a character, or `width` points wide. */
const line = (text: string, y: number, size = 11, x = 72, width = text.length * size * 0.5) => ({
  text,
  x,
  y,
  width,
  size,
});

describe('layoutText', () => {
  it('keeps a hyphen at a line end that the text has, and drops one that only breaks a word', () => {
    const page = (lines: string[]): PageText => ({
      width: 612,
      height: 792,
      runs: [
        // Justified: every line but the last runs to the right edge.
        ...lines.map((text, i) =>
          line(text, 700 - i * 13, 11, 72, i < lines.length - 1 ? 300 : 200),
        ),
        line(
          'The well-known off-ramp and maintenance rules apply to off and on days alike.',
          500,
          11,
          72,
          300,
        ),
      ],
    });
    const text = layoutText([
      page([
        'Fares for the off-',
        'peak hours, the mid-',
        'week trains and the well-',
        'known mainte-',
        'nance of COVID-',
        '19 wards, with B-',
        'grade parts and a kilo-',
        'metre of rail, are reviewed here and now by the board.',
      ]),
    ]);
    expect(text.split('\n\n')[0]).toBe(
      'Fares for the off-peak hours, the midweek trains and the well-known maintenance of COVID-19 wards, with B-grade parts and a kilometre of rail, are reviewed here and now by the board.',
    );
  });

  it('reads columns under text set across the page one after the other', () => {
    const runs = [
      ...Array.from({ length: 14 }, (_, i) =>
        line(
          `Across page line ${i + 1} of the introduction runs from margin to margin`,
          740 - i * 13,
          11,
          72,
          468,
        ),
      ),
      // The right column's baselines sit 6 points below the left one's.
      ...Array.from({ length: 10 }, (_, i) =>
        line(`Left column line ${i + 1} of the story`, 540 - i * 13, 11, 72, 216),
      ),
      ...Array.from({ length: 10 }, (_, i) =>
        line(`Right column line ${i + 1} of the story`, 534 - i * 13, 11, 324, 216),
      ),
    ];
    const text = layoutText([{ width: 612, height: 792, runs }]);
    const order = [...text.matchAll(/(Across|Left|Right) \S+ line (\d+)/g)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    expect(order).toEqual([
      ...Array.from({ length: 14 }, (_, i) => `Across ${i + 1}`),
      ...Array.from({ length: 10 }, (_, i) => `Left ${i + 1}`),
      ...Array.from({ length: 10 }, (_, i) => `Right ${i + 1}`),
    ]);
  });

  it('leaves out a date, an address and a page counter printed small at the edge of a single page', () => {
    const text = layoutText([
      {
        width: 612,
        height: 792,
        runs: [
          line('3/14/25, 10:21 PM', 780, 6, 20),
          line('Annual Review', 780, 6, 280),
          line('Annual Review', 700, 20),
          line('The board met on 3/14/25 to approve the plan for the year ahead.', 660),
          line('https://example.org/review', 12, 6, 20),
          line('1/1', 12, 6, 570),
        ],
      },
    ]);
    expect(text).toBe(
      'Annual Review\n\nThe board met on 3/14/25 to approve the plan for the year ahead.',
    );
  });
});

describe('sniff', () => {
  it('trusts bytes over the key: text named .pdf is text, a PDF named .txt is a PDF', () => {
    expect(sniff(Buffer.from('A note about %PDF- headers.'), 'a.pdf', null)).toEqual({
      kind: 'text',
    });
    expect(sniff(fixture('scanned.pdf'), 'a.txt', 'text/plain')).toEqual({ kind: 'pdf' });
    expect(sniff(Buffer.from('BMW reported record sales.'), 'a.txt', null)).toEqual({
      kind: 'text',
    });
  });
});

describe('readableText', () => {
  it('reads a news page as a reader sees it: its title, byline and story, without navigation', async () => {
    const page = fixture('news-page.html').toString('utf8');
    const { text, raw } = await readableText(page, 'html');
    const lines = text.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'Quarterly Operations Update',
      'By Maria Santos',
      expect.stringMatching(/^The harbor authority completed the dredging/),
    ]);
    expect(text).not.toMatch(/Home|Most read|Privacy|Harbor City News|account 4471/);
    // Every character read maps back to the page.
    const at = text.indexOf('By Maria Santos');
    expect(page.slice(raw?.start[at], raw?.end[at + 'By Maria Santos'.length - 1])).toBe(
      'By Maria Santos',
    );
  });

  it.each([
    ['news-page-section.html', 'Council approves new flood defences for the river district'],
    ['news-page-zh.html', '市水务局部署防汛工作'],
  ])(
    "puts the article's <h1> first when the <title> of %s is a section and the site",
    async (name, title) => {
      const { text } = await readableText(fixture(name).toString('utf8'), 'html');
      const lines = text.split('\n');
      expect(lines[0]).toBe(title);
      expect(lines.filter((line) => line.includes(title))).toEqual([title]);
      expect(text).not.toMatch(/Metro Herald|City News|某某网|新闻中心/);
    },
  );

  it('ends a paragraph at a Setext underline and reads list markers as an indent, numbers of an enumeration aside', async () => {
    const notes = fixture('weekly-sync.md').toString('utf8');
    const { text, raw } = await readableText(notes, 'markdown');
    expect(text.split('\n').map((line) => line.trim())).toEqual([
      'Weekly sync',
      'Attendees: Ana, Ben, Tom',
      'Decisions',
      'The team went through the plans for the spring workshop and the budget.',
      'The venue for the spring workshop is booked.',
      'The budget stays as agreed in January.',
      'Tom will schedule the review meeting with the auditors by Friday.',
      'Ana must send the revised minutes to the board before Monday.',
      '',
    ]);
    const at = text.indexOf('Tom will schedule');
    expect(notes.slice(raw?.start[at], raw?.end[at + 2])).toBe('Tom');
    const numbered = await readableText('1. Ana will draft.\n2. Ben will check.\n', 'markdown');
    expect(numbered.text).toBe('1. Ana will draft.\n2. Ben will check.\n');
  });

  it('takes no site logo set in an <h1> for the title', async () => {
    const story = Array.from(
      { length: 3 },
      (_, i) =>
        `<p>Paragraph ${i + 1} says that the council approved a plan to build new flood defences along the river, after three floods in five years.</p>`,
    ).join('');
    const page = `<!doctype html><html><head><title>Council approves new flood defences - Metro Herald</title></head><body><header><h1 class="logo">Metro Herald</h1></header><main><article><h2>Council approves new flood defences</h2>${story}</article></main></body></html>`;
    const { text } = await readableText(page, 'html');
    expect(text.split('\n')[0]).toBe('Council approves new flood defences');
    expect(text).not.toContain('Metro Herald');
  });

  it('reads Markdown without its markup, each character mapped into the file', async () => {
    const markdown = fixture('retrospective.md').toString('utf8');
    const { text, raw } = await readableText(markdown, 'markdown');
    expect(text.split('\n').slice(0, 3)).toEqual([
      'Product Launch Retrospective',
      'Posted by Sam Lee on March 3, 2025',
      'The mobile app launched on February 20 after eight months of work, and the first weeks went better than the team had planned. Details are in the release notes and in the launch-metrics dashboard.',
    ]);
    expect(text).toContain('\n  Sign-ups reached 12,000 in the first week');
    expect(text).toContain(
      '\n1. The design team will simplify the onboarding screens by April 15.',
    );
    expect(text).not.toMatch(/[*_#`>]|\]\(|title: |signups\.png/);
    const at = text.indexOf('12,000');
    expect(markdown.slice(raw?.start[at], raw?.end[at + 5])).toBe('12,000');
  });
});
