import { describe, expect, it } from 'vitest';
import { sourceCaption } from '../../cli/review/page/model';
import { sourceView } from '../../cli/review/sources';
import type { Digest, Format } from '../../shared/contract';

/** A digest with only what the page's source view reads: its source and no articles. */
function digestOf(format: Format, textKey: string | null): Digest {
  return { source: { format, textKey }, articles: [] } as unknown as Digest;
}

const PDF_BYTES = new TextEncoder().encode('%PDF-1.7\n\u0000\u00ff binary stream');
const KEPT = '关于道路改造的通知\nThe port team will repair the breakwater by March.';

describe('review page source view', () => {
  it('shows the kept text of a PDF instead of its bytes when the digest names one', () => {
    const digest = digestOf('pdf', 'texts/report.pdf.txt');
    const view = sourceView(PDF_BYTES, digest, new TextEncoder().encode(KEPT));
    expect(view.source).toBe(KEPT);
    expect(view.digest).toBe(digest);
  });

  it('shows nothing when a Word file’s kept text is missing', () => {
    const view = sourceView(PDF_BYTES, digestOf('docx', 'texts/memo.docx.txt'), null);
    expect(view.source).toBeNull();
  });

  it('shows a text source decoded when its digest keeps no text', () => {
    const view = sourceView(new TextEncoder().encode(KEPT), digestOf('text', null));
    expect(view.source).toBe(KEPT);
  });

  it('names what the source pane shows for each kind of source', () => {
    const page = (format: Format, textKey: string | null) => ({
      key: 'incoming/x',
      source: '',
      digest: digestOf(format, textKey),
    });
    expect(sourceCaption(page('pdf', 'texts/x.txt'))).toBe('Text read out of the PDF');
    expect(sourceCaption(page('docx', 'texts/x.txt'))).toBe('Text read out of the Word file');
    expect(sourceCaption(page('html', null))).toBe('The page as text');
    expect(sourceCaption(page('text', null))).toBe('Source');
    expect(sourceCaption({ key: 'incoming/x', source: null })).toBe('Source');
  });
});
