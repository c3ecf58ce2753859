import { App } from 'aws-cdk-lib';
import { DigestStack } from './digest-stack';

const app = new App();
const context = (key: string): string | undefined => app.node.tryGetContext(key) ?? undefined;

new DigestStack(app, context('stackName') ?? 'ArticleDigest', {
  bucketName: context('bucketName'),
  inputPrefix: context('inputPrefix') ?? 'incoming/',
  outputPrefix: context('outputPrefix') ?? 'digests/',
  errorPrefix: context('errorPrefix') ?? 'errors/',
});
