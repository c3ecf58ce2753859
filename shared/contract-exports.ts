/**
 * `article-digest/contract`: what a consumer of digests and error records imports. The zod
 * schemas validate a record and give its TypeScript type in one step:
 *
 * ```ts
 * import { Digest } from 'article-digest/contract';
 * const digest = Digest.parse(JSON.parse(body)); // typed as Digest, or throws a $ZodError
 * ```
 *
 * `OutputRecord` reads either kind (`kind` tells them apart); `schemaFiles` locates the published
 * JSON Schema files (draft 2020-12) for consumers in other languages. Installing the package
 * builds this module for plain Node, with its declarations, into `dist/` (`prepare`).
 */

// With the extension a consumer's Node16/NodeNext resolution demands of declaration imports.
import { Digest, ErrorRecord } from './contract.js';
import * as z from './zod.js';

export * from './contract.js';

/** A digest or an error record: whatever lies under the output and error prefixes. */
export const OutputRecord = z.discriminatedUnion('kind', [Digest, ErrorRecord]);
export type OutputRecord = z.infer<typeof OutputRecord>;

/** The published JSON Schema files, as file URLs inside the installed package. */
export const schemaFiles = {
  digest: new URL('../schema/digest.schema.json', import.meta.url),
  error: new URL('../schema/error.schema.json', import.meta.url),
} as const;
