import { z } from 'zod';
import { body, param, query, type RouteDefinition } from '@aida/core';
import { pagedSchema, pageOf, pageQuery } from '../http/paging.js';
import type { DataContext } from './context.js';
import { discoveredSchema, registryEntrySchema } from './schemas.js';

const admin = { role: 'admin' } as const;
const tableParams = z.object({ id: z.string().meta({ description: 'The table id, as the registry has it' }) });

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
const listQuery = pageQuery();

/** The table registry (admin): discover what connectors see, register, update, delete. */
export function registryRoutes(ctx: DataContext): RouteDefinition[] {
  return [
    {
      method: 'GET', path: '/api/admin/discover-tables', access: admin, summary: 'Tables the configured connectors can see, registered or not',
      output: { body: discoveredSchema },
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
    {
      method: 'GET', path: '/api/admin/registry', access: admin, summary: 'Registered tables, by id', input: { query: listQuery }, output: { body: pagedSchema('tables', registryEntrySchema) },
      handler(c) {
        c.body = pageOf('tables', ctx.registry.list(), query(c, listQuery));
      },
    },
    {
      method: 'POST', path: '/api/admin/register-table', access: admin, summary: 'Register a table; id = name trimmed, lower-cased, spaces → _',
      input: { body: registerTableSchema },
      output: { status: 201, body: registryEntrySchema, errors: { 409: 'A table with that id is registered', 422: 'The name is empty' } },
      async handler(c) {
        const b = body(c, registerTableSchema);
        if (b.sync_schedule) ctx.validateSchedule(b.sync_schedule);
        c.status = 201;
        c.body = await ctx.registry.register(b, c.state.user!.id);
        await ctx.tableSchedulesChanged();
      },
    },
    {
      method: 'PUT', path: '/api/admin/registry/:id', access: admin, summary: "Change a registered table's fields (e.g. is_public)", input: { params: tableParams, body: registerTableSchema },
      output: { body: registryEntrySchema, errors: { 404: 'No such table is registered' } },
      async handler(c) {
        const b = body(c, registerTableSchema);
        if (b.sync_schedule) ctx.validateSchedule(b.sync_schedule);
        c.body = await ctx.registry.update(param(c, tableParams).id, b);
        await ctx.tableSchedulesChanged();
      },
    },
    {
      method: 'DELETE', path: '/api/admin/registry/:id', access: admin, summary: 'Remove a table from the registry', input: { params: tableParams }, output: { status: 204, errors: { 404: 'No such table is registered' } },
      async handler(c) {
        await ctx.registry.delete(param(c, tableParams).id);
        await ctx.tableSchedulesChanged();
        c.status = 204;
      },
    },
  ];
}
