import type { PreparedDocument } from '../../shared/engines/engine';
import { detectLanguage } from '../../shared/text/chars';
import { QuoteLocator } from '../../shared/text/grounding';
import { normalize } from '../../shared/text/normalize';
import { TimeLimit } from '../../shared/time-limit';

/** A document prepared as the pipeline prepares it, for calling an engine directly. */
export function prepare(source: string): PreparedDocument {
  return {
    source,
    normalized: normalize(source),
    language: detectLanguage(source),
    locator: new QuoteLocator(source),
    timeLimit: TimeLimit.none(),
  };
}
