import { Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import {
  NodejsFunction,
  type NodejsFunctionProps,
  OutputFormat,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/**
 * Five minutes: room for a long document's part-by-part LLM calls (each bounded by
 * OPENAI_TIMEOUT_MS) plus S3 I/O, while a stuck invocation still ends well inside the queue's
 * visibility timeout (six times this).
 */
export const FUNCTION_TIMEOUT = Duration.minutes(5);

/**
 * 1024 MB: the work is mostly waiting on the LLM, but text processing of a large document is
 * CPU-bound and Lambda grants CPU in proportion to memory; at this size a 1 MB document is
 * normalized and grounded in well under a second, and idle waiting costs little.
 */
export const FUNCTION_MEMORY_MB = 1024;

/**
 * Modules the handler imports lazily, shipped as files of their own beside it so that a cold
 * start neither compiles nor runs them unless they are used: the LLM engine with the `openai`
 * SDK (through the package import `#llm-engine`), the o200k tokenizer (2 MB of ranks), and the
 * readers of PDF (PDF.js), Word (mammoth) and web pages (Readability on linkedom), which a text
 * document never loads.
 */
const LAZY_MODULES = [
  '#llm-engine',
  'gpt-tokenizer',
  '#pdf-reader',
  '#docx-reader',
  '#html-reader',
];

/** The lazy readers: package import, entry, bundled file. */
const READERS = [
  ['#pdf-reader', 'shared/read/pdf.ts', 'pdf-reader.mjs'],
  ['#docx-reader', 'shared/read/docx.ts', 'docx-reader.mjs'],
  ['#html-reader', 'shared/read/html.ts', 'html-reader.mjs'],
] as const;

function lazyModuleCommands(inputDir: string, outputDir: string): string[] {
  const esbuild = `"${inputDir}/node_modules/.bin/esbuild" --bundle --format=esm --platform=node --target=node24 --minify --log-level=warning`;
  const require =
    '--banner:js="import { createRequire } from \'node:module\'; const require = createRequire(import.meta.url);"';
  const tokenizerDir = `${outputDir}/node_modules/gpt-tokenizer`;
  const manifest = (value: object) => `'${JSON.stringify(value)}'`;
  const imports = Object.fromEntries([
    ['#llm-engine', './llm-engine.mjs'],
    ...READERS.map(([name, , file]) => [name, `./${file}`]),
  ]);
  const pdfjs = `${inputDir}/node_modules/pdfjs-dist`;
  const canvasDir = `${outputDir}/node_modules/@napi-rs/canvas`;
  return [
    `${esbuild} ${require} --main-fields=module,main --external:gpt-tokenizer "${inputDir}/shared/engines/openai.ts" --outfile="${outputDir}/llm-engine.mjs"`,
    ...READERS.map(
      ([, entry, file]) =>
        `${esbuild} ${require} --main-fields=module,main "${inputDir}/${entry}" --outfile="${outputDir}/${file}"`,
    ),
    // PDF.js's CJK character maps and standard font data, read from files by the PDF reader.
    `mkdir -p "${outputDir}/pdfjs"`,
    `cp -R "${pdfjs}/cmaps" "${pdfjs}/standard_fonts" "${outputDir}/pdfjs/"`,
    // PDF.js requires the native @napi-rs/canvas on loading, for rendering only (nothing here
    // renders): an empty stand-in instead of a warning on every start that reads a PDF.
    `mkdir -p "${canvasDir}"`,
    `echo ${manifest({ name: '@napi-rs/canvas', main: 'index.cjs' })} > "${canvasDir}/package.json"`,
    `echo 'module.exports = {};' > "${canvasDir}/index.cjs"`,
    `echo ${manifest({ type: 'module', imports })} > "${outputDir}/package.json"`,
    `mkdir -p "${tokenizerDir}"`,
    `${esbuild} "${inputDir}/node_modules/gpt-tokenizer/esm/encoding/o200k_base.js" --outfile="${tokenizerDir}/o200k_base.mjs"`,
    `echo ${manifest({ name: 'gpt-tokenizer', type: 'module', exports: { './encoding/o200k_base': './o200k_base.mjs' } })} > "${tokenizerDir}/package.json"`,
  ];
}

/**
 * The defaults every function of this app shares, in one place: current Node runtime on arm64
 * (cheaper per GB-second than x86 for the same work), an ESM bundle built by the local esbuild
 * (no Docker), minified, without source maps (they slow every cold start), JSON logs kept for a
 * bounded time. The AWS SDK clients are bundled, so the deployed code runs the versions tested.
 * Memory and timeout are the digest function's; another function passes its own.
 */
export interface DigestFunctionProps extends NodejsFunctionProps {
  /**
   * Ship the LLM engine and the tokenizer as files beside the handler (see `LAZY_MODULES`).
   * Default true; a function that never loads them leaves them out of its asset.
   */
  lazyModules?: boolean;
}

export class DigestFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, { lazyModules = true, ...props }: DigestFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.ONE_MONTH });
    // Its own role, allowed to write to its own log group only (instead of the managed
    // AWSLambdaBasicExecutionRole, which may write to every log group of the account).
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: FUNCTION_MEMORY_MB,
      timeout: FUNCTION_TIMEOUT,
      loggingFormat: LoggingFormat.JSON,
      logGroup,
      ...props,
      bundling: {
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: false,
        target: 'node24',
        mainFields: ['module', 'main'],
        externalModules: LAZY_MODULES,
        // ESM bundles of CommonJS dependencies need a require() in scope.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        forceDockerBundling: false,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: lazyModules ? lazyModuleCommands : () => [],
        },
        ...props.bundling,
      },
    });
  }
}
