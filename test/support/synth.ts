import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DigestStack, type DigestStackProps } from '../../cdk/digest-stack';

export const DEFAULT_PROPS: DigestStackProps = {
  inputPrefix: 'incoming/',
  outputPrefix: 'digests/',
  errorPrefix: 'errors/',
};

/**
 * Builds the app as `cdk/app.ts` does, with the AwsSolutions checks, and synthesizes it into a
 * fresh folder (synthesis throws on any unacknowledged finding).
 */
export function synthApp(props: Partial<DigestStackProps> = {}) {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'article-digest-cdk-')) });
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
