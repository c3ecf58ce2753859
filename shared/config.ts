import * as z from 'zod';

const Prefix = z
  .string()
  .regex(/^[^/].*\/$/, 'must be a non-empty key prefix ending with "/", e.g. "incoming/"');

const PositiveInt = z.coerce.number().int().positive();

/**
 * The environment, as one schema: the single place where variable names, defaults and checks
 * live. Handlers and the CLI parse it once at start-up; nothing else reads `process.env`.
 */
export const EnvSchema = z
  .object({
    /** Key prefix watched for new documents. */
    INPUT_PREFIX: Prefix.default('incoming/'),
    /** Key prefix digests are written under (`incoming/a.txt` → `digests/a.txt.json`). */
    OUTPUT_PREFIX: Prefix.default('digests/'),
    /** Key prefix error records are written under (`errors/a.txt.json`). */
    ERROR_PREFIX: Prefix.default('errors/'),
    /** Objects larger than this many bytes get a `too_large` error record without download. */
    MAX_OBJECT_BYTES: PositiveInt.default(10 * 1024 * 1024),
    /** `extractive` (offline) or `openai`; default `openai` when an API key is set. */
    DIGEST_ENGINE: z.enum(['extractive', 'openai']).optional(),
    OPENAI_API_KEY: z.string().min(1).optional(),
    OPENAI_BASE_URL: z.url().optional(),
    /** S3 endpoint override, for S3-compatible servers (local mode). */
    S3_ENDPOINT: z.url().optional(),
    AWS_REGION: z.string().min(1).default('us-east-1'),
  })
  .superRefine((env, ctx) => {
    const prefixes = [env.INPUT_PREFIX, env.OUTPUT_PREFIX, env.ERROR_PREFIX];
    for (const a of prefixes) {
      for (const b of prefixes) {
        if (a !== b && a.startsWith(b)) {
          ctx.addIssue({
            code: 'custom',
            message: `prefixes must not nest: "${a}" is inside "${b}"`,
            path: ['INPUT_PREFIX'],
          });
        }
      }
    }
    if (new Set(prefixes).size !== prefixes.length) {
      ctx.addIssue({
        code: 'custom',
        message: 'the three prefixes must differ',
        path: ['INPUT_PREFIX'],
      });
    }
    if (env.DIGEST_ENGINE === 'openai' && !env.OPENAI_API_KEY) {
      ctx.addIssue({
        code: 'custom',
        message: 'DIGEST_ENGINE=openai needs OPENAI_API_KEY',
        path: ['OPENAI_API_KEY'],
      });
    }
  });

export type Env = z.infer<typeof EnvSchema>;

/** Where the pipeline reads and writes, and what it refuses. */
export interface PipelineSettings {
  inputPrefix: string;
  outputPrefix: string;
  errorPrefix: string;
  maxObjectBytes: number;
}

export interface Config {
  pipeline: PipelineSettings;
  engine: 'extractive' | 'openai';
  openai: { apiKey: string | undefined; baseURL: string | undefined };
  s3: { endpoint: string | undefined; region: string };
}

/** Thrown at start-up when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Parses the environment into a {@link Config}.
 * @throws {ConfigError} naming every invalid variable at once.
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  // An empty variable means unset, as in a shell's `VAR= npm start`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  return {
    pipeline: {
      inputPrefix: e.INPUT_PREFIX,
      outputPrefix: e.OUTPUT_PREFIX,
      errorPrefix: e.ERROR_PREFIX,
      maxObjectBytes: e.MAX_OBJECT_BYTES,
    },
    engine: e.DIGEST_ENGINE ?? (e.OPENAI_API_KEY ? 'openai' : 'extractive'),
    openai: { apiKey: e.OPENAI_API_KEY, baseURL: e.OPENAI_BASE_URL },
    s3: { endpoint: e.S3_ENDPOINT, region: e.AWS_REGION },
  };
}
