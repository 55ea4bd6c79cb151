import { z } from 'zod';
import type { RouteDefinition } from '@aida/core';
import { body, param } from '../http/body.js';
import type { DataContext } from './context.js';

const admin = { role: 'admin' } as const;

const fields = {
  name: z.string(),
  folder: z.string().nullable(),
  sync_strategy: z.enum(['full_refresh', 'incremental', 'partitioned']),
  primary_key: z.string().nullable(),
  description: z.string().nullable(),
  source_type: z.string().nullable(),
  bucket: z.string().nullable(),
  source_table: z.string().nullable(),
  query_mode: z.enum(['local', 'remote']),
  sync_schedule: z.string().nullable(),
  profile_after_sync: z.boolean(),
  is_public: z.boolean(),
};
export const registerTableSchema = z.object(fields).partial().strict();

/** The table registry (admin): discover what connectors see, register, update, delete. */
export function registryRoutes(ctx: DataContext): RouteDefinition[] {
  return [
    {
      method: 'GET', path: '/api/admin/discover-tables', access: admin, summary: 'Tables the configured connectors can see',
      async handler(c) {
        const out: Record<string, unknown>[] = [];
        const errors: { source: string; error: string }[] = [];
        for (const connector of ctx.connectors()) {
          try {
            for (const t of await connector.discover()) {
              out.push({ ...t, source: connector.source, source_type: connector.sourceType, registered: Boolean(ctx.registry.get(t.name)) });
            }
          } catch (e) {
            errors.push({ source: connector.source, error: (e as Error).message });
          }
        }
        c.body = { tables: out, count: out.length, errors };
      },
    },
    { method: 'GET', path: '/api/admin/registry', access: admin, handler(c) { const tables = ctx.registry.list(); c.body = { tables, count: tables.length }; } },
    {
      method: 'POST', path: '/api/admin/register-table', access: admin, summary: 'Register a table; id = name trimmed, lower-cased, spaces → _',
      input: { body: registerTableSchema, invalidStatus: 422 },
      async handler(c) {
        const b = body(c, registerTableSchema, { status: 422 });
        if (b.sync_schedule) ctx.validateSchedule(b.sync_schedule);
        c.status = 201;
        c.body = await ctx.registry.register(b, c.state.user!.id);
        await ctx.tableSchedulesChanged();
      },
    },
    {
      method: 'PUT', path: '/api/admin/registry/:id', access: admin, summary: 'Update a registered table', input: { body: registerTableSchema, invalidStatus: 422 },
      async handler(c) {
        const b = body(c, registerTableSchema, { status: 422 });
        if (b.sync_schedule) ctx.validateSchedule(b.sync_schedule);
        c.body = await ctx.registry.update(param(c, 'id'), b);
        await ctx.tableSchedulesChanged();
      },
    },
    {
      method: 'DELETE', path: '/api/admin/registry/:id', access: admin,
      async handler(c) {
        await ctx.registry.delete(param(c, 'id'));
        await ctx.tableSchedulesChanged();
        c.status = 204;
      },
    },
  ];
}
