/**
 * What the command line shares between commands: the error a user can fix (one line, exit 2) and
 * option parsing that turns `node:util` parseArgs' errors into such a line.
 */
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * A mistake the user can fix (an unknown option, a missing file, a port in use): `main` prints
 * its message as one line and exits with code 2. The message names the fix.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `parseArgs` for one command, strict, with its errors as {@link UsageError}s that point to the
 * command's `--help`.
 * @throws {UsageError} for an unknown option, an option without its value, or a positional
 *   argument given to a command that takes none.
 */
export function parseCommandLine<T extends Options>(
  command: string,
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  const parsed = (() => {
    try {
      return parseArgs({ args: argv, options, allowPositionals, strict: true });
    } catch (error) {
      throw new UsageError(
        `${parseErrorMessage(error, options)}; see "article-digest ${command} --help"`,
        { cause: error },
      );
    }
  })();
  // `--out ""` (an unset shell variable) would mean the working folder: never what was meant.
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === '') {
      throw new UsageError(`--${name} needs a value; see "article-digest ${command} --help"`);
    }
  }
  return parsed;
}

function parseErrorMessage(error: unknown, options: Options): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec(message)?.[1] ?? 'an option';
    return `unknown option ${option}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const name = /'--([\w-]+)/.exec(message)?.[1];
    const option = name ? options[name] : undefined;
    if (name && option?.type === 'string') return `--${name} needs a value`;
    if (name) return `--${name} takes no value`;
    return message;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const argument = /'([^']+)'/.exec(message)?.[1] ?? 'an argument';
    return `unexpected argument ${argument}`;
  }
  return message;
}

/**
 * A TCP port from an option's text.
 * @throws {UsageError} unless it is a whole number from 0 to 65535.
 */
export function portOption(name: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new UsageError(`--${name} must be a port number from 0 to 65535, not "${value}"`);
  }
  return port;
}

/**
 * A date from an option's text.
 * @throws {UsageError} unless `Date` can read it.
 */
export function dateOption(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) {
    throw new UsageError(`--${name} must be an ISO date such as 2026-11-01, not "${value}"`);
  }
  return parsed;
}

/** Whether an error (or its cause) is a system error with this code, e.g. `EADDRINUSE`. */
export function hasErrorCode(error: unknown, code: string): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    if ((e as { code?: unknown }).code === code) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** `path` as the user would type it from the working folder. */
export function shownPath(path: string): string {
  return relative(process.cwd(), path) || '.';
}

/**
 * Makes sure `dir` is a folder this process can write, creating it and its missing parents, so
 * that a bad output location is told before any work is done rather than as a stack trace after.
 * Folders are created one at a time: Node 20's recursive `mkdir` never settles for some paths
 * it cannot create (under `/proc`).
 * @param named the option as the user gave it, for the message (`--out out`).
 * @throws {UsageError} when `dir` or a parent of it is a file, or it cannot be created or written.
 */
export async function prepareFolder(dir: string, named: string): Promise<void> {
  const target = resolve(dir);
  const fix = 'pass a folder you can write to (it is created if missing)';
  const missing: string[] = [];
  let at = target;
  for (;;) {
    const info = await stat(at).catch((error: unknown) => {
      if (hasErrorCode(error, 'ENOENT') || hasErrorCode(error, 'ENOTDIR')) return null;
      throw error;
    });
    if (info) {
      if (!info.isDirectory()) {
        throw new UsageError(`${named}: ${shownPath(at)} is a file, not a folder: ${fix}`);
      }
      break;
    }
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const folder of missing.reverse()) {
    await mkdir(folder).catch((error: unknown) => {
      if (hasErrorCode(error, 'EEXIST')) return;
      throw new UsageError(
        `${named}: cannot create ${shownPath(folder)} (${errorCode(error)}): ${fix}`,
        { cause: error },
      );
    });
  }
  await access(target, constants.W_OK).catch((error: unknown) => {
    throw new UsageError(
      `${named}: cannot write to ${shownPath(target)} (${errorCode(error)}): ${fix}`,
      {
        cause: error,
      },
    );
  });
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : String(error);
}

/**
 * Refuses an option given without the option it works with, which would otherwise be ignored
 * without a word (`run --port 5000` without `--watch`).
 * @param given the parsed options; the dependents must have no parse-time default.
 * @throws {UsageError} naming the first such option and the one it needs.
 */
export function onlyWith(
  given: Record<string, unknown>,
  dependents: readonly string[],
  needed: string,
): void {
  if (given[needed]) return;
  const stray = dependents.find((name) => given[name] !== undefined);
  if (stray !== undefined) {
    throw new UsageError(
      `--${stray} only applies with --${needed}: add --${needed}, or leave --${stray} out`,
    );
  }
}
