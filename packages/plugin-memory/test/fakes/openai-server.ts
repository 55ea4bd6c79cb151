/**
 * A local OpenAI-compatible chat completions server (`POST /v1/chat/completions`; point a client
 * at `baseURL: fake.baseURL`) for tests: it checks requests as OpenAI does (Bearer auth, model,
 * messages, a strict `json_schema` response format), answers with the real `chat.completion`
 * shape, and plays scripted failures.
 */
import type { ServerResponse } from 'node:http';
import { FakeHttpServer, randomId, type LoggedRequest } from './http-fake.js';

export interface OpenAiUsageScript {
  prompt_tokens?: number;
  completion_tokens?: number;
}

type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

/** One scripted answer of the fake. */
export type OpenAiStep =
  /** The structured answer: `content` is this value as JSON text. */
  | { kind: 'json'; value: unknown; finishReason?: FinishReason; usage?: OpenAiUsageScript; model?: string }
  /** `content` exactly as given (malformed JSON, prose, null). */
  | { kind: 'content'; content: string | null; finishReason?: FinishReason; usage?: OpenAiUsageScript }
  /** The model declined: `content: null`, `refusal` set. */
  | { kind: 'refusal'; refusal?: string; usage?: OpenAiUsageScript }
  /** The answer withheld by a content filter: `finish_reason: content_filter`. */
  | { kind: 'content_filter'; usage?: OpenAiUsageScript }
  /** Cut off at the token limit: the first half of `value`'s JSON, `finish_reason: length`. */
  | { kind: 'truncated'; value?: unknown; usage?: OpenAiUsageScript }
  /** An error answer `{error: {message, type, param, code}}`; `retryAfter` is the header's value. */
  | { kind: 'error'; status: number; type: string; code?: string | null; message?: string; retryAfter?: string }
  /** Waits `ms` before answering with `then` (default: the `respond` answer or `{}`, never a queued one); nothing once the client gave up. */
  | { kind: 'delay'; ms: number; then?: OpenAiStep }
  /** A 200 whose body is not valid JSON. */
  | { kind: 'malformed' }
  /** Drops the connection without an answer. */
  | { kind: 'reset' };

/** Ready-made failures, as OpenAI sends them. */
export const openAiFailures = {
  rateLimited: (retryAfterSeconds: number): OpenAiStep => ({
    kind: 'error',
    status: 429,
    type: 'requests',
    code: 'rate_limit_exceeded',
    message: 'Rate limit reached for requests',
    retryAfter: String(retryAfterSeconds),
  }),
  serverError: (): OpenAiStep => ({
    kind: 'error',
    status: 500,
    type: 'server_error',
    code: null,
    message: 'The server had an error while processing your request',
  }),
  overloaded: (): OpenAiStep => ({
    kind: 'error',
    status: 503,
    type: 'server_error',
    code: null,
    message: 'The engine is currently overloaded, please try again later',
  }),
  badRequest: (message = 'Invalid schema for response_format'): OpenAiStep => ({
    kind: 'error',
    status: 400,
    type: 'invalid_request_error',
    code: null,
    message,
  }),
};

export interface OpenAiFakeOptions {
  /** The bearer key requests must carry; `null` for a server without auth (a local Ollama). Default `sk-test-key`. */
  apiKey?: string | null;
  /** Check `json_schema.strict` schemas as OpenAI does (every property required, no additional ones). Default true. */
  strictSchemas?: boolean;
}

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

export class FakeOpenAi extends FakeHttpServer<OpenAiStep> {
  readonly apiKey: string | null;
  private readonly strictSchemas: boolean;

  private constructor(o: OpenAiFakeOptions) {
    super();
    this.apiKey = o.apiKey === undefined ? 'sk-test-key' : o.apiKey;
    this.strictSchemas = o.strictSchemas ?? true;
  }

  static start(o: OpenAiFakeOptions = {}): Promise<FakeOpenAi> {
    return new FakeOpenAi(o).listen();
  }

  /** What to give a client as `baseURL`. */
  get baseURL(): string {
    return `${this.url}/v1`;
  }

  /** The requests to `POST /v1/chat/completions`, bodies only. */
  get completions(): any[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path === '/v1/chat/completions').map((r) => r.body);
  }

  protected async handle(req: LoggedRequest, res: ServerResponse): Promise<void> {
    const requestId = randomId('req_', 16);
    const fail = (status: number, type: string, message: string, code: string | null = null, headers: Record<string, string> = {}) =>
      this.sendJson(res, status, { error: { message, type, param: null, code } }, { 'x-request-id': requestId, ...headers });

    if (req.path !== '/v1/chat/completions') return fail(404, 'invalid_request_error', `Invalid URL (${req.method} ${req.path})`, 'unknown_url');
    if (req.method !== 'POST') return fail(405, 'invalid_request_error', `Invalid method for URL (${req.method} ${req.path})`);
    if (this.apiKey !== null) {
      const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!key) return fail(401, 'invalid_request_error', "You didn't provide an API key.", 'missing_api_key');
      if (key !== this.apiKey) return fail(401, 'invalid_request_error', `Incorrect API key provided: ${key.slice(0, 3)}…${key.slice(-4)}.`, 'invalid_api_key');
    }
    const problem = requestProblem(req.body, this.strictSchemas);
    if (problem) return fail(400, 'invalid_request_error', problem);

    const step = await this.stepFor(req, res, { kind: 'json', value: {} });
    if (step === 'gone') return;
    if (!step) return fail(500, 'server_error', 'The fake has no scripted answer for this request');

    const body = req.body;
    const completion = (content: string | null, finish: FinishReason, u: OpenAiUsageScript | undefined, refusal: string | null = null, model?: string) => {
      const prompt = u?.prompt_tokens ?? Math.ceil(JSON.stringify(body.messages).length / 4);
      const completionTokens = u?.completion_tokens ?? Math.max(1, Math.ceil((content ?? refusal ?? '').length / 4));
      return {
        id: randomId('chatcmpl-'),
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: model ?? body.model,
        choices: [{ index: 0, message: { role: 'assistant', content, refusal, annotations: [] }, logprobs: null, finish_reason: finish }],
        usage: {
          prompt_tokens: prompt,
          completion_tokens: completionTokens,
          total_tokens: prompt + completionTokens,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
        },
        service_tier: 'default',
        system_fingerprint: randomId('fp_', 5),
      };
    };
    const ok = (c: unknown) => this.sendJson(res, 200, c, { 'x-request-id': requestId });

    switch (step.kind) {
      case 'json':
        return ok(completion(JSON.stringify(step.value), step.finishReason ?? 'stop', step.usage, null, step.model));
      case 'content':
        return ok(completion(step.content, step.finishReason ?? 'stop', step.usage));
      case 'refusal':
        return ok(completion(null, 'stop', step.usage, step.refusal ?? "I'm sorry, I can't help with that request."));
      case 'content_filter':
        return ok(completion(null, 'content_filter', step.usage));
      case 'truncated': {
        const text = JSON.stringify(step.value ?? { items: [{ title: 'A long answer', content: 'that goes on and on' }] });
        return ok(completion(text.slice(0, Math.ceil(text.length / 2)), 'length', step.usage));
      }
      case 'error':
        return fail(step.status, step.type, step.message ?? step.type, step.code ?? null, step.retryAfter ? { 'retry-after': step.retryAfter } : {});
      case 'malformed':
        return this.sendBroken(
          res,
          `{"id":"${randomId('chatcmpl-')}","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"{\\"it`,
          {
            'x-request-id': requestId,
          },
        );
      case 'reset':
        res.socket?.destroy();
        return;
    }
  }
}

/** What OpenAI would answer 400 for; undefined for a valid request. */
function requestProblem(body: any, strictSchemas: boolean): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'We could not parse the JSON body of your request.';
  if (typeof body.model !== 'string' || !body.model) return "Missing required parameter: 'model'.";
  if (!Array.isArray(body.messages) || body.messages.length === 0) return "Invalid 'messages': empty array. Expected an array with minimum length 1.";
  for (const [i, m] of body.messages.entries()) {
    if (!ROLES.has(m?.role)) return `Invalid value for 'messages[${i}].role'.`;
  }
  for (const p of ['max_tokens', 'max_completion_tokens']) {
    if (body[p] !== undefined && (!Number.isInteger(body[p]) || body[p] < 1)) return `Invalid '${p}': expected a positive integer.`;
  }
  const format = body.response_format;
  if (format !== undefined) {
    if (!['text', 'json_object', 'json_schema'].includes(format?.type)) return "Invalid value for 'response_format.type'.";
    if (format.type === 'json_schema') {
      const js = format.json_schema;
      if (typeof js?.name !== 'string' || !NAME.test(js.name)) return "Invalid 'response_format.json_schema.name': must match '^[a-zA-Z0-9_-]{1,64}$'.";
      if (!js.schema || typeof js.schema !== 'object') return "Missing required parameter: 'response_format.json_schema.schema'.";
      if (js.strict === true && strictSchemas) {
        const strict = strictProblem(js.schema, '');
        if (strict) return `Invalid schema for response_format '${js.name}': ${strict}`;
      }
    }
  }
  return undefined;
}

/** Structured outputs' rules for a strict schema: an object root, every property required, `additionalProperties: false`. */
function strictProblem(schema: any, path: string): string | undefined {
  if (path === '' && schema.type !== 'object') return 'schema must be a JSON Schema of \'type: "object"\'.';
  const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('object') && schema.properties) {
    if (schema.additionalProperties !== false) return `In context=(${path || 'root'}), 'additionalProperties' is required to be supplied and to be false.`;
    const required = new Set<string>(schema.required ?? []);
    for (const key of Object.keys(schema.properties)) {
      if (!required.has(key))
        return `In context=(${path || 'root'}), 'required' is required to be supplied and to be an array including every key in properties. Missing '${key}'.`;
      const inner = strictProblem(schema.properties[key], `${path}.properties.${key}`);
      if (inner) return inner;
    }
  }
  if (schema.items) return strictProblem(schema.items, `${path}.items`);
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
    for (const [i, s] of (schema[k] ?? []).entries()) {
      const inner = strictProblem(s, `${path}.${k}.${i}`);
      if (inner) return inner;
    }
  }
  return undefined;
}
