import { Duration } from 'aws-cdk-lib';
import { Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import {
  NodejsFunction,
  type NodejsFunctionProps,
  OutputFormat,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/**
 * Five minutes: room for a long document's chunked LLM calls (each bounded by the client's own
 * timeout) plus S3 I/O, while a stuck invocation still ends well before the queue's visibility
 * timeout (six times this).
 */
export const FUNCTION_TIMEOUT = Duration.minutes(5);

/**
 * The defaults every function of this app shares, in one place: current Node runtime on arm64
 * (cheaper per GB-second than x86 for the same work), an ESM bundle built by the local esbuild
 * (no Docker), minified, without source maps (they slow every cold start), JSON logs kept for a
 * bounded time.
 */
export class DigestFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: NodejsFunctionProps) {
    super(scope, id, {
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 1024,
      timeout: FUNCTION_TIMEOUT,
      loggingFormat: LoggingFormat.JSON,
      logGroup: new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.ONE_MONTH }),
      ...props,
      bundling: {
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: false,
        target: 'node24',
        mainFields: ['module', 'main'],
        // ESM bundles of CommonJS dependencies need a require() in scope.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        forceDockerBundling: false,
        ...props.bundling,
      },
    });
  }
}
