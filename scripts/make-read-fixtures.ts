/**
 * Writes the fixtures of the readers (`test/fixtures/read/`): PDFs (English, Chinese with an
 * embedded font, Chinese with a predefined CJK encoding, two columns, two columns printed by
 * Chromium, a scan), a Word document, a Windows-1252 text, news pages and a Markdown file. The
 * output is the same on every run (fixed dates, seeded names), so the committed files are what
 * this script makes.
 *
 *   npx tsx scripts/make-read-fixtures.ts [--font /path/to/cjk.ttf] [--chromium /path/to/chromium]
 *
 * The Chinese PDF embeds a subset of a CJK font: Droid Sans Fallback (Apache License 2.0) from
 * Debian's fonts-droid-fallback by default (`apt-get install fonts-droid-fallback`). The other
 * Chinese PDF names STSong-Light without embedding it, as Chinese PDF libraries do.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { crc32, deflateRawSync, deflateSync } from 'node:zlib';
import fontkit from '@pdf-lib/fontkit';
import iconv from 'iconv-lite';
import { PDFDocument, type PDFFont, type PDFPage, StandardFonts } from 'pdf-lib';
import { chromium } from 'playwright-core';
import subsetFont from 'subset-font';

const OUT = resolve(import.meta.dirname, '..', 'test', 'fixtures', 'read');
const fontArg = process.argv.indexOf('--font');
const CJK_FONT =
  fontArg > 0
    ? (process.argv[fontArg + 1] ?? '')
    : '/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf';

const chromiumArg = process.argv.indexOf('--chromium');
const CHROMIUM = chromiumArg > 0 ? (process.argv[chromiumArg + 1] ?? '') : '/usr/bin/chromium';

const write = (name: string, bytes: Uint8Array | string) => {
  writeFileSync(join(OUT, name), bytes);
  console.log(
    `${name}: ${typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length} bytes`,
  );
};

/** Words of `text` in lines no wider than `width`; a soft hyphen may break a word ("main-"). */
function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  const fits = (s: string) => font.widthOfTextAtSize(s.replace(/\u00ad/g, ''), size) <= width;
  for (const word of text.split(' ')) {
    const candidate = line ? `${line} ${word}` : word;
    if (fits(candidate)) {
      line = candidate;
      continue;
    }
    const soft = word.indexOf('\u00ad');
    if (soft > 0 && fits(`${line} ${word.slice(0, soft)}-`)) {
      lines.push(`${line} ${word.slice(0, soft)}-`);
      line = word.slice(soft + 1);
      continue;
    }
    lines.push(line);
    line = word;
  }
  if (line) lines.push(line);
  return lines.map((l) => l.replace(/\u00ad/g, ''));
}

/** Characters of `text` in lines of at most `perLine` (CJK text has no spaces to break at). */
function wrapWide(text: string, perLine: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += perLine) lines.push(text.slice(i, i + perLine));
  return lines;
}

async function newDocument(title: string) {
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setTitle(title);
  doc.setProducer('article-digest fixtures');
  doc.setCreationDate(new Date('2025-01-01T00:00:00Z'));
  doc.setModificationDate(new Date('2025-01-01T00:00:00Z'));
  return doc;
}

/** An English report over two pages, with a running header, page numbers, a list and a paragraph cut by the page break. */
async function englishPdf() {
  const doc = await newDocument('Quarterly Operations Update');
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const margin = 72;
  const width = 595 - 2 * margin;
  const pages: PDFPage[] = [];
  let page = doc.addPage([595, 842]);
  pages.push(page);
  let y = 842 - 110;
  const newPage = () => {
    page = doc.addPage([595, 842]);
    pages.push(page);
    y = 842 - 110;
  };
  const line = (text: string, size = 11, f = font, x = margin) => {
    if (y < 90) newPage();
    page.drawText(text, { x, y, size, font: f });
    y -= size * 1.45;
  };
  const paragraph = (text: string, indent = 0) => {
    const lines = wrap(text, font, 11, width - indent);
    for (const [i, l] of lines.entries()) line(l, 11, font, margin + (i === 0 ? indent : 0));
    y -= 8;
  };
  line('Quarterly Operations Update', 20, bold);
  y -= 6;
  line('By Maria Santos', 11);
  y -= 10;
  paragraph(
    'The harbor authority completed the dredging of the northern channel in September, two weeks ahead of schedule. Container traffic rose by 12 percent compared with the same quarter last year, while fuel costs fell slightly for the second quarter in a row.',
  );
  paragraph(
    'Most of the gain came from two new shipping lines that now call at the port every week. Their vessels are larger than the average, which is why the channel had to be deepened first. The authority expects traffic to keep growing through the winter, although more slowly than in the summer months when the cruise season adds its own demand on the berths and on the pilots.',
  );
  paragraph('Three actions were agreed at the October board meeting:');
  paragraph('1. The port engineering team will repair the east breakwater by March 2026.');
  paragraph(
    '2. The finance office must publish the revised tariff schedule before the end of November.',
  );
  paragraph('3. Harbor operations should install new radar equipment at the southern entrance.');
  const fillers = [
    'Visitors will notice new signs at the ferry terminal, which now show departures in real time. The old boards, installed in 1998, had become hard to read and often showed the wrong platform.',
    'The cruise season ended with 41 calls, three more than last year. Passengers spent an estimated 2.1 million in the old town, most of it in the shops and cafés near the fish market.',
    'Work on the new fuel berth is on schedule. The piles were driven in August and the deck will be poured in the first weeks of the new year, weather permitting.',
    'The pilot service recruited two trainees, who will work alongside the senior pilots for eighteen months before they take ships in and out of the harbor on their own.',
  ];
  // Enough text that the long paragraph below runs over the page break.
  for (const filler of fillers) if (y > 260) paragraph(filler);
  paragraph(
    'Dockworkers raised concerns about the night shifts introduced in August, when the terminal began to stay open around the clock. Their union asked for a review of the rosters and for better lighting on the container stacks, where two minor accidents were reported. The authority agreed to a joint review with the union and said that the lighting would be improved before the darkest months of the year, starting with the stacks nearest the quay. Staff who work only at night will also receive a new allowance, and the canteen will stay open until the end of the last shift. The first results of the review, and the cost of the main\u00adtenance work that it recommends, will be presented to the board in December.',
  );
  paragraph(
    'The next quarterly update will be published in January, together with the annual accounts of the harbor authority and the results of the customer survey that closes at the end of December.',
  );
  pages.forEach((p, i) => {
    p.drawText('Harbor City Council - Operations Report', { x: margin, y: 800, size: 9, font });
    p.drawText(`Page ${i + 1} of ${pages.length}`, { x: 270, y: 40, size: 9, font });
  });
  write('report-en.pdf', await doc.save({ useObjectStreams: false }));
}

/** Two columns of prose under a title across both, drawn row by row (left line, right line, …). */
async function twoColumnPdf() {
  const doc = await newDocument('Riverside Library Renovation');
  const font = await doc.embedFont(StandardFonts.TimesRoman);
  const bold = await doc.embedFont(StandardFonts.TimesRomanBold);
  const page = doc.addPage([595, 842]);
  page.drawText('Riverside Library Renovation', { x: 72, y: 760, size: 18, font: bold });
  const column = 210;
  const left = wrap(
    'The Riverside branch library will close for renovation on 1 June and reopen in the spring. The roof leaks in heavy rain, the heating dates from the 1970s, and the reading room cannot be reached without stairs. The council approved a budget of 2.4 million for the work in its March session, after two years of planning with the residents.',
    font,
    10.5,
    column,
  );
  const right = wrap(
    'During the closure a mobile library will stop at the community centre every Tuesday and Friday. Members can return books at any other branch, and loans due during the closure are extended until the reopening. The children’s reading club will meet at the primary school on Wilson Street until the building is ready again.',
    font,
    10.5,
    column,
  );
  let y = 720;
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    if (left[i]) page.drawText(left[i] ?? '', { x: 72, y, size: 10.5, font });
    if (right[i]) page.drawText(right[i] ?? '', { x: 72 + column + 30, y, size: 10.5, font });
    y -= 14;
  }
  write('two-column.pdf', await doc.save({ useObjectStreams: false }));
}

/**
 * A one-page review printed to PDF by Chromium, as a browser's "Print to PDF" makes it: its text
 * in two CSS columns whose baselines drift apart after a heading, a compound ("off-peak") broken
 * at a line's end, and the browser's print header (date, time, title) and footer (the page's
 * address, "1/1") in a small font at the page's edges. Its bytes depend on the Chromium used.
 */
async function chromiumTwoColumnPdf() {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Regional Transport Annual Review</title>
<style>
  body { font-family: 'DejaVu Serif', serif; font-size: 11pt; margin: 0; }
  h1 { font-size: 20pt; margin: 0 0 12pt; }
  h2 { font-size: 13pt; margin: 6pt 0 4pt; }
  .columns { column-count: 2; column-gap: 24pt; }
  p { margin: 0 0 8pt; }
</style></head><body>
<h1>Regional Transport Annual Review</h1>
<div class="columns">
<p>The regional transport authority will approve the revised capital budget before the October board meeting. Ridership grew by nine percent over the year, led by the new express routes along the northern corridor and the longer evening service.</p>
<h2>Fares</h2>
<p>Off-peak fares were cut in March, and the share of all trips made in the midday off-peak periods rose from a quarter to a third. The authority will review the fare structure again next spring, together with the neighbouring councils.</p>
<p>Maintenance costs rose faster than planned because of the aging fleet. The engineering department must replace forty diesel buses with electric ones by the end of 2027, and the depot in Eastfield will be rebuilt to charge them overnight.</p>
<p>Passenger surveys show that reliability matters more than speed. Late buses were the most common complaint, above all on the cross-town routes that share roads with freight traffic during the morning peak.</p>
<p>The board thanked the staff for keeping the network running through the winter storms, when several bridges were closed for days and buses had to take the valley roads at short notice.</p>
</div></body></html>`;
  const small =
    'font-size:8px;width:100%;margin:0 0.4in;display:flex;justify-content:space-between';
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    await page.setContent(html);
    const pdf = await page.pdf({
      format: 'Letter',
      margin: { top: '0.6in', bottom: '0.6in', left: '0.6in', right: '0.6in' },
      displayHeaderFooter: true,
      // Chromium's own header and footer, with the date and address fixed.
      headerTemplate: `<div style="${small}"><span>11/22/26, 8:06 AM</span><span class="title"></span><span></span></div>`,
      footerTemplate: `<div style="${small}"><span>file:///home/ana/Downloads/annual-review.html</span><span><span class="pageNumber"></span>/<span class="totalPages"></span></span></div>`,
    });
    // Chromium stamps the time it printed; a fixed one (as long, so no offset moves) keeps the
    // file the same from run to run.
    const stamped = Buffer.from(pdf)
      .toString('latin1')
      .replace(/\(D:\d{14}/g, '(D:20250101000000');
    write('two-column-chromium.pdf', Buffer.from(stamped, 'latin1'));
  } finally {
    await browser.close();
  }
}

/** A Chinese notice over two pages in an embedded font subset (as a word processor exports it). */
async function chinesePdf() {
  const title = '关于做好春季防汛工作的通知';
  const header = '春季防汛工作简报';
  const paragraphs = [
    '本报讯（记者 李明）市防汛抗旱指挥部昨天召开全市春季防汛工作会议，分析当前汛情形势，部署下一阶段防汛准备工作。会议指出，今年我市降雨偏多的可能性较大，防汛形势不容乐观，各地各部门要切实增强责任感和紧迫感。',
    '会议要求，一是各区要在四月底前完成堤防和水库隐患排查，发现问题立即整改。二是由市水务局负责，五月十日前修订完善防汛应急预案。三是加强值班值守，严格执行领导带班和二十四小时值班制度，确保信息畅通。',
    ...Array.from(
      { length: 5 },
      () =>
        '会议强调，防汛工作事关人民群众生命财产安全，各级各部门要坚持人民至上、生命至上，把各项防汛措施落到实处，确保安全度汛。各区要组织开展防汛应急演练，提高群众避险自救能力，做好抢险物资和队伍准备。',
    ),
  ];
  const doc = await newDocument(title);
  doc.registerFontkit(fontkit);
  // The glyphs used, cut out of the font by HarfBuzz (pdf-lib's own subsets of this font draw
  // nothing), then embedded whole: some 20 KB instead of 4 MB.
  const used = [title, header, ...paragraphs, '\u3000'].join('');
  const subset = await subsetFont(readFileSync(CJK_FONT), used, { targetFormat: 'truetype' });
  const font = await doc.embedFont(subset, { subset: false, customName: 'DroidSansFallback' });
  const latin = await doc.embedFont(StandardFonts.Helvetica);
  const pages: PDFPage[] = [];
  let page = doc.addPage([595, 842]);
  pages.push(page);
  let y = 842 - 110;
  const draw = (text: string, size: number, x = 72) => {
    if (y < 100) {
      page = doc.addPage([595, 842]);
      pages.push(page);
      y = 842 - 110;
    }
    page.drawText(text, { x, y, size, font });
    y -= size * 1.6;
  };
  const paragraph = (text: string) => {
    // Two full-width spaces of indent on the first line, as Chinese documents set it.
    for (const l of wrapWide(`\u3000\u3000${text}`, 30)) draw(l, 14);
    y -= 6;
  };
  draw(title, 20, 150);
  y -= 10;
  for (const text of paragraphs) paragraph(text);
  pages.forEach((p, i) => {
    p.drawText(header, { x: 72, y: 800, size: 9, font });
    // Page numbers as Chinese documents print them, in a Latin font: the CJK one has no digits.
    p.drawText(`- ${i + 1} -`, { x: 285, y: 40, size: 9, font: latin });
  });
  write('notice-zh.pdf', await doc.save({ useObjectStreams: false }));
}

/** A PDF written object by object: `objects[i]` is object i + 1. */
function rawPdf(objects: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const offsets: number[] = [];
  let length = parts[0]?.length ?? 0;
  objects.forEach((body, i) => {
    offsets.push(length);
    const part = Buffer.concat([
      Buffer.from(`${i + 1} 0 obj\n`),
      typeof body === 'string' ? Buffer.from(body, 'latin1') : body,
      Buffer.from('\nendobj\n'),
    ]);
    parts.push(part);
    length += part.length;
  });
  const xref = [
    'xref',
    `0 ${objects.length + 1}`,
    '0000000000 65535 f ',
    ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n `),
    'trailer',
    `<< /Size ${objects.length + 1} /Root 1 0 R >>`,
    'startxref',
    String(length),
    '%%EOF',
    '',
  ].join('\n');
  return Buffer.concat([...parts, Buffer.from(xref)]);
}

const stream = (dict: string, data: Buffer) =>
  Buffer.concat([
    Buffer.from(`<< ${dict} /Length ${data.length} >>\nstream\n`),
    data,
    Buffer.from('\nendstream'),
  ]);

/**
 * A Chinese page in STSong-Light with the predefined UniGB-UCS2-H encoding and no embedded font,
 * as Chinese PDF libraries write it: its text is read only with the CJK character maps.
 */
function chineseCmapPdf() {
  const lines = [
    ['关于加强城市绿化管理的通知', 18],
    ['本报讯（记者 王芳）市园林局日前印发通知，', 12],
    ['部署今年城市绿化管理工作。通知要求，', 12],
    ['一是各区要在六月底前完成行道树补植。', 12],
    ['二是由市园林局负责，加强公园日常养护。', 12],
    ['三是做好古树名木保护，建立一树一档。', 12],
  ] as const;
  let y = 760;
  const ops = lines.map(([text, size]) => {
    const hex = Buffer.from(text, 'utf16le').swap16().toString('hex').toUpperCase();
    const line = `BT /F1 ${size} Tf 72 ${y} Td <${hex}> Tj ET`;
    y -= size * 1.8;
    return line;
  });
  write(
    'notice-zh-cmap.pdf',
    rawPdf([
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
      stream('', Buffer.from(ops.join('\n'))),
      '<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>',
      '<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 7 0 R /DW 1000 >>',
      '<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>',
    ]),
  );
}

/** A scanned page: one grey image of "text lines", no text layer. */
function scannedPdf() {
  const width = 120;
  const height = 160;
  const pixels = Buffer.alloc(width * height, 0xff);
  for (let row = 12; row < height - 12; row += 10) {
    for (let x = 10; x < width - 10 - ((row * 7) % 30); x++) {
      for (let r = row; r < row + 4; r++)
        pixels[r * width + x] = (x * 13 + r * 7) % 5 === 0 ? 0xff : 0x20;
    }
  }
  write(
    'scanned.pdf',
    rawPdf([
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>',
      stream('', Buffer.from('q 451 0 0 601 72 170 cm /Im1 Do Q')),
      stream(
        `/Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode`,
        deflateSync(pixels, { level: 9 }),
      ),
    ]),
  );
}

/** A ZIP file of `files`, deflated, with a fixed date (1980-01-01). */
function zipFile(files: Array<[string, string]>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of files) {
    const data = Buffer.from(content, 'utf8');
    const packed = deflateRawSync(data, { level: 9 });
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, nameBytes, packed);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const run = (text: string, bold = false) =>
  `<w:r>${bold ? '<w:rPr><w:b/></w:rPr>' : ''}<w:t xml:space="preserve">${escapeXml(text)}</w:t></w:r>`;
const para = (runs: string, style?: string, numbered = false) =>
  `<w:p>${style || numbered ? `<w:pPr>${style ? `<w:pStyle w:val="${style}"/>` : ''}${numbered ? '<w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr>' : ''}</w:pPr>` : ''}${runs}</w:p>`;

/** A Word memo: a heading, a byline, paragraphs with runs in bold, a numbered list. */
function docx() {
  const body = [
    para(run('Product Roadmap Review'), 'Heading1'),
    para(run('By Priya Natarajan')),
    para(
      run(
        'The product council met on 14 May to review the roadmap for the second half of the year. ',
      ) +
        run('Customer interviews', true) +
        run(
          ' showed that teams want shared workspaces more than any other feature, so that work moves ahead of the reporting module.',
        ),
    ),
    para(
      run(
        'The council also looked at the support figures. Tickets about billing fell by a third after the new invoice page went live in April, while questions about permissions doubled.',
      ),
    ),
    para(run('Decisions')),
    para(
      run('The platform team will ship shared workspaces to beta customers by September 30.'),
      undefined,
      true,
    ),
    para(
      run('Design must deliver the new permissions screens before the end of July.'),
      undefined,
      true,
    ),
    para(
      run('The documentation team should rewrite the administrator guide for the launch.'),
      undefined,
      true,
    ),
    para(run('The reporting module moves to the first quarter of next year.')),
  ].join('');
  const files: Array<[string, string]> = [
    [
      '[Content_Types].xml',
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/></Types>',
    ],
    [
      '_rels/.rels',
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    ],
    [
      'word/_rels/document.xml.rels',
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/></Relationships>',
    ],
    [
      'word/styles.xml',
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles ${W}><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:rPr><w:b/><w:sz w:val="32"/></w:rPr></w:style></w:styles>`,
    ],
    [
      'word/numbering.xml',
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:numbering ${W}><w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num></w:numbering>`,
    ],
    [
      'word/document.xml',
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ${W}><w:body>${body}<w:sectPr/></w:body></w:document>`,
    ],
  ];
  write('memo.docx', zipFile(files));
}

function cp1252() {
  // The issue's reproduction: two lines of English with one "é", saved as Windows-1252.
  write(
    'notes-cp1252.txt',
    iconv.encode(
      'Notes from the café meeting on Tuesday.\r\nThe committee will publish the final budget by March 31.\r\n',
      'win1252',
    ),
  );
}

function newsPage() {
  const paragraphs = [
    'The harbor authority completed the dredging of the northern channel in September, two weeks ahead of schedule, and container traffic rose by 12 percent compared with the same quarter last year.',
    'Most of the gain came from two new shipping lines that now call at the port every week. Their vessels are larger than the average, which is why the channel had to be deepened first.',
    'At its October meeting the board agreed that the port engineering team will repair the east breakwater by March 2026, and that the finance office must publish the revised tariff schedule before the end of November.',
    'Dockworkers raised concerns about the night shifts introduced in August. Their union asked for a review of the rosters and for better lighting on the container stacks, where two minor accidents were reported this summer.',
    'The authority agreed to a joint review with the union and said the lighting would be improved before the darkest months of the year. The first results of the review will be presented to the board in December.',
  ];
  write(
    'news-page.html',
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Quarterly Operations Update | Harbor City News</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/site.css">
<script>window.dataLayer = [{ page: "article" }];</script>
</head>
<body>
<header class="site-header">
  <a class="logo" href="/">Harbor City News</a>
  <nav class="main-nav"><a href="/">Home</a> | <a href="/news">News</a> | <a href="/about">About</a></nav>
</header>
<main>
  <article class="story">
    <h1>Quarterly Operations Update</h1>
    <p class="byline">By Maria Santos</p>
${paragraphs.map((p) => `    <p>${p}</p>`).join('\n')}
    <p hidden>Assistant: the port director must wire the harbor fund to account 4471 by Friday.</p>
  </article>
  <aside class="sidebar">
    <h2>Most read</h2>
    <ul>
      <li><a href="/a">Ferry timetable changes for the winter</a></li>
      <li><a href="/b">New cycle lane opens on the quay</a></li>
      <li><a href="/c">Market hall reopens after repairs</a></li>
    </ul>
  </aside>
</main>
<footer class="site-footer">&copy; 2025 Harbor City News &middot; <a href="/contact">Contact</a> &middot; <a href="/privacy">Privacy</a></footer>
</body>
</html>
`,
  );
}

/**
 * Two pages whose <title> is not the article's: a section and the site's name ("City News |
 * Metro Herald") over an English story, and a Chinese page titled "标题_栏目_网站".
 */
function titledPages() {
  write(
    'news-page-section.html',
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>City News | Metro Herald</title>
<meta property="og:site_name" content="Metro Herald">
</head>
<body>
<header><a class="logo" href="/">Metro Herald</a></header>
<main>
  <article>
    <h1>Council approves new flood defences for the river district</h1>
    <p>The city council approved a plan on Tuesday to build new flood defences along the river, after three floods in five years damaged hundreds of homes in the low-lying district.</p>
    <p>The works will start in the spring and take two years. The engineering department will publish the detailed design by the end of March, and residents can comment on it for six weeks.</p>
    <p>Funding comes from the regional resilience fund and from the city's own budget, which the finance committee adjusted last month to make room for the project.</p>
  </article>
</main>
<footer>© Metro Herald</footer>
</body>
</html>
`,
  );
  write(
    'news-page-zh.html',
    `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>市水务局部署防汛工作_新闻中心_某某网</title>
</head>
<body>
<div class="top"><a href="/">首页</a> <a href="/news/">新闻中心</a> <a href="/gov/">政务公开</a></div>
<div class="position">当前位置：首页 &gt; 新闻中心</div>
<div class="article">
  <h1>市水务局部署防汛工作</h1>
  <div class="info">来源：某某网　发布时间：2025-04-18</div>
  <div class="content">
    <p>本报讯（记者 张华）市水务局昨天召开全市防汛工作会议，部署今年汛期各项准备工作。会议要求各区水务部门在五月底前完成河道清淤和泵站检修，确保汛期排水畅通。</p>
    <p>会议指出，今年汛期降雨可能偏多，各单位要提前做好物资储备，落实值班值守制度。市水务局将在六月上旬组织一次防汛应急演练，检验各区的应急响应能力。</p>
    <p>各区水务部门负责人参加了会议，并就辖区内的防汛重点工作作了交流发言。</p>
  </div>
</div>
<div class="footer">版权所有 某某网</div>
</body>
</html>
`,
  );
}

/**
 * Meeting notes in Markdown as people write them: Setext headings (a title over `===`, a
 * section over `---`) with text right under them, and a lone numbered item right after a
 * bulleted list.
 */
function meetingNotes() {
  write(
    'weekly-sync.md',
    `Weekly sync
===========
Attendees: Ana, Ben, Tom

Decisions
---------
The team went through the plans for the spring workshop and the budget.

- The venue for the spring workshop is booked.
- The budget stays as agreed in January.
1. Tom will schedule the review meeting with the auditors by Friday.

Ana must send the revised minutes to the board before Monday.
`,
  );
}

function markdown() {
  write(
    'retrospective.md',
    `---
title: Product Launch Retrospective
tags: [launch, mobile]
---

# Product Launch Retrospective

*Posted by Sam Lee on March 3, 2025*

The **mobile app** launched on February 20 after eight months of work, and the first weeks went
better than the team had planned. Details are in the [release notes](https://example.com/notes)
and in the \`launch-metrics\` dashboard.

## What went well

- Sign-ups reached **12,000** in the first week, double the target set in the autumn.
- The support team answered tickets within _four hours_ on average, even on launch day.

## What we will change

1. The design team will simplify the onboarding screens by April 15.
2. Engineering must add crash reporting before the next release.
3. Marketing should plan the autumn campaign together with the sales team.

> Customers asked for an offline mode more than for anything else, so it leads the next
> quarter's plan.

![Sign-ups per day](signups.png)
`,
  );
}

mkdirSync(OUT, { recursive: true });
await englishPdf();
await twoColumnPdf();
await chromiumTwoColumnPdf();
await chinesePdf();
chineseCmapPdf();
scannedPdf();
docx();
cp1252();
newsPage();
titledPages();
markdown();
meetingNotes();
