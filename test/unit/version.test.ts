import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configHash } from '../../shared/engines/engine';
import { PIPELINE_VERSION } from '../../shared/version';

describe('pipeline version', () => {
  it('is the package version', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(PIPELINE_VERSION).toBe(pkg.version);
  });

  it('changes every configHash when it changes, so no cached result of an older release is reused', () => {
    const configuration = { engine: 'extractive', version: '3' };
    expect(configHash(configuration)).toBe(configHash(configuration, PIPELINE_VERSION));
    expect(configHash(configuration, '0.2.0')).not.toBe(configHash(configuration, '0.2.1'));
  });
});
