import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  CURRENT_VERSION_EXPIRED_FLAGS,
  CURRENT_VERSION_FLAG_DEFAULTS,
  CURRENTLY_RECOMMENDED_FLAGS,
} from 'aws-cdk-lib/cx-api';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/fixtures';

const context = (
  JSON.parse(readFileSync(resolve(ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

describe('cdk.json feature flags', () => {
  it('sets every flag whose default is not the recommended value, so synth warns of none', () => {
    // The same rule as the CLI's "N feature flags are not configured": unset, not expired, and
    // a default that differs from the recommendation. A new aws-cdk-lib adds flags: decide each.
    const expired = new Set<string>(CURRENT_VERSION_EXPIRED_FLAGS);
    const defaults = CURRENT_VERSION_FLAG_DEFAULTS as Record<string, unknown>;
    const unset = Object.entries(CURRENTLY_RECOMMENDED_FLAGS as Record<string, unknown>)
      .filter(([name]) => !expired.has(name) && !(name in context))
      .filter(([name, value]) => JSON.stringify(defaults[name] ?? false) !== JSON.stringify(value))
      .map(([name]) => name);
    expect(unset).toEqual([]);
  });
});
