import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');

/** A shipped sample article's bytes (a fresh copy each call, safe to change). */
export function sampleBytes(name: string): Buffer {
  return readFileSync(resolve(ROOT, 'samples', name));
}

export function sampleText(name: string): string {
  return sampleBytes(name).toString('utf8');
}

/** A test fixture file's text. */
export function fixtureText(name: string): string {
  return readFileSync(resolve(ROOT, 'test', 'fixtures', name), 'utf8');
}

export const SAMPLE_000 = '000_ec775d6fbf83bfac.txt';
export const SAMPLE_004 = '004_9c44e55c456fc08c.txt';

/** Removes all white space, for comparing a quote with the span it claims. */
export function squash(text: string): string {
  return text.replace(/[\s\u3000\u00a0]+/g, '');
}

/** The code points [start, end) of `text`. */
export function codePointSlice(text: string, start: number, end: number): string {
  return Array.from(text).slice(start, end).join('');
}
