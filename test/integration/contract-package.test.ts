import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../shared/contract';
import { writeDigestFolder } from '../support/digest-folder';
import { ROOT, SAMPLE_000, sampleText } from '../support/fixtures';

const TSC = resolve(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** A consumer's TypeScript: validate and type a digest in two lines, then use the types. */
const CONSUMER_TS = `import { Digest, OutputRecord, type Task, SCHEMA_VERSION, schemaFiles } from 'article-digest/contract';

declare const body: string;
const digest = Digest.parse(JSON.parse(body));
const tasks: Task[] = digest.articles.flatMap((a) => a.tasks);
const owners: Array<string | null> = tasks.map((t) => t.owner);
const start: number = digest.articles[0]?.tasks[0]?.evidence.start ?? 0;
const record = OutputRecord.parse(JSON.parse(body));
const code: string | null = record.kind === 'error' ? record.error.code : null;
const url: URL = schemaFiles.digest;
const version: string = SCHEMA_VERSION;
// @ts-expect-error a digest has no such field: the type is the contract's, not any
digest.articles[0]?.tasks[0]?.assignee;
export { owners, start, code, url, version };
`;

/** The same consumer as plain JavaScript, run by Node: prints what it read. */
const CONSUMER_MJS = `import { readFileSync } from 'node:fs';
import { Digest, OutputRecord, SCHEMA_VERSION, schemaFiles } from 'article-digest/contract';
import schema from 'article-digest/schema/digest.schema.json' with { type: 'json' };

const digest = Digest.parse(JSON.parse(readFileSync(process.argv[2], 'utf8')));
const broken = OutputRecord.safeParse({ ...digest, articles: 'none' });
let thrown;
try {
  Digest.parse({ ...digest, articles: 'none' });
} catch (error) {
  thrown = { name: error.name, issue: error.issues[0].message, path: error.issues[0].path };
}
const fromFile = JSON.parse(readFileSync(schemaFiles.digest, 'utf8'));
console.log(JSON.stringify({
  version: SCHEMA_VERSION,
  key: digest.source.key,
  tasks: digest.articles.flatMap((a) => a.tasks).length,
  rejects: !broken.success,
  thrown,
  schemaRef: schema.$ref,
  sameSchema: JSON.stringify(fromFile) === JSON.stringify(schema),
}));
`;

describe('article-digest/contract from a separate package', () => {
  let dir: string;
  let digestFile: string;

  beforeAll(async () => {
    // What `prepare` runs on install: the contract built for plain Node.
    execFileSync('npm', ['run', '-s', 'build:contract'], { cwd: ROOT, stdio: 'pipe' });
    dir = mkdtempSync(join(tmpdir(), 'article-digest-consumer-'));
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'digest-consumer',
        private: true,
        type: 'module',
        dependencies: { 'article-digest': `file:${ROOT}` },
      }),
    );
    // npm installs a `file:` folder dependency as this link (install-links=false, its default);
    // running npm here would also reify this package's own node_modules, shared with the suite.
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'article-digest'), 'dir');
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['consumer.ts'],
      }),
    );
    writeFileSync(join(dir, 'consumer.ts'), CONSUMER_TS);
    writeFileSync(join(dir, 'consumer.mjs'), CONSUMER_MJS);
    const [digest] = await writeDigestFolder(join(dir, 'out'), [
      { path: SAMPLE_000, text: sampleText(SAMPLE_000) },
    ]);
    expect(digest).toBeDefined();
    digestFile = join(dir, 'out', 'digests', `${SAMPLE_000}.json`);
  }, 60_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('validates a digest, rejects a broken one and reads the JSON Schema when run by Node', () => {
    const run = spawnSync(process.execPath, ['consumer.mjs', digestFile], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      version: SCHEMA_VERSION,
      key: `incoming/${SAMPLE_000}`,
      tasks: 8,
      rejects: true,
      // What README says a failed parse throws, with English messages.
      thrown: {
        name: '$ZodError',
        issue: 'Invalid input: expected array, received string',
        path: ['articles'],
      },
      schemaRef: '#/$defs/Digest',
      sameSchema: true,
    });
  });

  it('types a digest for the TypeScript compiler, with Node16-style package resolution', () => {
    const check = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.json'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  }, 60_000);

  it('fails the type check when the consumer uses a field the contract does not have', () => {
    writeFileSync(
      join(dir, 'wrong.ts'),
      `import { Digest } from 'article-digest/contract';\ndeclare const body: string;\nexport const n: number = Digest.parse(JSON.parse(body)).articles[0]!.tasks[0]!.owner;\n`,
    );
    const check = spawnSync(
      process.execPath,
      [
        TSC,
        '--noEmit',
        '--strict',
        '--module',
        'NodeNext',
        '--moduleResolution',
        'NodeNext',
        '--skipLibCheck',
        'wrong.ts',
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(check.status).not.toBe(0);
    expect(check.stdout).toContain("Type 'string | null' is not assignable to type 'number'");
  }, 60_000);
});
