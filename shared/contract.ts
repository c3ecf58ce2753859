/**
 * The output contract: what downstream systems read from the output and error prefixes.
 *
 * These zod schemas are the single source of truth. The TypeScript types are inferred from them,
 * the pipeline validates every record against them before writing it, and the published JSON
 * Schema files under `schema/` are generated from them (`npm run schema`).
 *
 * The schemas are zod/mini schemas (functional checks instead of method chains): the handler
 * validates with them on every cold start, and zod/mini costs a fraction of classic zod's import.
 * They parse with `.parse`/`.safeParse` and compose with classic zod schemas alike.
 *
 * Versioning: `SCHEMA_VERSION` follows semver. Adding an optional-in-meaning field (nullable) or a
 * new error code is a minor bump; renaming, removing or retyping a field is a major bump.
 */
// With the extension the contract package's declaration build (NodeNext) demands.
import * as z from './zod.js';

export const SCHEMA_VERSION = '1.2.0';

const Offset = z.int().check(z.nonnegative());
const NonNegativeInt = () => z.int().check(z.nonnegative());
const NonEmpty = () => z.string().check(z.minLength(1));
const Sha256 = () => z.string().check(z.regex(/^[0-9a-f]{64}$/));
/** Registers a schema's JSON Schema metadata (`id` makes it a `$defs` entry) and returns it. */
const meta = <T extends z.ZodMiniType>(
  schema: T,
  data: { id: string; title?: string; description?: string },
): T => {
  z.globalRegistry.add(schema, data);
  return schema;
};
/** The schema with a description (the JSON Schema `description`). */
const described = <T extends z.ZodMiniType>(schema: T, description: string): T =>
  schema.check(z.describe(description)) as T;

/**
 * A verbatim quote of the source and where it stands.
 * `start`/`end` are Unicode code-point offsets (end exclusive) into the text `source.format`
 * names (see {@link Format}): for text, Markdown and HTML the decoded object (its bytes decoded
 * with `source.encoding`, byte-order mark removed, nothing else changed); for PDF and Word the
 * text read out of the file, kept at `source.textKey`. The span equals `quote` once whitespace and
 * line breaks are removed from both (for HTML and Markdown, once markup is removed too).
 */
export const Evidence = meta(
  z
    .object({
      quote: NonEmpty(),
      start: Offset,
      end: Offset,
    })
    .check(z.refine((e) => e.end > e.start, { message: 'end must be greater than start' })),
  { id: 'Evidence', description: 'Verbatim quote of the source and its code-point span.' },
);

export const Task = meta(
  z.object({
    task: described(NonEmpty(), 'The task as a short statement.'),
    owner: described(
      z.nullable(z.string()),
      'Who is responsible, as the text names it; null if not stated.',
    ),
    deadline: described(
      z.nullable(z.string()),
      'When it is due, as the text states it; null if not stated.',
    ),
    evidence: Evidence,
  }),
  { id: 'Task' },
);

export const KeyPoint = meta(
  z.object({
    point: NonEmpty(),
    evidence: Evidence,
  }),
  { id: 'KeyPoint' },
);

export const Article = meta(
  z.object({
    title: z.nullable(z.string()),
    byline: described(
      z.nullable(z.string()),
      'Author or reporter credit, as printed; null if none.',
    ),
    summary: z.string(),
    keyPoints: z.array(KeyPoint),
    tasks: z.array(Task),
  }),
  { id: 'Article' },
);

export const Encoding = described(
  z.enum(['utf-8', 'utf-16le', 'utf-16be', 'gb18030', 'big5', 'windows-1252']),
  'The text encoding the object was decoded with. windows-1252 (since 1.2.0) also stands for ISO-8859-1 (Latin-1), which it extends.',
);

export const SourceRef = meta(
  z.object({
    bucket: NonEmpty(),
    key: described(NonEmpty(), 'The object key, decoded (not URL-encoded).'),
    versionId: z.nullable(z.string()),
    etag: z.nullable(z.string()),
  }),
  { id: 'SourceRef' },
);

export const Format = described(
  z.enum(['text', 'markdown', 'html', 'pdf', 'docx', 'image']),
  [
    'How the source was read, and what evidence offsets index.',
    'text: the decoded object.',
    'markdown: the decoded file; the span equals the quote once markup (heading and list markers, emphasis, link targets) is removed.',
    'html: the decoded page; the span equals the quote once tags are removed and entities decoded. Only the main content is read (navigation and hidden elements are not).',
    'pdf (since 1.2.0): the text read out of the text layer, kept at source.textKey; page furniture (running headers and footers, page numbers) left out, columns in reading order.',
    'docx (since 1.2.0): the text read out of the Word document, kept at source.textKey; one paragraph a line, list numbers and bullets written out.',
    'image (since 1.2.0): the text an OCR step read out of a picture, kept at source.textKey (no OCR step ships: pictures end with needs_ocr).',
  ].join(' '),
);

export const Source = meta(
  z.extend(SourceRef, {
    bytes: NonNegativeInt(),
    sha256: Sha256(),
    encoding: described(
      z.nullable(Encoding),
      'The text encoding the object was decoded with; null for pdf, docx and image, which are not text (since 1.2.0).',
    ),
    format: Format,
    textKey: described(
      z.nullable(z.string()),
      'Key of the UTF-8 text read out of a PDF, Word file or picture (`texts/<path>.txt`), which evidence offsets index; null for formats whose offsets index the object itself (since 1.2.0).',
    ),
  }),
  { id: 'Source' },
);

export const EngineInfo = meta(
  z.object({
    name: z.enum(['extractive', 'openai']),
    model: described(z.nullable(z.string()), 'The LLM model; null for the offline engine.'),
    promptVersion: z.string(),
    configHash: described(
      z.string(),
      'Hash of everything that changes the output: the engine configuration (engine, model, prompt version, output language, sizes) and the pipeline version. Same content and same configHash: same digest.',
    ),
  }),
  { id: 'EngineInfo' },
);

export const Usage = meta(
  z.object({
    llmCalls: NonNegativeInt(),
    inputTokens: NonNegativeInt(),
    outputTokens: NonNegativeInt(),
    estimatedCostUsd: described(
      z.nullable(z.number().check(z.nonnegative())),
      'Null when no price is known.',
    ),
  }),
  { id: 'Usage' },
);

export const Grounding = meta(
  z.object({
    checked: described(NonNegativeInt(), 'Tasks and key points whose quote was looked up.'),
    dropped: described(
      NonNegativeInt(),
      'Items left out because their quote is not in the source or lies in text addressed to the model.',
    ),
    unsupported: described(
      NonNegativeInt(),
      'Tasks and key points left out because their quote is in the source but does not support their text (since 1.1.0).',
    ),
    unsupportedFields: described(
      NonNegativeInt(),
      "Owners and deadlines set to null because the passage around the task's quote does not state them (since 1.1.0).",
    ),
    addressedToModel: described(
      NonNegativeInt(),
      'Sentences of the source addressed to the model rather than the reader ("ignore all previous instructions", and the sentences right after it that go on instructing), which no summary, key point or task is made of (since 1.2.0).',
    ),
    duplicates: described(
      NonNegativeInt(),
      'Tasks and key points left out because another item of the article says the same on the same evidence (since 1.2.0). Items that say different things about one sentence are all kept.',
    ),
    unreliable: described(
      z.boolean(),
      'True when more than a quarter of the checked items were left out as dropped or unsupported (since 1.2.0): the engine answered largely from outside the source, and what it kept deserves less trust. Filter on it to keep only well-grounded digests.',
    ),
  }),
  { id: 'Grounding' },
);

/** Share of checked items left out (dropped or unsupported) above which a digest is `unreliable`. */
export const UNRELIABLE_SHARE = 0.25;

export const Digest = meta(
  z.object({
    kind: z.literal('digest'),
    schemaVersion: z.literal(SCHEMA_VERSION),
    source: Source,
    language: described(
      z.string(),
      'BCP 47 primary language of the source, e.g. "zh", "en", "und".',
    ),
    summary: described(z.string(), 'Summary of the whole document.'),
    articles: z.array(Article),
    grounding: Grounding,
    engine: EngineInfo,
    usage: Usage,
    processedAt: z.iso.datetime(),
  }),
  { id: 'Digest', title: 'Article digest' },
);

/** Error codes. `retryable` tells whether the same object may succeed later without changes. */
export const ErrorCode = described(
  z.enum([
    'empty_input',
    'binary_input',
    'too_large',
    'undecodable',
    'not_a_document',
    'object_missing',
    'budget_exceeded',
    'llm_refusal',
    'llm_invalid_output',
    'llm_rejected',
    'llm_unavailable',
    'storage_unavailable',
    'too_slow',
    'internal',
    // since 1.2.0
    'needs_ocr',
    'unsupported_format',
    'unreadable_document',
  ]),
  'needs_ocr: a scan or an image, with no text to read until an OCR step is added; unsupported_format: a legacy or other office format (the message says what to convert it to); unreadable_document: a PDF or Word file that is damaged or password-protected (the last three since 1.2.0).',
);

export const ErrorRecord = meta(
  z.object({
    kind: z.literal('error'),
    schemaVersion: z.literal(SCHEMA_VERSION),
    source: z.extend(SourceRef, {
      bytes: z.nullable(NonNegativeInt()),
      sha256: z.nullable(Sha256()),
      encoding: z.nullable(Encoding),
    }),
    error: z.object({
      code: ErrorCode,
      message: described(
        z.string(),
        'Human-readable; never holds secrets, stack traces or article text.',
      ),
      retryable: z.boolean(),
    }),
    usage: described(
      Usage,
      'What was spent on the document before it failed, in this try (since 1.2.0): every token paid is on record. Zero when nothing was spent, e.g. a failure remembered from an earlier try.',
    ),
    processedAt: z.iso.datetime(),
  }),
  { id: 'ErrorRecord', title: 'Article digest error record' },
);

export type Evidence = z.infer<typeof Evidence>;
export type Task = z.infer<typeof Task>;
export type KeyPoint = z.infer<typeof KeyPoint>;
export type Article = z.infer<typeof Article>;
export type Encoding = z.infer<typeof Encoding>;
export type Format = z.infer<typeof Format>;
export type SourceRef = z.infer<typeof SourceRef>;
export type Source = z.infer<typeof Source>;
export type EngineInfo = z.infer<typeof EngineInfo>;
export type Usage = z.infer<typeof Usage>;
export type Digest = z.infer<typeof Digest>;
export type ErrorCode = z.infer<typeof ErrorCode>;
export type ErrorRecord = z.infer<typeof ErrorRecord>;

/** JSON Schema documents for downstream consumers, keyed by their file name under `schema/`. */
export function jsonSchemas(): Record<string, unknown> {
  return {
    'digest.schema.json': z.toJSONSchema(Digest, { target: 'draft-2020-12' }),
    'error.schema.json': z.toJSONSchema(ErrorRecord, { target: 'draft-2020-12' }),
  };
}
