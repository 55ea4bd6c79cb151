import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { body, defineError, definePlugin, NotFoundError, param, tokens } from '@aida/core';
import { startTestHost, type TestHost } from '@aida/host/testing';

let parses = 0;
const echoBody = z.object({ word: z.string().min(2), times: z.number().int().default(1) }).transform((b) => {
  parses++;
  return b;
});
const wordParams = z.object({ word: z.string().min(2).meta({ description: 'The word to look up' }) });
const UnknownWordError = defineError('ECHO_UNKNOWN_WORD', 404, 'No such word', NotFoundError);
const echoPlugin = definePlugin({
  id: 'echo',
  kind: 'extension',
  config: z.object({}),
  deps: { routes: tokens.routes },
  init({ routes }) {
    routes.add({
      method: 'POST',
      path: '/api/echo/say',
      access: { role: 'analyst' },
      summary: 'Repeat a word',
      input: { body: echoBody },
      handler(ctx) {
        const b = body(ctx, echoBody);
        ctx.body = { said: Array(b.times).fill(b.word).join(' ') };
      },
    });
    routes.add({
      method: 'GET',
      path: '/api/echo/words/:word',
      access: 'public',
      summary: 'Look a word up',
      input: { params: wordParams },
      output: {
        body: z.object({ word: z.string() }),
        others: { 202: { description: 'Looked up later', body: z.object({ queued: z.literal(true) }) } },
        errors: { 400: 'Shorter than two letters' },
        throws: [UnknownWordError],
      },
      handler(ctx) {
        const { word } = param(ctx, wordParams);
        if (word === 'nope') throw new UnknownWordError();
        ctx.body = { word };
      },
    });
  },
});

let t: TestHost;
let doc: any;
beforeAll(async () => {
  t = await startTestHost({ plugins: [echoPlugin] });
  doc = await (await t.request('/api/openapi.json')).json();
});
afterAll(() => t?.stop());

describe('OpenAPI', () => {
  it('is an OpenAPI 3.1 document of host and plugin routes, with request schemas from the validating zod schemas', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/api/users'].post.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      properties: { email: { type: 'string' }, role: expect.any(Object) },
      required: ['email'],
    });
    const echo = doc.paths['/api/echo/say'].post;
    expect(echo.summary).toBe('Repeat a word');
    expect(echo.requestBody.content['application/json'].schema).toMatchObject({
      properties: { word: { type: 'string', minLength: 2 }, times: { type: 'integer', default: 1 } },
      required: ['word'],
    });
    expect(echo['x-aida-role']).toBe('analyst');
    expect(doc.paths['/api/admin/register-table'].post.responses['422']).toBeDefined();
    expect(doc.paths['/api/data/{table}/download'].get.parameters).toEqual([
      { name: 'table', in: 'path', required: true, description: expect.stringMatching(/table/), schema: { type: 'string' } },
      { name: 'part', in: 'query', required: false, description: expect.stringMatching(/part/), schema: { type: 'string' } },
    ]);
    expect(doc.paths['/api/admin/audit'].get.parameters.map((p: { name: string }) => p.name)).toEqual([
      'user_id',
      'action',
      'since',
      'until',
      'limit',
      'offset',
    ]);
    expect(doc.paths['/api/health'].get.security).toEqual([]);
    const ids = Object.values(doc.paths).flatMap((p: any) => Object.values(p).map((op: any) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('the host validates a declared body once, before the handler runs, and the handler reads that value', async () => {
    const boot = await (
      await t.request('/auth/bootstrap', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'a@example.com', password: 'password-123' }),
      })
    ).json();
    const say = (body: unknown) =>
      t.request('/api/echo/say', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${boot.access_token}` },
        body: JSON.stringify(body),
      });
    const bad = await say({ word: 'x' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/word/);
    parses = 0;
    expect(await (await say({ word: 'hey', times: 2 })).json()).toEqual({ said: 'hey hey' });
    expect(parses).toBe(1);
  });

  it('path parameters are validated and documented with their schema; other answers and thrown codes appear under their status', async () => {
    const op = doc.paths['/api/echo/words/{word}'].get;
    expect(op.parameters).toEqual([{ name: 'word', in: 'path', required: true, description: 'The word to look up', schema: { type: 'string', minLength: 2 } }]);
    expect(op.responses['202'].content['application/json'].schema).toMatchObject({ properties: { queued: { const: true } } });
    expect(op.responses['404'].description).toBe('`ECHO_UNKNOWN_WORD`: No such word');
    const short = await t.request('/api/echo/words/x');
    expect(short.status).toBe(400);
    expect(await short.json()).toMatchObject({ code: 'AIDA_INPUT_INVALID', detail: { issues: [{ field: 'word' }] } });
    expect(await (await t.request('/api/echo/words/hello')).json()).toEqual({ word: 'hello' });
    const unknown = await t.request('/api/echo/words/nope');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ code: 'ECHO_UNKNOWN_WORD', message: 'No such word', detail: null });
  });

  it('serves the docs page and its assets from the local package', async () => {
    const html = await (await t.request('/api/docs')).text();
    expect(html).toContain('/api/docs/assets/swagger-ui-bundle.js');
    const js = await t.request('/api/docs/assets/swagger-ui-bundle.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect((await t.request('/api/docs/assets/..%2Fpackage.json')).status).toBe(404);
  });
});
