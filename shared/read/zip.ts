/** The end-of-central-directory record: signature, then the directory's size and offset. */
const EOCD = 0x06054b50;
const CENTRAL_ENTRY = 0x02014b50;
/** The EOCD record is 22 bytes and may be followed by a comment of up to 65,535 bytes. */
const EOCD_SEARCH = 22 + 0xffff;
/** Enough names to tell an Office file from an archive; a ZIP bomb's directory is not read on. */
const MAX_NAMES = 2000;

/**
 * The names of the entries of a ZIP file, read from its central directory (nothing is
 * decompressed). Empty when the bytes are not a whole ZIP file.
 */
export function zipEntryNames(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - EOCD_SEARCH); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return [];
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  const names: string[] = [];
  const decoder = new TextDecoder();
  for (let n = 0; n < Math.min(count, MAX_NAMES); n++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL_ENTRY) break;
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    if (at + 46 + nameLength > bytes.length) break;
    names.push(decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength)));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}
