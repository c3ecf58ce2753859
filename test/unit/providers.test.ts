import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../shared/config';
import { createEngine } from '../../shared/engines';
import {
  type DigestRequest,
  detectProvider,
  EndpointConfigError,
  isEndpointConfigFailure,
  isReasoningModel,
  type ProfileSettings,
  ProviderProfile,
  partTokens,
  unwrapJson,
} from '../../shared/engines/providers';
import { DocumentError } from '../../shared/errors';

const SCHEMA = { type: 'object', properties: { summary: { type: 'string' } } };
const REQUEST: DigestRequest = {
  model: 'm',
  messages: [
    { role: 'system', content: 'Digest the article.' },
    { role: 'user', content: '<document>\n文本。\n</document>' },
  ],
  response_format: {
    type: 'json_schema',
    json_schema: { name: 'article_digest', strict: true, schema: SCHEMA },
  },
};

/** The profile the configuration `env` resolves to, as the engine builds it. */
function profileFor(env: Record<string, string>): ProviderProfile {
  const config = parseConfig({ OPENAI_API_KEY: 'sk-test', ...env });
  return new ProviderProfile({ provider: 'openai', ...config.llm });
}

/** A profile that has learnt the server takes no JSON schema (a 400 naming response_format). */
async function withoutJsonSchema(settings: ProfileSettings): Promise<ProviderProfile> {
  const profile = new ProviderProfile(settings);
  let calls = 0;
  await profile.send(async () => {
    calls++;
    if (calls === 1) {
      throw Object.assign(
        new Error("400 'response_format' of type 'json_schema' is not supported"),
        {
          status: 400,
        },
      );
    }
    return { choices: [{ message: { content: '{}' } }] } as OpenAI.Chat.Completions.ChatCompletion;
  }, REQUEST);
  return profile;
}

describe('provider detection', () => {
  it('names the provider when the base URL says it, and nothing otherwise', () => {
    expect(detectProvider(undefined)).toBe('openai');
    expect(detectProvider('https://api.openai.com/v1')).toBe('openai');
    expect(detectProvider('https://my-res.openai.azure.com/openai/v1')).toBe('azure');
    expect(detectProvider('https://my-res.cognitiveservices.azure.com/openai/v1')).toBe('azure');
    expect(detectProvider('http://localhost:11434/v1')).toBe('ollama');
    expect(detectProvider('http://127.0.0.1:8000/v1')).toBeUndefined();
  });

  it('resolves LLM_PROVIDER over detection, and compatible when nothing says', () => {
    expect(parseConfig({ OPENAI_BASE_URL: 'http://gpu:11434/v1' }).llm.provider).toBe('ollama');
    expect(
      parseConfig({ OPENAI_BASE_URL: 'http://gpu:11434/v1', LLM_PROVIDER: 'vllm' }).llm.provider,
    ).toBe('vllm');
    expect(parseConfig({ OPENAI_BASE_URL: 'http://gpu:8000/v1' }).llm.provider).toBe('compatible');
    expect(() => parseConfig({ LLM_PROVIDER: 'bedrock' })).toThrow(/LLM_PROVIDER/);
  });

  it('tells reasoning models by name, also behind a gateway prefix', () => {
    for (const model of ['o1', 'o3-mini', 'o4-mini', 'gpt-5', 'gpt-5-mini', 'gpt-5.1', 'openai/o3'])
      expect(isReasoningModel(model), model).toBe(true);
    for (const model of ['gpt-4.1-mini', 'gpt-4o', 'gpt-5-chat-latest', 'omni-moderation', 'qwen3'])
      expect(isReasoningModel(model), model).toBe(false);
  });
});

describe('start-up checks', () => {
  it('refuses an Azure deployments URL, naming the v1 URL and the deployment to use instead', () => {
    const parse = () =>
      parseConfig({
        OPENAI_API_KEY: 'k',
        OPENAI_BASE_URL:
          'https://my-res.openai.azure.com/openai/deployments/digest-mini/chat/completions?api-version=2024-10-21',
      });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(
      /OPENAI_BASE_URL: .*OPENAI_BASE_URL=https:\/\/my-res\.openai\.azure\.com\/openai\/v1 with OPENAI_MODEL=digest-mini/,
    );
  });

  it('refuses an Azure URL that is not the v1 endpoint, and Azure without a URL', () => {
    expect(() => parseConfig({ OPENAI_BASE_URL: 'https://my-res.openai.azure.com/' })).toThrow(
      /OPENAI_BASE_URL=https:\/\/my-res\.openai\.azure\.com\/openai\/v1/,
    );
    expect(() => parseConfig({ LLM_PROVIDER: 'azure' })).toThrow(/needs the v1 endpoint/);
    expect(
      parseConfig({ OPENAI_BASE_URL: 'https://my-res.openai.azure.com/openai/v1/' }).llm.provider,
    ).toBe('azure');
  });

  it('refuses a temperature for a reasoning model', () => {
    expect(() => parseConfig({ OPENAI_MODEL: 'gpt-5-mini', LLM_TEMPERATURE: '0.2' })).toThrow(
      /LLM_TEMPERATURE: reasoning models/,
    );
    expect(() =>
      parseConfig({
        OPENAI_MODEL: 'my-deployment',
        LLM_REASONING_EFFORT: 'low',
        LLM_TEMPERATURE: '0',
      }),
    ).toThrow(/LLM_TEMPERATURE/);
  });

  it("fails at start-up when Ollama's default context cannot hold a call with the default output limit", async () => {
    const config = parseConfig({
      OPENAI_API_KEY: 'ollama',
      OPENAI_BASE_URL: 'http://localhost:11434/v1',
      OPENAI_MODEL: 'qwen2.5:7b',
    });
    expect(config.llm.contextTokens).toBe(4096);
    await expect(createEngine(config)).rejects.toThrow(ConfigError);
    await expect(createEngine(config)).rejects.toThrow(
      /LLM_CONTEXT_TOKENS=4096 cannot hold a call: the output limit \(4096 tokens\).*OLLAMA_CONTEXT_LENGTH=16384/,
    );
  });

  it('shrinks the part budget to what the context holds, and keeps it where it fits', async () => {
    const base = { provider: 'ollama' as const, maxOutputTokens: 2048, chunkTokens: 12_000 };
    const small = await partTokens({ ...base, contextTokens: 8192 });
    expect(small.ok && small.tokens).toBeGreaterThanOrEqual(1000);
    expect(small.ok && small.tokens).toBeLessThan((8192 - 2048) / 1.1);
    expect(await partTokens({ ...base, contextTokens: 32_768 })).toEqual({
      ok: true,
      tokens: 12_000,
    });
    expect(await partTokens({ ...base, contextTokens: undefined })).toEqual({
      ok: true,
      tokens: 12_000,
    });
  });
});

describe('request bodies', () => {
  it('sends max_completion_tokens and temperature 0 to OpenAI', () => {
    const body = profileFor({}).body(REQUEST);
    expect(body).toMatchObject({ max_completion_tokens: 4096, temperature: 0 });
    expect(body).not.toHaveProperty('max_tokens');
    expect(body).not.toHaveProperty('reasoning_effort');
    expect(body.response_format).toBe(REQUEST.response_format);
  });

  it('sends max_tokens to Ollama, vLLM, llama.cpp and other servers, which may ignore the other', () => {
    for (const provider of ['ollama', 'vllm', 'llamacpp', 'compatible']) {
      const body = profileFor({ LLM_PROVIDER: provider, LLM_CONTEXT_TOKENS: '32768' }).body(
        REQUEST,
      );
      expect(body, provider).toMatchObject({ max_tokens: 4096, temperature: 0 });
      expect(body, provider).not.toHaveProperty('max_completion_tokens');
    }
  });

  it('takes LLM_TEMPERATURE', () => {
    expect(profileFor({ LLM_TEMPERATURE: '0.3' }).body(REQUEST).temperature).toBe(0.3);
  });

  it('sends a reasoning model its effort, no temperature, and room for reasoning in the limit', () => {
    const body = profileFor({ OPENAI_MODEL: 'gpt-5-mini' }).body(REQUEST);
    expect(body).toMatchObject({ reasoning_effort: 'low', max_completion_tokens: 4096 + 8192 });
    expect(body).not.toHaveProperty('temperature');
    const named = profileFor({ OPENAI_MODEL: 'my-deployment', LLM_REASONING_EFFORT: 'high' });
    expect(named.body(REQUEST)).toMatchObject({
      reasoning_effort: 'high',
      max_completion_tokens: 4096 + 32_768,
    });
    expect(named.outputLimit).toBe(4096 + 32_768);
  });

  it('puts the schema in the prompt once the server takes no JSON schema, for every later call', async () => {
    const profile = await withoutJsonSchema({ provider: 'vllm', maxOutputTokens: 1000 });
    expect(profile.responseFormat).toBe('json_object');
    const body = profile.body(REQUEST);
    expect(body.response_format).toEqual({ type: 'json_object' });
    expect(body.messages[0]?.content).toBe(
      `Digest the article.\nAnswer with one JSON object (article_digest), and nothing else, that matches this JSON Schema:\n${JSON.stringify(SCHEMA)}`,
    );
    expect(body.messages[1]).toEqual(REQUEST.messages[1]);
  });

  it('keeps the schema enforced on llama.cpp, which takes it beside json_object', async () => {
    const profile = await withoutJsonSchema({ provider: 'llamacpp', maxOutputTokens: 1000 });
    expect(profile.body(REQUEST).response_format).toEqual({ type: 'json_object', schema: SCHEMA });
  });
});

describe('ProviderProfile.send', () => {
  it('sends nothing when the call cannot fit the context, and says by how much', async () => {
    const profile = new ProviderProfile({
      provider: 'ollama',
      maxOutputTokens: 1000,
      contextTokens: 1020,
    });
    let sent = 0;
    const send = profile.send(async () => {
      sent++;
      return { choices: [] } as unknown as OpenAI.Chat.Completions.ChatCompletion;
    }, REQUEST);
    await expect(send).rejects.toThrow(DocumentError);
    await expect(send).rejects.toMatchObject({
      code: 'budget_exceeded',
      message: expect.stringMatching(/context is 1020 \(LLM_CONTEXT_TOKENS\)\. Nothing was sent\./),
    });
    expect(sent).toBe(0);
  });

  it('records a 404 as a configuration error that is not the content’s', async () => {
    const profile = new ProviderProfile({ provider: 'azure', maxOutputTokens: 1000 });
    const notFound = Object.assign(new Error('404 Resource not found'), { status: 404 });
    const send = profile.send(async () => {
      throw new Error('wrapped', { cause: notFound });
    }, REQUEST);
    await expect(send).rejects.toMatchObject({
      code: 'llm_rejected',
      message: expect.stringMatching(/answered HTTP 404.*OPENAI_BASE_URL and OPENAI_MODEL/),
    });
    const error = await send.catch((e: unknown) => e);
    expect(isEndpointConfigFailure(error)).toBe(true);
    expect(isEndpointConfigFailure(new DocumentError('llm_rejected', 'HTTP 400'))).toBe(false);
    expect(isEndpointConfigFailure(new Error('x', { cause: new EndpointConfigError('y') }))).toBe(
      true,
    );
  });

  it("reads a server's answer over its context as the document's budget, not a retry", async () => {
    const profile = new ProviderProfile({ provider: 'vllm', maxOutputTokens: 1000 });
    const send = profile.send(async () => {
      throw Object.assign(
        new Error("400 This model's maximum context length is 8192 tokens. However, you requested"),
        { status: 400 },
      );
    }, REQUEST);
    await expect(send).rejects.toMatchObject({ code: 'budget_exceeded' });
  });
});

describe('unwrapJson', () => {
  it('takes the JSON out of a fence, prose, or a think block, and leaves an object alone', () => {
    const json = '{"summary":"a ``` b"}';
    expect(unwrapJson(json)).toBe(json);
    expect(unwrapJson(`\`\`\`json\n${json}\n\`\`\``)).toBe(json);
    expect(unwrapJson(`\`\`\`\n${json}\n\`\`\`\n`)).toBe(json);
    expect(unwrapJson(`Here is the digest:\n\`\`\`JSON\n${json}\n\`\`\` Done.`)).toBe(json);
    expect(unwrapJson(`<think>the user wants {x}</think>\n${json}`)).toBe(json);
    expect(unwrapJson(`Sure! ${json} Anything else?`)).toBe(json);
    expect(unwrapJson('not json')).toBe('not json');
  });
});
