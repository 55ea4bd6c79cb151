import { z } from 'zod';
import { body, param, query, type RouteDefinition } from '@aida/core';
import type { Context } from 'koa';
import { ScriptInvalidError, ScriptNotFoundError, ScriptsBusyError, ScriptsDisabledError } from '../errors.js';
import { pagedSchema, pageFrom, pageQuery } from '../http/paging.js';
import type { UsersRepository } from '../identity/users.js';
import {
  deployBody,
  idParams,
  runBody,
  runStoredBody,
  runRecordJson,
  runRecordSchema,
  runResultSchema,
  scriptJson,
  scriptSchema,
  scriptWithSourceSchema,
} from './schema.js';
import type { ScriptService } from './service.js';
import type { ScriptRunRecord, StoredScript } from './store.js';

const admin = { role: 'admin' } as const;
const runsQuery = pageQuery({ defaultLimit: 50, maxLimit: 200 });
const DISABLED = [ScriptsDisabledError];

/**
 * `/api/scripts` (admin only; docs/notifications.md, Scripts). With `scripts.enabled: false`
 * (the default) every route answers 404 AIDA_SCRIPTS_DISABLED saying how to turn them on.
 */
export function scriptRoutes(service: ScriptService | undefined, users: UsersRepository): RouteDefinition[] {
  const on = (): ScriptService => {
    if (!service) {
      throw new ScriptsDisabledError(
        'Scripts are disabled on this instance: set `scripts.enabled: true` in config/instance.yaml and restart (docs/configuration.md, Scripts)',
      );
    }
    return service;
  };
  const email = (s: StoredScript) => users.get(s.ownerId)?.email ?? null;
  /** `owner` as an id or an email; the caller when absent. */
  const ownerOf = (ctx: Context, owner: string | undefined): string => {
    if (!owner) return ctx.state.user!.id;
    return (users.get(owner) ?? users.byEmail(owner))?.id ?? owner;
  };
  const json = (s: StoredScript, last: ScriptRunRecord | undefined) => scriptJson(s, email(s), last);
  // Documented the same whether scripts are on or off; off, each handler answers 404 first thing.
  return [
    {
      method: 'GET',
      path: '/api/scripts',
      access: admin,
      summary: 'The deployed scripts, by name, with how each last ran',
      output: { body: z.object({ scripts: z.array(scriptSchema), count: z.number().int() }), throws: DISABLED },
      async handler(ctx) {
        const s = on();
        const [scripts, last] = await Promise.all([s.list(), s.lastRuns()]);
        ctx.body = { scripts: scripts.map((x) => json(x, last.get(x.id))), count: scripts.length };
      },
    },
    {
      method: 'POST',
      path: '/api/scripts/deploy',
      access: admin,
      summary: 'Deploy a script (a JavaScript module run in the sandbox as its owner); the same name again replaces it',
      input: { body: deployBody },
      output: {
        status: 201,
        body: scriptWithSourceSchema,
        description: '201 for a new script, 200 when one of that name was replaced',
        errors: { 400: 'The source does not compile (detail.line), imports something, or the owner, schedule or a channel is unknown' },
        throws: [...DISABLED, ScriptInvalidError],
      },
      async handler(ctx) {
        const s = on();
        const b = body(ctx, deployBody);
        const { script, created } = await s.deploy(
          {
            name: b.name,
            source: b.source,
            ownerId: ownerOf(ctx, b.owner),
            schedule: b.schedule ?? null,
            channels: b.channels ?? null,
            params: b.params ?? {},
          },
          ctx.state.user!.id,
        );
        ctx.status = created ? 201 : 200;
        ctx.body = { ...json(script, undefined), source: script.source };
      },
    },
    {
      method: 'POST',
      path: '/api/scripts/run',
      access: admin,
      summary: 'Run source once without storing it (delivered only with deliver: true)',
      input: { body: runBody },
      output: { body: runResultSchema, throws: [...DISABLED, ScriptsBusyError] },
      async handler(ctx) {
        const s = on();
        const b = body(ctx, runBody);
        ctx.body = await s.runAdHoc({
          source: b.source,
          params: b.params ?? {},
          ownerId: ownerOf(ctx, b.owner),
          deliver: b.deliver,
          channels: b.channels ?? null,
        });
      },
    },
    {
      method: 'GET',
      path: '/api/scripts/:id',
      access: admin,
      summary: 'One script with its source',
      input: { params: idParams },
      output: { body: scriptWithSourceSchema, throws: [...DISABLED, ScriptNotFoundError] },
      async handler(ctx) {
        const s = on();
        const script = await s.require(param(ctx, idParams).id);
        ctx.body = { ...json(script, (await s.lastRuns()).get(script.id)), source: script.source };
      },
    },
    {
      method: 'POST',
      path: '/api/scripts/:id/run',
      access: admin,
      summary: "Run a script now; what it says goes to its owner's channels, and the run is recorded",
      input: { params: idParams, body: runStoredBody },
      output: { body: runResultSchema, throws: [...DISABLED, ScriptNotFoundError, ScriptsBusyError] },
      async handler(ctx) {
        const s = on();
        const script = await s.require(param(ctx, idParams).id);
        const b = body(ctx, runStoredBody);
        ctx.body = await s.runStored(b.params ? { ...script, params: b.params } : script, 'manual');
      },
    },
    {
      method: 'GET',
      path: '/api/scripts/:id/runs',
      access: admin,
      summary: "A script's runs, newest first",
      input: { params: idParams, query: runsQuery },
      output: { body: pagedSchema('runs', runRecordSchema), throws: [...DISABLED, ScriptNotFoundError] },
      async handler(ctx) {
        const s = on();
        const script = await s.require(param(ctx, idParams).id);
        const q = query(ctx, runsQuery);
        const { items, total } = await s.runs(script.id, q);
        ctx.body = pageFrom('runs', items.map(runRecordJson), total, q);
      },
    },
    {
      method: 'DELETE',
      path: '/api/scripts/:id',
      access: admin,
      summary: 'Delete a script, its schedule and its run history',
      input: { params: idParams },
      output: { status: 204, throws: [...DISABLED, ScriptNotFoundError] },
      async handler(ctx) {
        await on().remove(param(ctx, idParams).id);
        ctx.status = 204;
      },
    },
  ];
}
