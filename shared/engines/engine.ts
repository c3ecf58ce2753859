import { createHash } from 'node:crypto';
import type { EngineInfo, Usage } from '../contract';
import type { QuoteLocator } from '../text/grounding';
import type { Normalized } from '../text/normalize';
import type { TimeLimit } from '../time-limit';
import { PIPELINE_VERSION } from '../version';

/** A decoded, normalized document, ready for an engine. */
export interface PreparedDocument {
  /** Decoded source text; evidence offsets refer to it. */
  source: string;
  normalized: Normalized;
  language: 'zh' | 'en' | 'und';
  locator: QuoteLocator;
  /** When the document must be finished; long loops call `timeLimit.check(stage)`. */
  timeLimit: TimeLimit;
  /**
   * Where an engine keeps work it has paid for (the answers of a long document's parts), so a
   * try after a failure resumes instead of paying again. Absent: nothing is kept.
   */
  checkpoints?: Checkpoints;
}

/** Named pieces of paid work on one content under one configuration. */
export interface Checkpoints {
  /** The value saved under `name`, or null. */
  read(name: string): Promise<unknown>;
  write(name: string, value: unknown): Promise<void>;
}

/**
 * An item an engine claims the source supports. `quote` must be verbatim source text (line breaks
 * may differ). Where the quote occurs more than once, an occurrence inside `within` (a UTF-16
 * range of the source) wins, then the one nearest `near` (a UTF-16 index), then the first.
 */
export interface Quoted {
  quote: string;
  near?: number;
  within?: { from: number; to: number };
}

export interface DraftTask extends Quoted {
  task: string;
  owner: string | null;
  deadline: string | null;
}

export interface DraftKeyPoint extends Quoted {
  point: string;
}

export interface DraftArticle {
  title: string | null;
  byline: string | null;
  summary: string;
  keyPoints: DraftKeyPoint[];
  tasks: DraftTask[];
}

/** What an engine returns; the pipeline grounds every quote before anything is written. */
export interface EngineResult {
  summary: string;
  articles: DraftArticle[];
  usage: Usage;
  /**
   * Whether the free text (points, tasks, owners) was written in another language than the
   * source's (`OUTPUT_LANGUAGE`): the pipeline then checks only numbers and words in the source's
   * script against the quotes. Default false.
   */
  translated?: boolean;
}

/** A short, stable hash of an engine's output-relevant configuration and the pipeline's version. */
export function configHash(
  configuration: Record<string, unknown>,
  pipelineVersion: string = PIPELINE_VERSION,
): string {
  const all = { ...configuration, pipelineVersion };
  const canonical = JSON.stringify(all, Object.keys(all).sort());
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** Turns a document into a draft digest. Implementations: extractive (offline), openai. */
export interface Engine {
  readonly info: EngineInfo;
  /**
   * Whether a run costs money (an LLM): its results are then kept in the content-hash index so
   * the same content is never paid for twice. A free engine is simply run again.
   */
  readonly costly: boolean;
  digest(document: PreparedDocument): Promise<EngineResult>;
}
