/**
 * IAM as AWS evaluates it, for the strict local S3 front: the function role's policy taken from
 * the synthesized template (CloudFormation references resolved to the local bucket's ARN), and an
 * {@link Authorize} that evaluates requests against it with an IAM policy simulator
 * (@cloud-copilot/iam-simulate).
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { AuthorizationRequest, Authorize, S3Call } from '../../cli/local/strict-s3';
import { type DigestStackProps, synthApp } from './synth';

export interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
  Sid?: string;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** The account and role the simulated requests come from. */
const ACCOUNT_ID = '123456789012';
const PRINCIPAL = `arn:aws:iam::${ACCOUNT_ID}:role/ArticleDigestFunction`;
const REGION = 'us-east-1';

type Template = {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
};

/**
 * The identity policy of the digest function's role in the synthesized stack (bundling skipped:
 * the policy does not depend on it), with the bucket's ARN resolved to `arn:aws:s3:::<bucket>`.
 */
export function synthesizedFunctionPolicy(
  bucket: string,
  props: Partial<DigestStackProps> = {},
): PolicyDocument {
  const { assembly } = synthApp(props, { bundle: false });
  return functionPolicy(assembly.getStackByName('ArticleDigest').template as Template, bucket);
}

/**
 * The statements of every policy attached to the role of the function that has `INPUT_PREFIX`
 * in its environment.
 * @throws {Error} when the template has no such function or its role has no policy.
 */
export function functionPolicy(template: Template, bucket: string): PolicyDocument {
  const resources = template.Resources;
  const fn = Object.values(resources).find(
    (r) =>
      r.Type === 'AWS::Lambda::Function' &&
      JSON.stringify(r.Properties?.Environment ?? {}).includes('INPUT_PREFIX'),
  );
  const role = (fn?.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
    'Fn::GetAtt'
  ]?.[0];
  if (!role) throw new Error('no digest function with a role in the template');
  const statements = Object.values(resources)
    .filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        (r.Properties?.Roles as unknown[] | undefined)?.some(
          (ref) => (ref as { Ref?: string }).Ref === role,
        ),
    )
    .flatMap(
      (r) =>
        (r.Properties?.PolicyDocument as { Statement: unknown[] } | undefined)?.Statement ?? [],
    );
  if (statements.length === 0) throw new Error(`no policy attached to ${role}`);
  return {
    Version: '2012-10-17',
    Statement: resolve(statements, template, bucket) as PolicyStatement[],
  };
}

/** Replaces CloudFormation references with concrete values for a local bucket. */
function resolve(value: unknown, template: Template, bucket: string): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, template, bucket));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => String(resolve(p, template, bucket))).join(separator);
  }
  if ('Fn::GetAtt' in object) {
    const [id] = object['Fn::GetAtt'] as [string, string];
    return arnOf(id, template, bucket);
  }
  if ('Ref' in object) {
    const ref = object.Ref as string;
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT_ID,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    if (ref in pseudo) return pseudo[ref];
    // A queue's Ref is its URL, a bucket's its name; the rest only need to be distinct.
    return template.Resources[ref]?.Type === 'AWS::S3::Bucket' ? bucket : ref;
  }
  return Object.fromEntries(
    Object.entries(object).map(([k, v]) => [k, resolve(v, template, bucket)]),
  );
}

function arnOf(id: string, template: Template, bucket: string): string {
  switch (template.Resources[id]?.Type) {
    case 'AWS::S3::Bucket':
      return `arn:aws:s3:::${bucket}`;
    case 'AWS::SQS::Queue':
      return `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${id}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${REGION}:${ACCOUNT_ID}:${id}`;
    default:
      return `arn:aws:cloudformation:${REGION}:${ACCOUNT_ID}:resource/${id}`;
  }
}

/**
 * Whether `policy` allows one request, evaluated by the simulator as IAM would for a role of the
 * same account with no resource policy, SCP or boundary.
 * @throws {Error} when the simulator rejects the input (an unknown action, a bad policy).
 */
export async function isAllowed(
  policy: PolicyDocument,
  { action, resource, context }: AuthorizationRequest,
): Promise<boolean> {
  const result = await runSimulation(
    {
      request: {
        principal: PRINCIPAL,
        action,
        resource: { resource, accountId: ACCOUNT_ID },
        contextVariables: context,
      },
      identityPolicies: [{ name: 'function-role', policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') {
    throw new Error(
      `the simulator refused ${action} ${resource}: ${JSON.stringify(result.errors)}`,
    );
  }
  if (result.resultType !== 'single') {
    throw new Error(`${resource} was read as a pattern; keys with * or ? are not simulated`);
  }
  return result.overallResult === 'Allowed';
}

/** An {@link Authorize} for the strict front that evaluates `policy` with the simulator. */
export function simulatorAuthorizer(policy: PolicyDocument): Authorize {
  return (request) => isAllowed(policy, request);
}

/** The permission check a recorded call stands for. */
export function requestOf(call: S3Call): AuthorizationRequest {
  return {
    action: call.action,
    resource:
      call.key === undefined
        ? `arn:aws:s3:::${call.bucket}`
        : `arn:aws:s3:::${call.bucket}/${call.key}`,
    context: call.prefix === undefined ? {} : { 's3:prefix': call.prefix },
  };
}

/**
 * The (action, resource) pairs of the policy's S3 grants that no call in `calls` used: for each,
 * a policy of that grant alone (its condition kept) allows none of the calls. Non-S3 statements
 * (logs, queues, secrets) are outside what the calls can show and are left out.
 */
export async function unusedGrants(
  policy: PolicyDocument,
  calls: readonly S3Call[],
): Promise<string[]> {
  const unused: string[] = [];
  for (const statement of policy.Statement) {
    if (statement.Effect !== 'Allow') continue;
    for (const action of [statement.Action].flat()) {
      if (!action.startsWith('s3:')) continue;
      for (const resource of [statement.Resource].flat()) {
        const grant: PolicyDocument = {
          Version: '2012-10-17',
          Statement: [{ ...statement, Action: action, Resource: resource }],
        };
        let used = false;
        for (const call of calls) {
          if (call.action !== action) continue;
          if (await isAllowed(grant, requestOf(call))) {
            used = true;
            break;
          }
        }
        if (!used) unused.push(`${action} on ${resource}`);
      }
    }
  }
  return unused;
}
