import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DigestStack } from './digest-stack';

const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined || value === null || value === '' ? undefined : String(value);
};
// Values come as numbers from cdk.json and as strings from `-c key=value`.
const numberContext = (key: string): number | undefined => {
  const value = context(key);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`context ${key} must be a number, got ${value}`);
  return parsed;
};

new DigestStack(app, context('stackName') ?? 'ArticleDigest', {
  bucketName: context('bucketName'),
  inputPrefix: context('inputPrefix') ?? 'incoming/',
  outputPrefix: context('outputPrefix') ?? 'digests/',
  errorPrefix: context('errorPrefix') ?? 'errors/',
  cachePrefix: context('cachePrefix'),
  textPrefix: context('textPrefix'),
  openAiSecretName: context('openAiSecretName'),
  openAiModel: context('openAiModel'),
  openAiBaseUrl: context('openAiBaseUrl'),
  maxConcurrency: numberContext('maxConcurrency'),
  alarmEmail: context('alarmEmail'),
  noncurrentVersionExpirationDays: numberContext('noncurrentVersionExpirationDays'),
  cacheExpirationDays: numberContext('cacheExpirationDays'),
  abortIncompleteMultipartUploadDays: numberContext('abortIncompleteMultipartUploadDays'),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
