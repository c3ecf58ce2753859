/** Writes the published JSON Schema files under `schema/` from the zod contract. */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { jsonSchemas } from '../shared/contract';

const dir = resolve(import.meta.dirname, '..', 'schema');
for (const [name, schema] of Object.entries(jsonSchemas())) {
  await writeFile(resolve(dir, name), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote schema/${name}`);
}
