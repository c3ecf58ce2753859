import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DigestStack, type DigestStackProps } from '../../cdk/digest-stack';

export type { DigestStackProps };

export const DEFAULT_PROPS: DigestStackProps = {
  inputPrefix: 'incoming/',
  outputPrefix: 'digests/',
  errorPrefix: 'errors/',
};

/**
 * Builds the app as `cdk/app.ts` does, with the AwsSolutions checks, and synthesizes it into a
 * fresh folder (synthesis throws on any unacknowledged finding).
 *
 * `bundle: false` skips esbuild (some seconds per synthesis): the template is the same but for
 * the asset's hash, so tests of the template alone use it; tests of the bundle must not.
 */
export function synthApp(
  props: Partial<DigestStackProps> = {},
  { bundle = true }: { bundle?: boolean } = {},
) {
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'article-digest-cdk-')),
    ...(bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } }),
  });
  const stack = new DigestStack(app, 'ArticleDigest', { ...DEFAULT_PROPS, ...props });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  return { app, stack, assembly };
}

/** The folder of the bundled function asset in a synthesized assembly. */
export function functionAssetDir(assemblyDir: string): string {
  const dir = readdirSync(assemblyDir)
    .filter((name) => name.startsWith('asset.'))
    .map((name) => join(assemblyDir, name))
    .find((path) => existsSync(join(path, 'index.mjs')));
  if (!dir) throw new Error(`no function asset in ${assemblyDir}`);
  return dir;
}
