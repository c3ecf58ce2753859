import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { ROOT } from './fixtures';

/** Validators built from the committed JSON Schema files, as a downstream consumer would. */
export function committedValidators() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const load = (name: string) => JSON.parse(readFileSync(resolve(ROOT, 'schema', name), 'utf8'));
  return {
    digest: ajv.compile(load('digest.schema.json')),
    error: ajv.compile(load('error.schema.json')),
  };
}
