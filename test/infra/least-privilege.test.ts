import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DigestStack } from '../../cdk/digest-stack';
import { logicalIdOf, synthApp } from '../support/synth';

const README = new URL('../../README.md', import.meta.url);
/** The line before each role's table in the README. */
const MARKERS = {
  digest: '<!-- least-privilege table: checked against the template by',
  recorder: '<!-- least-privilege table (dead-letter recorder): checked against the template by',
};

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: Json;
  Condition?: Record<string, Record<string, Json>>;
  NotAction?: unknown;
  NotResource?: unknown;
}

/** One permission: an action on a resource, under a condition ('' for none). */
type Grant = `${string} | ${string} | ${string}`;

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const code = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
const condition = (operator: string, key: string, values: string[]) =>
  `${operator} ${key} ${values.slice().sort().join(' ')}`;

/**
 * A function role's permissions as readable strings: resources of this stack by what they are
 * (`<bucket>`, `<queue>`, `<dead-letter intake>`, `<dead-letter queue>`, `<log group>`: the
 * function's own), pseudo parameters as `<partition>`, `<region>`, `<account>`.
 */
function templateGrants(
  stack: DigestStack,
  fnConstruct: IConstruct,
): { grants: Grant[]; managed: unknown } {
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties?: Record<string, Json> }
  >;
  const queues: Record<string, string> = {
    [logicalIdOf(stack, stack.queue)]: '<queue>',
    [logicalIdOf(stack, stack.recorder.intake)]: '<dead-letter intake>',
    [logicalIdOf(stack, stack.deadLetters)]: '<dead-letter queue>',
  };
  const label = (id: string): string => {
    const resource = resources[id];
    switch (resource?.Type) {
      case 'AWS::S3::Bucket':
        return '<bucket>';
      case 'AWS::Logs::LogGroup':
        return '<log group>';
      case 'AWS::SQS::Queue':
        if (queues[id]) return queues[id];
        throw new Error(`no label for the queue ${id}`);
      default:
        throw new Error(`no label for ${id} (${resource?.Type})`);
    }
  };
  const pseudo: Record<string, string> = {
    'AWS::Partition': '<partition>',
    'AWS::Region': '<region>',
    'AWS::AccountId': '<account>',
  };
  const render = (value: Json): string => {
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const join = value['Fn::Join'] as [string, Json[]] | undefined;
      if (join) return join[1].map(render).join(join[0]);
      const getAtt = value['Fn::GetAtt'] as [string, string] | undefined;
      if (getAtt?.[1] === 'Arn') return label(getAtt[0]);
      const ref = value.Ref as string | undefined;
      if (ref && pseudo[ref]) return pseudo[ref];
    }
    throw new Error(`cannot render ${JSON.stringify(value)}`);
  };

  const fn = resources[logicalIdOf(stack, fnConstruct)] as unknown as
    | { Properties: { Role: { 'Fn::GetAtt': [string, string] } } }
    | undefined;
  if (!fn) throw new Error(`no ${fnConstruct.node.path} in the template`);
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  const role = resources[roleId]?.Properties ?? {};
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
    Properties: { Roles: Json; PolicyDocument: { Statement: Statement[] } };
  }[];
  const statements = policies
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
  const grants = statements.flatMap((s) => {
    // The table describes allows on actions and resources; anything else needs a new format.
    expect(s.Effect).toBe('Allow');
    expect(s.NotAction ?? s.NotResource).toBeUndefined();
    const conditions = Object.entries(s.Condition ?? {})
      .flatMap(([operator, byKey]) =>
        Object.entries(byKey).map(([key, values]) =>
          condition(operator, key, list(values as Json).map(render)),
        ),
      )
      .join('; ');
    return list(s.Action).flatMap((action) =>
      list(s.Resource).map((resource): Grant => `${action} | ${render(resource)} | ${conditions}`),
    );
  });
  return {
    grants: [...new Set(grants)].sort(),
    managed: { managedPolicies: role.ManagedPolicyArns, inlinePolicies: role.Policies },
  };
}

/** The permissions a README table states: every action on every resource of its row. */
function readmeGrants(readme: string, marker: string): Grant[] {
  const start = readme.indexOf(marker);
  if (start < 0) throw new Error(`README has no line starting with ${marker}`);
  const lines = readme.slice(start).split('\n').slice(1);
  const end = lines.findIndex((line) => !line.startsWith('|'));
  const rows = lines.slice(2, end < 0 ? undefined : end); // after the header and separator
  const grants = rows.flatMap((row) => {
    const [actions = '', resources = '', conditionCell = ''] = row.split('|').slice(1, -1);
    const [operator, key, ...values] = code(conditionCell);
    const conditions = operator && key ? condition(operator, key, values) : '';
    return code(actions).flatMap((action) =>
      code(resources).map((resource): Grant => `${action} | ${resource} | ${conditions}`),
    );
  });
  return [...new Set(grants)].sort();
}

/** The table rows for a set of grants: one row per resource set and condition. */
function tableRows(grants: Grant[]): string {
  const rows = new Map<string, { actions: Set<string>; resources: Set<string>; cond: string }>();
  const byAction = new Map<string, { resources: string[]; cond: string }>();
  for (const grant of grants) {
    const [action = '', resource = '', cond = ''] = grant.split(' | ');
    const entry = byAction.get(action) ?? { resources: [], cond };
    entry.resources.push(resource);
    byAction.set(action, entry);
  }
  for (const [action, { resources, cond }] of byAction) {
    const key = `${resources.join(' ')}|${cond}`;
    const row = rows.get(key) ?? { actions: new Set(), resources: new Set(resources), cond };
    row.actions.add(action);
    rows.set(key, row);
  }
  const ticks = (items: Iterable<string>) => [...items].map((i) => `\`${i}\``).join(' ');
  return [...rows.values()]
    .map((r) =>
      `| ${ticks(r.actions)} | ${ticks(r.resources)} | ${ticks(r.cond.split(' ').filter(Boolean))} | … |`.replace(
        '|  |',
        '| |',
      ),
    )
    .join('\n');
}

describe('README least-privilege tables', () => {
  let digest: ReturnType<typeof templateGrants>;
  let recorder: ReturnType<typeof templateGrants>;

  beforeAll(() => {
    // The README's example secret name, so that its row reads as a reader will see it.
    const { stack } = synthApp({ openAiSecretName: 'article-digest/openai' }, { bundle: false });
    digest = templateGrants(stack, stack.fn);
    recorder = templateGrants(stack, stack.recorder.fn);
  });

  it('lists exactly the permissions of the digest function role in the template', () => {
    const stated = readmeGrants(readFileSync(README, 'utf8'), MARKERS.digest);
    expect(
      stated,
      `README table out of date; rows from the template:\n${tableRows(digest.grants)}`,
    ).toEqual(digest.grants);
  });

  it('lists exactly the permissions of the dead-letter recorder role in the template', () => {
    const stated = readmeGrants(readFileSync(README, 'utf8'), MARKERS.recorder);
    expect(
      stated,
      `README table out of date; rows from the template:\n${tableRows(recorder.grants)}`,
    ).toEqual(recorder.grants);
  });

  it('gives the roles no managed or inline policy beside the listed ones', () => {
    for (const role of [digest, recorder]) {
      expect(role.managed).toEqual({ managedPolicies: undefined, inlinePolicies: undefined });
    }
  });

  it('reads a stale table as stale', () => {
    const readme = readFileSync(README, 'utf8');
    const stale = readme.replace('`<bucket>/digests/*` `<bucket>/cache/*` |', '|');
    expect(stale).not.toBe(readme);
    expect(readmeGrants(stale, MARKERS.digest)).not.toEqual(digest.grants);
    const staleRecorder = readme.replace(
      /(least-privilege table \(dead-letter recorder\)[\s\S]*?)\| `s3:PutObject` `s3:DeleteObject` \|/,
      '$1| `s3:PutObject` |',
    );
    expect(staleRecorder).not.toBe(readme);
    expect(readmeGrants(staleRecorder, MARKERS.recorder)).not.toEqual(recorder.grants);
  });
});
