import type { Log } from './handler';

/**
 * A minimal structured logger: one JSON object per line (level, message, service, timestamp and
 * the caller's fields), as Powertools Logger writes them and CloudWatch Logs Insights reads
 * them. Never pass article text or secrets (log lengths and hashes instead).
 */
export function createJsonLog(service: string, write = (line: string) => console.log(line)): Log {
  const entry =
    (level: string) =>
    (message: string, ...extra: Array<Record<string, unknown>>) =>
      write(
        JSON.stringify(
          Object.assign({ level, message, service, timestamp: new Date().toISOString() }, ...extra),
        ),
      );
  return { info: entry('INFO'), warn: entry('WARN'), error: entry('ERROR') };
}

/** A logger that drops everything, for callers that report outcomes their own way. */
export const silentLog: Log = { info() {}, warn() {}, error() {} };
