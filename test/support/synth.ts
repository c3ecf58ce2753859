import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, type Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
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

/** The logical ID of a construct's CloudFormation resource (its default child, for an L2). */
export function logicalIdOf(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
}

/**
 * The folder of the digest function's bundled asset in a synthesized assembly: the one that
 * ships the LLM engine beside its handler.
 */
export function functionAssetDir(assemblyDir: string): string {
  const dir = readdirSync(assemblyDir)
    .filter((name) => name.startsWith('asset.'))
    .map((name) => join(assemblyDir, name))
    .find(
      (path) => existsSync(join(path, 'index.mjs')) && existsSync(join(path, 'llm-engine.mjs')),
    );
  if (!dir) throw new Error(`no digest function asset in ${assemblyDir}`);
  return dir;
}

/**
 * The folder of one function's bundled asset in a synthesized assembly, found through the asset
 * key its template names.
 * @throws {Error} when the function has no bundled asset there (synthesized with `bundle: false`).
 */
export function assetDirOf(synthesized: ReturnType<typeof synthApp>, fn: IConstruct): string {
  const { stack, assembly } = synthesized;
  const template = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<string, { Properties?: { Code?: { S3Key?: string } } }>;
  };
  const key = template.Resources[logicalIdOf(stack, fn)]?.Properties?.Code?.S3Key;
  const dir = key && join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
  if (!dir || !existsSync(join(dir, 'index.mjs'))) {
    throw new Error(`no bundled asset for ${fn.node.path} in ${assembly.directory}`);
  }
  return dir;
}
