import { ConfigError } from './config';
import * as z from './zod';

/** A secret's value: the key itself, or JSON with the key under one of these names. */
const SecretJson = z.union([
  z.pipe(
    z.object({ OPENAI_API_KEY: z.string().check(z.minLength(1)) }),
    z.transform((s) => s.OPENAI_API_KEY),
  ),
  z.pipe(
    z.object({ apiKey: z.string().check(z.minLength(1)) }),
    z.transform((s) => s.apiKey),
  ),
]);

/**
 * Returns the environment with `OPENAI_API_KEY` taken from the secret that
 * `OPENAI_API_KEY_SECRET_ID` names (a Secrets Manager name or ARN), so the key never sits in a
 * variable of the deployed function. Called once per cold start; the environment is returned
 * unchanged when no secret is named.
 *
 * @throws {ConfigError} when the secret is empty or holds JSON without a key.
 */
export async function withApiKeyFromSecret(
  env: Record<string, string | undefined>,
  readSecret: (secretId: string) => Promise<string | undefined>,
): Promise<Record<string, string | undefined>> {
  const secretId = env.OPENAI_API_KEY_SECRET_ID;
  if (!secretId) return env;
  const value = (await readSecret(secretId))?.trim();
  if (!value) throw new ConfigError(`The secret ${secretId} (OPENAI_API_KEY_SECRET_ID) is empty.`);
  let key = value;
  if (value.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      throw new ConfigError(`The secret ${secretId} looks like JSON but does not parse.`);
    }
    const parsed = SecretJson.safeParse(json);
    if (!parsed.success) {
      throw new ConfigError(
        `The secret ${secretId} holds JSON without an OPENAI_API_KEY or apiKey field.`,
      );
    }
    key = parsed.data;
  }
  return { ...env, OPENAI_API_KEY: key };
}
