import { createReadStream, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { z } from 'zod';
import {
  InputError,
  NotFoundError,
  param,
  type AnswerDoc,
  type BodyType,
  type ErrorStatus,
  type RouteDefinition,
  type RouteInput,
  type RouteOutput,
  type SuccessStatus,
} from '@aida/core';

type JsonSchema = Record<string, unknown>;

const ERROR_REF = { $ref: '#/components/schemas/Error' };

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['code', 'message', 'detail'],
  properties: {
    code: { type: 'string', description: 'Stable code a client may switch on', examples: [InputError.code, NotFoundError.code] },
    message: { type: 'string', description: 'What went wrong, in words for people' },
    detail: {
      description: 'More about the error, or null. Bad input (400, and the 422 of register-table) always has `issues`, one entry per problem',
      anyOf: [
        { type: 'null' },
        { type: 'object', properties: { issues: { type: 'array', items: { $ref: '#/components/schemas/InputIssue' } } } },
        { type: 'array' },
        { type: 'string' },
      ],
    },
  },
};

const INPUT_ISSUE_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['field', 'message'],
  properties: {
    field: { type: 'string', description: "The field's dotted path (`a.b`), or empty for the request as a whole" },
    message: { type: 'string' },
  },
};

/** What each error status means when a route does not say more. */
const ERROR_MEANING: Record<ErrorStatus, string> = {
  400: 'The request is invalid (including a body that is not JSON); `detail.issues` names each problem',
  401: 'No valid session or token',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflicts with the current state',
  413: 'The body is larger than the host accepts',
  415: 'Unsupported media type',
  416: 'The range is outside the file',
  422: 'The input is invalid; `detail.issues` names each problem',
  429: 'Too many attempts; `Retry-After` says when to try again',
  503: 'Not available right now; try again shortly',
};

function schemaOf(s: z.ZodType): JsonSchema {
  // Documented as clients send (and may receive) them: fields with defaults are optional, and
  // objects stay open (output mode would close every answer to fields added later).
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function queryParameters(s: z.ZodType): JsonSchema[] {
  const js = schemaOf(s) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, { description, ...schema }]) => ({
    name,
    in: 'query',
    required: js.required?.includes(name) ?? false,
    ...(description ? { description } : {}),
    schema,
  }));
}

/** Every `:name` of the path, with its schema from `input.params` when the route declares one. */
function pathParameters(path: string, params: z.ZodType | undefined): JsonSchema[] {
  const declared = (params ? schemaOf(params) : {}) as { properties?: Record<string, JsonSchema> };
  return [...path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map(([, name]) => {
    const { description, ...schema } = declared.properties?.[name] ?? { type: 'string' };
    return { name, in: 'path', required: true, ...(description ? { description } : {}), schema };
  });
}

const MEDIA_OF: Record<BodyType, string> = { json: 'application/json', form: 'application/x-www-form-urlencoded' };

function requestBody(input: RouteInput): JsonSchema | undefined {
  if (input.file) {
    const file = { type: 'string', format: 'binary', description: input.file };
    return {
      required: true,
      description: `${input.file}: a multipart form's \`file\` field, or the raw bytes`,
      content: {
        'multipart/form-data': { schema: { type: 'object', required: ['file'], properties: { file } } },
        'application/octet-stream': { schema: file },
      },
    };
  }
  if (!input.body) return undefined;
  const schema = schemaOf(input.body);
  // The host reads a missing body as `{}`: a schema that accepts `{}` makes the body optional.
  const required = !input.body.safeParse({}).success;
  return { required, content: Object.fromEntries((input.bodyTypes ?? ['json']).map((t) => [MEDIA_OF[t], { schema }])) };
}

function mediaSchema(type: string): JsonSchema {
  return /^text\/|json|csv/.test(type) ? { type: 'string' } : { type: 'string', format: 'binary' };
}

/** One answer: JSON with the body's schema and/or the listed media types; none for 204 and 304. */
function answer(status: number, doc: AnswerDoc): JsonSchema {
  if (status === 204 || status === 304) return { description: doc.description };
  if (status === 302 || status === 303)
    return { description: doc.description, headers: { Location: { description: 'Where to go next', schema: { type: 'string' } } } };
  const content: Record<string, JsonSchema> = {};
  if (doc.body) content['application/json'] = { schema: schemaOf(doc.body) };
  for (const type of doc.media ?? []) content[type] ??= { schema: mediaSchema(type) };
  return { description: doc.description, ...(Object.keys(content).length ? { content } : {}) };
}

/** The main success answer, then the others the route declares, each with its own schema. */
function successResponses(output: RouteOutput): Record<string, JsonSchema> {
  const status = output.status ?? 200;
  const defaults: Record<SuccessStatus, string> = {
    200: 'OK',
    201: 'Created',
    202: 'Accepted',
    204: 'Done; no body',
    302: 'A redirect to the next page',
    303: 'Done; a redirect back to the page',
  };
  const out: Record<string, JsonSchema> = { [status]: answer(status, { ...output, description: output.description ?? defaults[status] }) };
  for (const [other, doc] of Object.entries(output.others ?? {})) out[other] = answer(Number(other), doc);
  return out;
}

function errorResponses(r: RouteDefinition): Record<string, JsonSchema> {
  const described: Partial<Record<ErrorStatus, string>> = {};
  // Not for params alone: a path parameter schema mostly describes; a route whose params can fail lists its 400.
  if (r.input?.body || r.input?.query || r.input?.file) described[400] = ERROR_MEANING[400];
  if (r.input?.body || r.input?.file) described[413] = ERROR_MEANING[413];
  if (r.access !== 'public') {
    described[401] = ERROR_MEANING[401];
    described[403] = `Needs the ${r.access.role} role${r.access.role === 'viewer' ? '' : ' or above'}, or access to the resource`;
  }
  Object.assign(described, r.output?.errors);
  // Thrown classes name their code under their status: "`AIDA_TABLE_NOT_FOUND`: No such table".
  const codes = new Map<number, string[]>();
  for (const kind of r.output?.throws ?? []) codes.set(kind.status, [...(codes.get(kind.status) ?? []), `\`${kind.code}\`: ${kind.defaultMessage}`]);
  const statuses = [...new Set([...Object.keys(described).map(Number), ...codes.keys()])].sort((a, b) => a - b);
  const out: Record<string, JsonSchema> = {};
  for (const status of statuses) {
    const parts = [described[status as ErrorStatus], ...(codes.get(status) ?? [])].filter(Boolean);
    out[String(status)] = {
      description: parts.length ? parts.join('; ') : ERROR_MEANING[status as ErrorStatus],
      ...(status === 429 ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } } : {}),
      content: { 'application/json': { schema: ERROR_REF } },
    };
  }
  return out;
}

/**
 * The OpenAPI 3.1 document of every route, host and plugins alike, generated from the same
 * zod schemas the host validates requests with (`RouteDefinition.input`) and the answers
 * the routes declare (`RouteDefinition.output`).
 */
export function buildOpenApi(routes: readonly RouteDefinition[], info: { title: string; version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of routes) {
    if (!r.path.startsWith('/api/') && !r.path.startsWith('/auth/') && !r.path.startsWith('/webhooks/')) continue;
    const path = r.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
    const body = r.input ? requestBody(r.input) : undefined;
    const op: JsonSchema = {
      summary: r.summary ?? `${r.method} ${r.path}`,
      tags: r.tags ?? [r.path.split('/')[r.path.startsWith('/api/') ? 2 : 1] ?? 'root'],
      operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      parameters: [...pathParameters(r.path, r.input?.params), ...(r.input?.query ? queryParameters(r.input.query) : [])],
      ...(body ? { requestBody: body } : {}),
      responses: { ...successResponses(r.output ?? {}), ...errorResponses(r) },
      security: r.access === 'public' ? [] : [{ bearerAuth: [] }, { cookieAuth: [] }],
      ...(r.access === 'public' ? {} : { 'x-aida-role': r.access.role }),
    };
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: info.title,
      version: info.version,
      description:
        'The AIDA REST API. Errors are JSON `{code, message, detail}`; bad input is 400 `AIDA_INPUT_INVALID` with `detail.issues`. Lists take `limit` and `offset` and answer `total`.',
    },
    servers: [{ url: '/', description: 'This AIDA host' }],
    paths,
    components: {
      schemas: { Error: ERROR_SCHEMA, InputIssue: INPUT_ISSUE_SCHEMA },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A session JWT from /auth/token or a personal access token' },
        cookieAuth: { type: 'apiKey', in: 'cookie', name: 'access_token' },
      },
    },
  };
}

const ASSETS = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const assetParams = z.object({ file: z.string().meta({ description: 'A file of the swagger-ui-dist package, or docs-init.js' }) });
const ASSET_TYPES: Record<string, string> = { '.css': 'text/css', '.js': 'application/javascript', '.png': 'image/png', '.map': 'application/json' };

/** `/api/openapi.json` and a docs page at `/api/docs` whose assets come from the swagger-ui-dist package, served locally. */
export function openApiRoutes(document: () => JsonSchema): RouteDefinition[] {
  // One text per mount point: an app that mounts the host under `/data` serves it there.
  const cached = new Map<string, string>();
  return [
    {
      method: 'GET',
      path: '/api/openapi.json',
      access: 'public',
      summary: 'This API described as an OpenAPI 3.1 document',
      tags: ['docs'],
      output: { body: z.looseObject({ openapi: z.literal('3.1.0'), paths: z.record(z.string(), z.unknown()) }), description: 'The OpenAPI document' },
      handler(ctx) {
        const mount = ctx.originalUrl.split('?')[0].slice(0, -ctx.path.length || undefined);
        let text = cached.get(mount);
        if (text === undefined) {
          const doc = document();
          text = JSON.stringify(mount ? { ...doc, servers: [{ url: mount, description: 'This AIDA host' }] } : doc);
          if (cached.size < 16) cached.set(mount, text);
        }
        ctx.type = 'application/json';
        ctx.body = text;
      },
    },
    {
      method: 'GET',
      path: '/api/docs',
      access: 'public',
      summary: 'Browse and try this API in Swagger UI',
      tags: ['docs'],
      output: { media: ['text/html'], description: 'The Swagger UI page' },
      handler(ctx) {
        ctx.type = 'text/html';
        ctx.body = `<!doctype html><html><head><meta charset="utf-8"><title>AIDA API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head><body><div id="ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/docs-init.js"></script></body></html>`;
      },
    },
    {
      method: 'GET',
      path: '/api/docs/assets/:file',
      access: 'public',
      summary: 'A script, style sheet or image of the docs page',
      tags: ['docs'],
      input: { params: assetParams },
      output: { media: ['application/javascript', 'text/css', 'image/png'], errors: { 404: 'No such asset' } },
      handler(ctx) {
        const { file } = param(ctx, assetParams);
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
