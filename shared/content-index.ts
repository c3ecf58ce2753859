/**
 * The content-hash index: what an engine that costs money made of one content, under one
 * configuration, so that the same text is paid for once, whatever object, container or delivery
 * brings it. Each content has two keys under the cache prefix:
 * - `<configHash>/<sha256>.<format>.json`: the entry, a grounded digest body or a permanent
 *   failure (a refusal, an answer that never validated, a document over budget);
 * - `<configHash>/<sha256>.<format>.<name>.json`: checkpoints, work paid for by a run that did
 *   not finish (the answers of a long document's parts), so the next try resumes;
 * - `<configHash>/<sha256>.<format>.lease`: who is paying for it right now. A run takes the lease
 *   with a conditional write (`If-None-Match: *`) before any engine call, so of several
 *   containers that receive the same content at once only one pays; the others wait for the
 *   entry, or hand their message back to the queue.
 *
 * A lease holds until its `expiresAt` (the holder's own time limit and a margin), so a holder
 * that dies frees it by itself; a holder that ends releases it at once.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, type Format } from './contract';
import type { Checkpoints } from './engines/engine';
import { isEndpointConfigFailure } from './engines/profile';
import { DocumentError, TransientError } from './errors';
import { type ObjectStore, PreconditionFailedError } from './store';
import type { TimeLimit } from './time-limit';
import * as z from './zod';

/** What a digest says of a content, whatever object it came from. */
export const IndexEntry = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('digest'), body: z.unknown() }),
  z.object({ kind: z.literal('failure'), code: ErrorCode, message: z.string() }),
]);
export type IndexEntry = z.infer<typeof IndexEntry>;

const Lease = z.object({ holder: z.string(), expiresAt: z.iso.datetime() });

const JSON_TYPE = 'application/json; charset=utf-8';

/** How long a lease holds when the holder has no time limit of its own (local runs). */
const DEFAULT_LEASE_MS = 15 * 60_000;
/** Added to the holder's own time limit: the time to write what it made. */
const LEASE_MARGIN_MS = 30_000;
/** How long a run waits for another run's entry before it hands its message back. */
const MAX_WAIT_MS = 60_000;
/** How often a waiting run looks for the entry. */
const POLL_MS = 500;

export interface ContentIndex {
  /** The entry of this content, or null when there is none (or it is unreadable). */
  read(): Promise<IndexEntry | null>;
  write(entry: IndexEntry): Promise<void>;
  /**
   * Takes the lease, or waits while another run holds it.
   * @param options.force a new entry is wanted (`backfill --force`): an existing one is not used.
   * @returns `{ entry }` when another run's entry appeared meanwhile (nothing to pay), else
   *   `{ release }`, to call when done (it never throws).
   * @throws {TransientError} when another run still holds the lease after the wait.
   */
  /** Paid work of an unfinished run on this content (a long document's parts), for the next try. */
  checkpoints: Checkpoints;
  acquire(
    timeLimit: TimeLimit,
    options?: { force?: boolean },
  ): Promise<{ entry: IndexEntry } | { release: () => Promise<void> }>;
}

/** The index of one content under one engine configuration. */
export function contentIndex(
  store: ObjectStore,
  place: { bucket: string; cachePrefix: string; configHash: string },
  content: { sha256: string; format: Format },
  clock: () => number = Date.now,
): ContentIndex {
  const base = `${place.cachePrefix}${place.configHash}/${content.sha256}.${content.format}`;
  const entryKey = `${base}.json`;
  const leaseKey = `${base}.lease`;
  const { bucket } = place;

  const readJson = async <T>(key: string, schema: z.ZodMiniType<T>) => {
    const object = await store.get({ bucket, key });
    if (!object) return null;
    try {
      const parsed = schema.safeParse(JSON.parse(new TextDecoder().decode(object.body)));
      return parsed.success ? { value: parsed.data, etag: object.etag } : null;
    } catch {
      return null;
    }
  };
  const read = async () => (await readJson(entryKey, IndexEntry))?.value ?? null;

  const acquire: ContentIndex['acquire'] = async (timeLimit, { force = false } = {}) => {
    const entryOf = async () => (force ? null : read());
    const holder = randomUUID();
    const remaining = timeLimit.remainingMs();
    const leaseMs = Number.isFinite(remaining) ? remaining + LEASE_MARGIN_MS : DEFAULT_LEASE_MS;
    const leaseBody = (expiresAt: number) =>
      JSON.stringify({ holder, expiresAt: new Date(expiresAt).toISOString() });
    const take = async (condition: { ifNoneMatch: '*' } | { ifMatch: string }) => {
      try {
        const { etag } = await store.put(
          bucket,
          leaseKey,
          leaseBody(clock() + leaseMs),
          JSON_TYPE,
          condition,
        );
        return { etag };
      } catch (error) {
        if (error instanceof PreconditionFailedError) return null;
        throw error;
      }
    };
    const held = async (etag: string | null) => {
      // The entry may have been written between our first look and the lease: look once more.
      const entry = await entryOf();
      const release = async () => {
        if (!etag) return;
        await store
          .put(bucket, leaseKey, leaseBody(0), JSON_TYPE, { ifMatch: etag })
          .catch(() => undefined);
      };
      if (entry) {
        await release();
        return { entry };
      }
      return { release };
    };

    const waitUntil = Math.min(clock() + MAX_WAIT_MS, timeLimit.endsAt - LEASE_MARGIN_MS);
    for (;;) {
      const taken = await take({ ifNoneMatch: '*' });
      if (taken) return held(taken.etag);
      const entry = await entryOf();
      if (entry) return { entry };
      const lease = await readJson(leaseKey, Lease);
      if (lease?.value.holder === holder) return held(lease.etag);
      // An expired (or unreadable) lease is taken over, if nobody else takes it first.
      if (lease?.etag && Date.parse(lease.value.expiresAt) <= clock()) {
        const over = await take({ ifMatch: lease.etag });
        if (over) return held(over.etag);
        continue;
      }
      if (clock() + POLL_MS > waitUntil) {
        throw new TransientError(
          'The same content is being digested by another run; the message is retried later.',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };

  return {
    read,
    async write(entry) {
      await store.put(bucket, entryKey, JSON.stringify(entry), JSON_TYPE);
    },
    acquire,
    checkpoints: {
      async read(name) {
        return (await readJson(`${base}.${name}.json`, z.unknown()))?.value ?? null;
      },
      async write(name, value) {
        await store.put(bucket, `${base}.${name}.json`, JSON.stringify(value), JSON_TYPE);
      },
    },
  };
}

/**
 * Whether a failure belongs to the content and the configuration, so that trying again without
 * changing either pays again for the same result: remembered in the index. A document that was
 * too slow may be faster next time; anything transient is never remembered.
 */
export function isPermanentEngineFailure(error: unknown): error is DocumentError {
  // An endpoint's misconfiguration (HTTP 401/403/404) is not the content's: once it is fixed, the
  // same content must reach the model again without a forced run.
  return (
    error instanceof DocumentError && error.code !== 'too_slow' && !isEndpointConfigFailure(error)
  );
}
