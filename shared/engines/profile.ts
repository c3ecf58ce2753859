/**
 * The settings side of the provider profiles (see ./providers.ts): which server, which model
 * kind, what the configuration must satisfy, and which failures are the endpoint's. Kept apart,
 * with no heavy imports, because the configuration reads it at every cold start while the rest of
 * the profiles ships in the LLM engine's own bundle, loaded only when that engine runs.
 */

/** The servers the LLM engine knows (`LLM_PROVIDER`). `compatible` is any other. */
export const PROVIDERS = ['openai', 'azure', 'ollama', 'vllm', 'llamacpp', 'compatible'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** Values of `reasoning_effort` across OpenAI's reasoning models (`LLM_REASONING_EFFORT`). */
export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/**
 * Output tokens kept for reasoning on top of `LLM_MAX_OUTPUT_TOKENS`, by effort. OpenAI advises
 * room of about 25,000 tokens for reasoning and answer when starting out; digesting needs little
 * reasoning, so the default effort is `low` and these bound what a call may cost.
 */
export const REASONING_ALLOWANCE: Record<ReasoningEffort, number> = {
  none: 0,
  minimal: 2_048,
  low: 8_192,
  medium: 16_384,
  high: 32_768,
  xhigh: 65_536,
};

/** The effort sent to a reasoning model when `LLM_REASONING_EFFORT` is unset. */
export const DEFAULT_REASONING_EFFORT: ReasoningEffort = 'low';

/**
 * The context assumed when `LLM_CONTEXT_TOKENS` is unset: Ollama's default on most GPUs. Other
 * servers either have contexts far beyond a part (OpenAI, Azure) or refuse an oversized request
 * with an error instead of cutting it (vLLM, llama.cpp), so nothing is assumed for them.
 */
export const DEFAULT_CONTEXT_TOKENS: Partial<Record<Provider, number>> = { ollama: 4_096 };

/**
 * Input tokens are counted with o200k_base; other model families count the same text a few
 * percent differently, so a call is checked with this much room on its input.
 */
export const CONTEXT_MARGIN = 1.1;

/** The smallest part worth a call: below it, start-up fails rather than digest in crumbs. */
export const MIN_PART_TOKENS = 1_000;

/** Room for what a part's call carries besides the part and the instructions (earlier summary). */
export const CARRIED_TOKENS = 200;

export const OUTPUT_LIMIT_FIELD: Record<Provider, 'max_completion_tokens' | 'max_tokens'> = {
  openai: 'max_completion_tokens',
  azure: 'max_completion_tokens',
  // Every version of these reads max_tokens; some ignore max_completion_tokens entirely.
  ollama: 'max_tokens',
  vllm: 'max_tokens',
  llamacpp: 'max_tokens',
  compatible: 'max_tokens',
};

const AZURE_HOST =
  /\.(?:openai\.azure\.com|cognitiveservices\.azure\.com|services\.ai\.azure\.com)$/i;
const OLLAMA_PORT = '11434';

/**
 * The provider a base URL names without doubt: OpenAI's own (or none), an Azure resource, or
 * Ollama's port. vLLM (8000) and llama.cpp (8080) share their ports with too much else.
 */
export function detectProvider(baseURL: string | undefined): Provider | undefined {
  if (!baseURL) return 'openai';
  const url = new URL(baseURL);
  if (url.hostname === 'api.openai.com') return 'openai';
  if (AZURE_HOST.test(url.hostname)) return 'azure';
  if (url.port === OLLAMA_PORT) return 'ollama';
  return undefined;
}

/**
 * Whether a model name is one of OpenAI's reasoning models (o-series, gpt-5 family but its chat
 * variants), also behind a gateway prefix such as `openai/`. Azure deployment names may say
 * nothing: there, setting `LLM_REASONING_EFFORT` marks the model as one.
 */
export function isReasoningModel(model: string): boolean {
  const name = model.slice(model.lastIndexOf('/') + 1).toLowerCase();
  return /^o[1-9]\d*(?:$|-)/.test(name) || (/^gpt-5(?:$|[.-])/.test(name) && !/-chat/.test(name));
}

/** What a profile is built from: the resolved `LLM_*` settings and the output limit. */
export interface ProfileSettings {
  provider: Provider;
  maxOutputTokens: number;
  /** Sent as `temperature`; unset for reasoning models, which reject it. */
  temperature?: number | undefined;
  /** Sent as `reasoning_effort`; set only for reasoning models. */
  reasoningEffort?: ReasoningEffort | undefined;
  /** The server's context window; every call is checked against it before it is sent. */
  contextTokens?: number | undefined;
}

/** The `LLM_*` and `OPENAI_*` variables a profile is resolved from (already type-checked). */
export interface ProfileEnv {
  LLM_PROVIDER?: Provider | undefined;
  OPENAI_BASE_URL?: string | undefined;
  OPENAI_MODEL: string;
  LLM_TEMPERATURE?: number | undefined;
  LLM_REASONING_EFFORT?: ReasoningEffort | undefined;
  LLM_CONTEXT_TOKENS?: number | undefined;
}

/**
 * The profile's settings with their defaults: the provider named or detected (else
 * `compatible`); temperature 0 unless set, none for reasoning models; effort `low` for a
 * reasoning model unless set; the provider's default context.
 */
export function resolveProfile(
  env: ProfileEnv,
): Omit<ProfileSettings, 'maxOutputTokens'> & { provider: Provider } {
  const provider = env.LLM_PROVIDER ?? detectProvider(env.OPENAI_BASE_URL) ?? 'compatible';
  const reasoning =
    env.LLM_REASONING_EFFORT !== undefined ||
    (['openai', 'azure', 'compatible'].includes(provider) && isReasoningModel(env.OPENAI_MODEL));
  return {
    provider,
    temperature: reasoning ? undefined : (env.LLM_TEMPERATURE ?? 0),
    reasoningEffort: reasoning ? (env.LLM_REASONING_EFFORT ?? DEFAULT_REASONING_EFFORT) : undefined,
    contextTokens: env.LLM_CONTEXT_TOKENS ?? DEFAULT_CONTEXT_TOKENS[provider],
  };
}

/**
 * Configuration that cannot work, found before anything is sent: an Azure deployments URL (or
 * any Azure URL but the v1 one), Azure without a URL, a temperature for a reasoning model.
 */
export function profileProblems(env: ProfileEnv): Array<{ variable: string; message: string }> {
  const problems: Array<{ variable: string; message: string }> = [];
  // A base URL that is no URL at all has its own message, from the environment's schema.
  if (env.OPENAI_BASE_URL && !URL.canParse(env.OPENAI_BASE_URL)) return problems;
  const provider = env.LLM_PROVIDER ?? detectProvider(env.OPENAI_BASE_URL);
  if (env.OPENAI_BASE_URL) {
    const url = new URL(env.OPENAI_BASE_URL);
    const path = url.pathname.replace(/\/+$/, '');
    const v1 = `${url.origin}/openai/v1`;
    const deployment = /\/openai\/deployments\/([^/]+)/.exec(path)?.[1];
    if (deployment) {
      problems.push({
        variable: 'OPENAI_BASE_URL',
        message: `is an Azure deployments URL, which needs an api-version and answers 404 without one; use the v1 endpoint instead: OPENAI_BASE_URL=${v1} with OPENAI_MODEL=${decodeURIComponent(deployment)} (the deployment name)`,
      });
    } else if (provider === 'azure' && path !== '/openai/v1') {
      problems.push({
        variable: 'OPENAI_BASE_URL',
        message: `Azure OpenAI is used through its v1 endpoint: OPENAI_BASE_URL=${v1}`,
      });
    }
  } else if (env.LLM_PROVIDER === 'azure') {
    problems.push({
      variable: 'OPENAI_BASE_URL',
      message:
        'LLM_PROVIDER=azure needs the v1 endpoint, e.g. https://<resource>.openai.azure.com/openai/v1',
    });
  }
  const { reasoningEffort } = resolveProfile(env);
  if (reasoningEffort !== undefined && env.LLM_TEMPERATURE !== undefined) {
    problems.push({
      variable: 'LLM_TEMPERATURE',
      message: `reasoning models (${env.OPENAI_MODEL}, or LLM_REASONING_EFFORT set) reject a temperature; leave it unset`,
    });
  }
  return problems;
}

/** The output tokens a call may generate: the answer's limit, plus reasoning if any. */
export function outputLimit(settings: ProfileSettings): number {
  const reasoning = settings.reasoningEffort ? REASONING_ALLOWANCE[settings.reasoningEffort] : 0;
  return settings.maxOutputTokens + reasoning;
}

/**
 * A failure caused by the endpoint's configuration (HTTP 401, 403 or 404), not by the document:
 * the cause of the `llm_rejected` error the document gets. It says nothing of the content, so it
 * is not remembered in the content-hash index.
 */
export class EndpointConfigError extends Error {
  override readonly name = 'EndpointConfigError';
}

/**
 * Whether an error is a document's record of an endpoint configuration error. Compared by the
 * name's text (not by class, nor by the class's own name, which minifying renames), so that it
 * holds across separately bundled copies of this module.
 */
export function isEndpointConfigFailure(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.cause instanceof Error &&
    error.cause.name === 'EndpointConfigError'
  );
}
