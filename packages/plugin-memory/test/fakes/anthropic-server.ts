/**
 * A local Anthropic Messages API (`POST /v1/messages`, API version 2026-10-21) for tests: it
 * checks requests as the real API does (auth, version header, required fields, tools and a
 * forced `tool_choice`), answers with the real message shape, and plays scripted failures.
 */
import type { ServerResponse } from 'node:http';
import { FakeHttpServer, randomId, type LoggedRequest } from './http-fake.js';

export interface AnthropicUsageScript {
  input_tokens?: number;
  output_tokens?: number;
}

/** One scripted answer of the fake. */
export type AnthropicStep =
  /** A `tool_use` block with this input (the structured answer); stop_reason `tool_use` unless said. */
  | { kind: 'tool_use'; input: unknown; stopReason?: 'tool_use' | 'end_turn' | 'max_tokens'; usage?: AnthropicUsageScript; model?: string }
  /** Only a text block: a model that did not call the tool. */
  | { kind: 'text'; text: string; stopReason?: 'end_turn' | 'max_tokens'; usage?: AnthropicUsageScript }
  /** `stop_reason: refusal`, with `stop_details` naming the category. */
  | { kind: 'refusal'; category?: string | null; usage?: AnthropicUsageScript }
  /** Cut off at `max_tokens` inside the tool call: the input is what was generated so far. */
  | { kind: 'truncated'; input?: unknown; usage?: AnthropicUsageScript }
  /** An error answer `{type: 'error', error: {type, message}}`; `retryAfter` is the header's value (seconds or an HTTP date). */
  | { kind: 'error'; status: number; type: string; message?: string; retryAfter?: string }
  /** Waits `ms` before answering with `then` (default: the `respond` answer or an empty tool call, never a queued one); nothing once the client gave up. */
  | { kind: 'delay'; ms: number; then?: AnthropicStep }
  /** A 200 whose body is not valid JSON. */
  | { kind: 'malformed' }
  /** Drops the connection without an answer. */
  | { kind: 'reset' };

/** Ready-made failures, as the real API sends them. */
export const anthropicFailures = {
  rateLimited: (retryAfterSeconds: number): AnthropicStep => ({
    kind: 'error',
    status: 429,
    type: 'rate_limit_error',
    message: 'Number of request tokens has exceeded your per-minute rate limit',
    retryAfter: String(retryAfterSeconds),
  }),
  overloaded: (): AnthropicStep => ({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' }),
  apiError: (): AnthropicStep => ({ kind: 'error', status: 500, type: 'api_error', message: 'Internal server error' }),
  invalidRequest: (message = 'messages: at least one message is required'): AnthropicStep => ({
    kind: 'error',
    status: 400,
    type: 'invalid_request_error',
    message,
  }),
};

export interface AnthropicFakeOptions {
  /** The key requests must carry (`x-api-key` or `Authorization: Bearer`); default `sk-ant-test-key`. */
  apiKey?: string;
}

const VERSIONS = new Set(['2023-06-01', '2026-10-21']);
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

export class FakeAnthropic extends FakeHttpServer<AnthropicStep> {
  readonly apiKey: string;

  private constructor(o: AnthropicFakeOptions) {
    super();
    this.apiKey = o.apiKey ?? 'sk-ant-test-key';
  }

  static start(o: AnthropicFakeOptions = {}): Promise<FakeAnthropic> {
    return new FakeAnthropic(o).listen();
  }

  /** The requests to `POST /v1/messages`, bodies only. */
  get messages(): any[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path === '/v1/messages').map((r) => r.body);
  }

  protected async handle(req: LoggedRequest, res: ServerResponse): Promise<void> {
    const requestId = randomId('req_');
    const fail = (status: number, type: string, message: string, headers: Record<string, string> = {}) =>
      this.sendJson(res, status, { type: 'error', error: { type, message }, request_id: requestId }, { 'request-id': requestId, ...headers });

    if (req.path !== '/v1/messages') return fail(404, 'not_found_error', `Not found: ${req.path}`);
    if (req.method !== 'POST') return fail(405, 'invalid_request_error', `Method ${req.method} not allowed`);
    const key = req.headers['x-api-key'] ?? /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (key !== this.apiKey) return fail(401, 'authentication_error', 'invalid x-api-key');
    const version = req.headers['anthropic-version'];
    if (!version) return fail(400, 'invalid_request_error', 'anthropic-version: header is required');
    if (!VERSIONS.has(version)) return fail(400, 'invalid_request_error', `anthropic-version: unknown version ${version}`);
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return fail(400, 'invalid_request_error', 'content-type must be application/json');
    const problem = requestProblem(req.body, version);
    if (problem) return fail(400, 'invalid_request_error', problem);

    const step = await this.stepFor(req, res, { kind: 'tool_use', input: {} });
    if (step === 'gone') return;
    if (!step) return fail(500, 'api_error', 'The fake has no scripted answer for this request');

    const body = req.body;
    const toolName: string = body.tool_choice?.name ?? body.tools?.[0]?.name ?? 'answer';
    const inputTokens = (u?: AnthropicUsageScript) => u?.input_tokens ?? Math.ceil(JSON.stringify(body).length / 4);
    const message = (content: unknown[], stopReason: string, u: AnthropicUsageScript | undefined, output: unknown, extra: Record<string, unknown> = {}) => ({
      id: randomId('msg_'),
      type: 'message',
      role: 'assistant',
      model: body.model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      stop_details: null,
      container: null,
      usage: {
        input_tokens: inputTokens(u),
        output_tokens: u?.output_tokens ?? Math.max(1, Math.ceil(JSON.stringify(output ?? '').length / 4)),
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        cache_creation: null,
        server_tool_use: null,
        service_tier: 'standard',
      },
      ...extra,
    });
    const toolUse = (input: unknown) => ({ type: 'tool_use', id: randomId('toolu_'), name: toolName, input, caller: { type: 'direct' } });
    const ok = (m: unknown) => this.sendJson(res, 200, m, { 'request-id': requestId });

    switch (step.kind) {
      case 'tool_use':
        return ok({ ...message([toolUse(step.input)], step.stopReason ?? 'tool_use', step.usage, step.input), ...(step.model ? { model: step.model } : {}) });
      case 'text':
        return ok(message([{ type: 'text', text: step.text, citations: null }], step.stopReason ?? 'end_turn', step.usage, step.text));
      case 'refusal':
        return ok(
          message([], 'refusal', step.usage, '', {
            stop_details: { type: 'refusal', category: step.category === undefined ? 'general_harms' : step.category, explanation: null },
          }),
        );
      case 'truncated':
        return ok(message([toolUse(step.input ?? {})], 'max_tokens', step.usage, step.input));
      case 'error':
        return fail(step.status, step.type, step.message ?? step.type, step.retryAfter ? { 'retry-after': step.retryAfter } : {});
      case 'malformed':
        return this.sendBroken(res, `{"id":"${randomId('msg_')}","type":"message","role":"assistant","content":[{"type":"tool_use","input":{"items":[`, {
          'request-id': requestId,
        });
      case 'reset':
        res.socket?.destroy();
        return;
    }
  }
}

/** What the real API would answer 400 for, in its words; undefined for a valid request. */
function requestProblem(body: any, version: string): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'The request body is not valid JSON';
  if (typeof body.model !== 'string' || !body.model) return 'model: Field required';
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) return 'max_tokens: Field required (a positive integer)';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: at least one message is required';
  for (const [i, m] of body.messages.entries()) {
    if (m?.role !== 'user' && m?.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (typeof m.content !== 'string' && !Array.isArray(m.content)) return `messages.${i}.content: Input should be a string or a list of content blocks`;
  }
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system))
    return 'system: Input should be a string or a list of text blocks';
  if (version === '2026-10-21') {
    for (const p of ['temperature', 'top_p', 'top_k']) if (p in body) return `${p}: Extra inputs are not permitted`;
  }
  const names = new Set<string>();
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return 'tools: Input should be a valid list';
    for (const [i, t] of body.tools.entries()) {
      if (typeof t?.name !== 'string' || !TOOL_NAME.test(t.name)) return `tools.${i}.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
      if (t.input_schema?.type !== 'object') return `tools.${i}.input_schema.type: Input should be 'object'`;
      names.add(t.name);
    }
  }
  const choice = body.tool_choice;
  if (choice !== undefined) {
    if (!['auto', 'any', 'tool', 'none'].includes(choice?.type)) return "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'";
    if (choice.type === 'tool' && !names.has(choice.name)) return `tool_choice.name: no tool named ${JSON.stringify(choice.name)} in tools`;
  }
  return undefined;
}
