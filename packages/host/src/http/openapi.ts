import { createReadStream, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { z } from 'zod';
import { NotFoundError, type RouteDefinition } from '@aida/core';

type JsonSchema = Record<string, unknown>;

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['code', 'message', 'detail'],
  properties: { code: { type: 'string', examples: ['AIDA_NOT_FOUND'] }, message: { type: 'string' }, detail: {} },
};

function schemaOf(s: z.ZodType): JsonSchema {
  // Request schemas are documented as clients send them: fields with defaults are optional.
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function queryParameters(s: z.ZodType): JsonSchema[] {
  const js = schemaOf(s) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, schema]) => ({ name, in: 'query', required: js.required?.includes(name) ?? false, schema }));
}

/**
 * The OpenAPI 3.1 document of every route, host and plugins alike, generated from the same
 * zod schemas the host validates requests with (`RouteDefinition.input`).
 */
export function buildOpenApi(routes: readonly RouteDefinition[], info: { title: string; version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of routes) {
    if (!r.path.startsWith('/api/') && !r.path.startsWith('/auth/') && !r.path.startsWith('/webhooks/')) continue;
    const path = r.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
    const pathParams = [...r.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const errors: Record<string, JsonSchema> = {};
    const err = (code: string, description: string) => (errors[code] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
    if (r.input?.body || r.input?.query) err(String(r.input.invalidStatus ?? 400), 'The request is invalid; the message names each field');
    if (r.access !== 'public') {
      err('401', 'No valid session or token');
      err('403', `Needs the ${r.access.role} role or access to the resource`);
    }
    const op: JsonSchema = {
      summary: r.summary ?? `${r.method} ${r.path}`,
      tags: r.tags ?? [r.path.split('/')[r.path.startsWith('/api/') ? 2 : 1] ?? 'root'],
      operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      parameters: [...pathParams, ...(r.input?.query ? queryParameters(r.input.query) : [])],
      responses: { '200': { description: 'Success' }, ...errors },
      security: r.access === 'public' ? [] : [{ bearerAuth: [] }, { cookieAuth: [] }],
      ...(r.access === 'public' ? {} : { 'x-aida-role': r.access.role }),
      ...(r.input?.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(r.input.body) } } } } : {}),
    };
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: 'The AIDA REST API. Errors are JSON {code, message, detail}.' },
    paths,
    components: {
      schemas: { Error: ERROR_SCHEMA },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A session JWT from /auth/token or a personal access token' },
        cookieAuth: { type: 'apiKey', in: 'cookie', name: 'access_token' },
      },
    },
  };
}

const ASSETS = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const ASSET_TYPES: Record<string, string> = { '.css': 'text/css', '.js': 'application/javascript', '.png': 'image/png', '.map': 'application/json' };

/** `/api/openapi.json` and a docs page at `/api/docs` whose assets come from the swagger-ui-dist package, served locally. */
export function openApiRoutes(document: () => JsonSchema): RouteDefinition[] {
  let cached: string | undefined;
  return [
    {
      method: 'GET', path: '/api/openapi.json', access: 'public', summary: 'This API as OpenAPI 3.1', tags: ['docs'],
      handler(ctx) {
        cached ??= JSON.stringify(document());
        ctx.type = 'application/json';
        ctx.body = cached;
      },
    },
    {
      method: 'GET', path: '/api/docs', access: 'public', summary: 'Interactive API documentation', tags: ['docs'],
      handler(ctx) {
        ctx.type = 'text/html';
        ctx.body = `<!doctype html><html><head><meta charset="utf-8"><title>AIDA API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head><body><div id="ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/docs-init.js"></script></body></html>`;
      },
    },
    {
      method: 'GET', path: '/api/docs/assets/:file', access: 'public', tags: ['docs'],
      handler(ctx) {
        const file = String((ctx as unknown as { params: { file: string } }).params.file);
        if (file === 'docs-init.js') {
          // Inline scripts would need a CSP exception; a served file does not.
          ctx.type = 'application/javascript';
          ctx.body = "window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#ui', withCredentials: true });";
          return;
        }
        const type = ASSET_TYPES[extname(file)];
        const path = join(ASSETS, file);
        if (!type || !/^[A-Za-z0-9._-]+$/.test(file) || !existsSync(path)) throw new NotFoundError(`No docs asset ${file}`);
        ctx.type = type;
        ctx.set('Cache-Control', 'public, max-age=86400');
        ctx.body = createReadStream(path);
      },
    },
  ];
}
