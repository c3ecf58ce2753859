import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DigestStack } from './digest-stack';

const app = new App();
const context = (key: string): string | undefined => app.node.tryGetContext(key) ?? undefined;

new DigestStack(app, context('stackName') ?? 'ArticleDigest', {
  bucketName: context('bucketName'),
  inputPrefix: context('inputPrefix') ?? 'incoming/',
  outputPrefix: context('outputPrefix') ?? 'digests/',
  errorPrefix: context('errorPrefix') ?? 'errors/',
  cachePrefix: context('cachePrefix'),
  openAiSecretName: context('openAiSecretName'),
  openAiModel: context('openAiModel'),
  openAiBaseUrl: context('openAiBaseUrl'),
  maxConcurrency: context('maxConcurrency') ? Number(context('maxConcurrency')) : undefined,
  alarmEmail: context('alarmEmail'),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
