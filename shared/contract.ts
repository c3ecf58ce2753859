/**
 * The output contract: what downstream systems read from the output and error prefixes.
 *
 * These zod schemas are the single source of truth. The TypeScript types are inferred from them,
 * the pipeline validates every record against them before writing it, and the published JSON
 * Schema files under `schema/` are generated from them (`npm run schema`).
 *
 * Versioning: `SCHEMA_VERSION` follows semver. Adding an optional-in-meaning field (nullable) or a
 * new error code is a minor bump; renaming, removing or retyping a field is a major bump.
 */
import * as z from 'zod';

export const SCHEMA_VERSION = '1.2.0';

const Offset = z.int().nonnegative();

/**
 * A verbatim quote of the source and where it stands.
 * `start`/`end` are Unicode code-point offsets (end exclusive) into the text `source.format`
 * names (see {@link Format}): for text, Markdown and HTML the decoded object (its bytes decoded
 * with `source.encoding`, byte-order mark removed, nothing else changed); for PDF and Word the
 * text read out of the file, kept at `source.textKey`. The span equals `quote` once whitespace and
 * line breaks are removed from both (for HTML and Markdown, once markup is removed too).
 */
export const Evidence = z
  .object({
    quote: z.string().min(1),
    start: Offset,
    end: Offset,
  })
  .refine((e) => e.end > e.start, { message: 'end must be greater than start' })
  .meta({ id: 'Evidence', description: 'Verbatim quote of the source and its code-point span.' });

export const Task = z
  .object({
    task: z.string().min(1).describe('The task as a short statement.'),
    owner: z
      .string()
      .nullable()
      .describe('Who is responsible, as the text names it; null if not stated.'),
    deadline: z
      .string()
      .nullable()
      .describe('When it is due, as the text states it; null if not stated.'),
    evidence: Evidence,
  })
  .meta({ id: 'Task' });

export const KeyPoint = z
  .object({
    point: z.string().min(1),
    evidence: Evidence,
  })
  .meta({ id: 'KeyPoint' });

export const Article = z
  .object({
    title: z.string().nullable(),
    byline: z.string().nullable().describe('Author or reporter credit, as printed; null if none.'),
    summary: z.string(),
    keyPoints: z.array(KeyPoint),
    tasks: z.array(Task),
  })
  .meta({ id: 'Article' });

export const Encoding = z
  .enum(['utf-8', 'utf-16le', 'utf-16be', 'gb18030', 'big5', 'windows-1252'])
  .describe(
    'The text encoding the object was decoded with. windows-1252 (since 1.2.0) also stands for ISO-8859-1 (Latin-1), which it extends.',
  );

export const SourceRef = z
  .object({
    bucket: z.string().min(1),
    key: z.string().min(1).describe('The object key, decoded (not URL-encoded).'),
    versionId: z.string().nullable(),
    etag: z.string().nullable(),
  })
  .meta({ id: 'SourceRef' });

export const Format = z
  .enum(['text', 'markdown', 'html', 'pdf', 'docx', 'image'])
  .describe(
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

export const Source = SourceRef.extend({
  bytes: z.int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  encoding: Encoding.nullable().describe(
    'The text encoding the object was decoded with; null for pdf, docx and image, which are not text (since 1.2.0).',
  ),
  format: Format,
  textKey: z
    .string()
    .nullable()
    .describe(
      'Key of the UTF-8 text read out of a PDF, Word file or picture (`texts/<path>.txt`), which evidence offsets index; null for formats whose offsets index the object itself (since 1.2.0).',
    ),
}).meta({ id: 'Source' });

export const EngineInfo = z
  .object({
    name: z.enum(['extractive', 'openai']),
    model: z.string().nullable().describe('The LLM model; null for the offline engine.'),
    promptVersion: z.string(),
    configHash: z
      .string()
      .describe(
        'Hash of everything that changes the output: the engine configuration (engine, model, prompt version, output language, sizes) and the pipeline version. Same content and same configHash: same digest.',
      ),
  })
  .meta({ id: 'EngineInfo' });

export const Usage = z
  .object({
    llmCalls: z.int().nonnegative(),
    inputTokens: z.int().nonnegative(),
    outputTokens: z.int().nonnegative(),
    estimatedCostUsd: z.number().nonnegative().nullable().describe('Null when no price is known.'),
  })
  .meta({ id: 'Usage' });

export const Grounding = z
  .object({
    checked: z.int().nonnegative().describe('Tasks and key points whose quote was looked up.'),
    dropped: z
      .int()
      .nonnegative()
      .describe(
        'Items left out because their quote is not in the source or lies in text addressed to the model.',
      ),
    unsupported: z
      .int()
      .nonnegative()
      .describe(
        'Tasks and key points left out because their quote is in the source but does not support their text (since 1.1.0).',
      ),
    unsupportedFields: z
      .int()
      .nonnegative()
      .describe(
        "Owners and deadlines set to null because the passage around the task's quote does not state them (since 1.1.0).",
      ),
    addressedToModel: z
      .int()
      .nonnegative()
      .describe(
        'Sentences of the source addressed to the model rather than the reader ("ignore all previous instructions", and the sentences right after it that go on instructing), which no summary, key point or task is made of (since 1.2.0).',
      ),
    duplicates: z
      .int()
      .nonnegative()
      .describe(
        'Tasks and key points left out because another item of the article says the same on the same evidence (since 1.2.0). Items that say different things about one sentence are all kept.',
      ),
    unreliable: z
      .boolean()
      .describe(
        'True when more than a quarter of the checked items were left out as dropped or unsupported (since 1.2.0): the engine answered largely from outside the source, and what it kept deserves less trust. Filter on it to keep only well-grounded digests.',
      ),
  })
  .meta({ id: 'Grounding' });

/** Share of checked items left out (dropped or unsupported) above which a digest is `unreliable`. */
export const UNRELIABLE_SHARE = 0.25;

export const Digest = z
  .object({
    kind: z.literal('digest'),
    schemaVersion: z.literal(SCHEMA_VERSION),
    source: Source,
    language: z.string().describe('BCP 47 primary language of the source, e.g. "zh", "en", "und".'),
    summary: z.string().describe('Summary of the whole document.'),
    articles: z.array(Article),
    grounding: Grounding,
    engine: EngineInfo,
    usage: Usage,
    processedAt: z.iso.datetime(),
  })
  .meta({ id: 'Digest', title: 'Article digest' });

/** Error codes. `retryable` tells whether the same object may succeed later without changes. */
export const ErrorCode = z
  .enum([
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
  ])
  .describe(
    'needs_ocr: a scan or an image, with no text to read until an OCR step is added; unsupported_format: a legacy or other office format (the message says what to convert it to); unreadable_document: a PDF or Word file that is damaged or password-protected (the last three since 1.2.0).',
  );

export const ErrorRecord = z
  .object({
    kind: z.literal('error'),
    schemaVersion: z.literal(SCHEMA_VERSION),
    source: SourceRef.extend({
      bytes: z.int().nonnegative().nullable(),
      sha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .nullable(),
      encoding: Encoding.nullable(),
    }),
    error: z.object({
      code: ErrorCode,
      message: z
        .string()
        .describe('Human-readable; never holds secrets, stack traces or article text.'),
      retryable: z.boolean(),
    }),
    usage: Usage.describe(
      'What was spent on the document before it failed, in this try (since 1.2.0): every token paid is on record. Zero when nothing was spent, e.g. a failure remembered from an earlier try.',
    ),
    processedAt: z.iso.datetime(),
  })
  .meta({ id: 'ErrorRecord', title: 'Article digest error record' });

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
