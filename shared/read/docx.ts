/**
 * The text of a Word document (.docx), read with mammoth. Loaded only when one arrives (package
 * import `#docx-reader`), as its own file in the deployed bundle.
 */
import mammoth from 'mammoth';
import { DocumentError } from '../errors';
import { htmlToText } from '../text/html';

export interface DocxText {
  /** One paragraph, heading or list item a line, paragraphs apart by a blank line. */
  text: string;
  /** Pictures in the document: a document of pictures alone is a scan. */
  images: number;
}

/**
 * List items as Word shows them: "1." and "•" are numbering, not text, so mammoth's HTML has
 * them as <ol>/<ul>; they are written out, so that a reader and the engine see the list.
 */
function numberLists(html: string): string {
  const lists: Array<{ ordered: boolean; n: number }> = [];
  return html.replace(/<(\/?)(ol|ul|li)\b[^>]*>/g, (tag, closing: string, name: string) => {
    if (name !== 'li') {
      if (closing) lists.pop();
      else lists.push({ ordered: name === 'ol', n: 0 });
      return tag;
    }
    const list = lists[lists.length - 1];
    if (closing || !list) return tag;
    list.n++;
    return `${tag}${list.ordered ? `${list.n}.` : '-'} `;
  });
}

/**
 * Reads a .docx file's text: headings, paragraphs, list items (with their numbers or bullets)
 * and table cells, in document order.
 * @throws {DocumentError} `unreadable_document` when the file is damaged or encrypted.
 */
export async function readDocx(bytes: Uint8Array): Promise<DocxText> {
  let images = 0;
  let html: string;
  try {
    const result = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      {
        ignoreEmptyParagraphs: true,
        // Pictures are counted, not kept: only text is read.
        convertImage: mammoth.images.imgElement(async () => {
          images++;
          return { src: '' };
        }),
        // Links to files outside the document are never followed.
        externalFileAccess: false,
      },
    );
    html = result.value;
  } catch (error) {
    throw new DocumentError(
      'unreadable_document',
      'The Word document is damaged or encrypted and cannot be read; save it again (without a password) and upload the new file.',
      { cause: error },
    );
  }
  const text = htmlToText(numberLists(html))
    .text.split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line !== '')
    .join('\n\n');
  return { text, images };
}
