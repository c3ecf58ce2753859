import { createHash } from 'node:crypto';
import type { PipelineSettings } from './config';
import { MAX_KEY_BYTES } from './store';

export type KeyRole = 'input' | 'output' | 'error' | 'other';

/** Which part of the bucket a key belongs to. Only `input` keys are ever processed. */
export function keyRole(key: string, settings: PipelineSettings): KeyRole {
  if (key.startsWith(settings.outputPrefix)) return 'output';
  if (key.startsWith(settings.errorPrefix)) return 'error';
  if (key.startsWith(settings.inputPrefix)) return 'input';
  return 'other';
}

/** The folder, under the output, error and text prefixes, of keys whose mirror is too long. */
export const LONG_KEY_FOLDER = '_long-keys/';

/**
 * The record key of an input key under `prefix`, mirroring its path: `incoming/a/b.txt` →
 * `<prefix>a/b.txt.json`. Where that would exceed S3's 1,024 bytes, the record goes to
 * `<prefix>_long-keys/<sha256 of the input key>.json` instead; the record's `source.key` holds
 * the full input key.
 */
function recordKey(
  inputKey: string,
  prefix: string,
  settings: PipelineSettings,
  suffix = '.json',
): string {
  const mirrored = `${prefix}${inputKey.slice(settings.inputPrefix.length)}${suffix}`;
  if (Buffer.byteLength(mirrored) <= MAX_KEY_BYTES) return mirrored;
  return `${prefix}${LONG_KEY_FOLDER}${createHash('sha256').update(inputKey).digest('hex')}${suffix}`;
}

/** `incoming/a/b.txt` → `digests/a/b.txt.json` (hashed when too long: see {@link recordKey}). */
export function digestKey(inputKey: string, settings: PipelineSettings): string {
  return recordKey(inputKey, settings.outputPrefix, settings);
}

/** `incoming/a/b.txt` → `errors/a/b.txt.json` (hashed when too long: see {@link recordKey}). */
export function errorKey(inputKey: string, settings: PipelineSettings): string {
  return recordKey(inputKey, settings.errorPrefix, settings);
}

/**
 * `incoming/a/b.pdf` → `texts/a/b.pdf.txt`: the text read out of a PDF or Word file (hashed when
 * too long, as {@link recordKey}).
 */
export function textKey(inputKey: string, settings: PipelineSettings): string {
  return recordKey(inputKey, settings.textPrefix, settings, '.txt');
}

/**
 * Encodes a key as S3 does in event notifications: URL-encoded, spaces as `+`, slashes kept.
 */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/** Decodes a key from an S3 event notification (`+` is a space; keys may be any Unicode). */
export function decodeEventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}
