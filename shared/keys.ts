import type { PipelineSettings } from './config';

export type KeyRole = 'input' | 'output' | 'error' | 'other';

/** Which part of the bucket a key belongs to. Only `input` keys are ever processed. */
export function keyRole(key: string, settings: PipelineSettings): KeyRole {
  if (key.startsWith(settings.outputPrefix)) return 'output';
  if (key.startsWith(settings.errorPrefix)) return 'error';
  if (key.startsWith(settings.inputPrefix)) return 'input';
  return 'other';
}

/** `incoming/a/b.txt` → `digests/a/b.txt.json`. */
export function digestKey(inputKey: string, settings: PipelineSettings): string {
  return `${settings.outputPrefix}${inputKey.slice(settings.inputPrefix.length)}.json`;
}

/** `incoming/a/b.txt` → `errors/a/b.txt.json`. */
export function errorKey(inputKey: string, settings: PipelineSettings): string {
  return `${settings.errorPrefix}${inputKey.slice(settings.inputPrefix.length)}.json`;
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
