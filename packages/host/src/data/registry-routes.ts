import { z } from 'zod';
import { body, type DiscoveredTable, param, query, type RouteDefinition } from '@aida/core';
import { pagedSchema, pageOf, pageQuery } from '../http/paging.js';
import type { DataContext } from './context.js';
import type { RegistryEntry, RegistryInput } from './registry.js';
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
        const { tables, errors } = await discoverTables(ctx);
        c.body = { tables, count: tables.length, errors };
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
        const entry = await registerTable(ctx, b, c.state.user!.id);
        c.status = 201;
        c.body = entry;
      },
    },
    {
      method: 'PUT', path: '/api/admin/registry/:id', access: admin, summary: "Change a registered table's fields (e.g. is_public)", input: { params: tableParams, body: registerTableSchema },
      output: { body: registryEntrySchema, errors: { 404: 'No such table is registered' } },
      async handler(c) {
        c.body = await updateTable(ctx, param(c, tableParams).id, body(c, registerTableSchema));
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

/** A table a connector sees, with its source and whether the registry knows it (GET /api/admin/discover-tables, /admin/tables). */
export type DiscoveredEntry = DiscoveredTable & { source: string; source_type: string; registered: boolean };

/**
 * What every connector can see, in connector order. A connector that fails (or outlasts
 * `signal`) is reported under `errors` and the others are still listed.
 */
export async function discoverTables(ctx: DataContext, signal?: AbortSignal): Promise<{ tables: DiscoveredEntry[]; errors: { source: string; error: string }[] }> {
  const perConnector = await Promise.all(
    ctx.connectors().map(async (connector) => {
      try {
        const found = await untilAborted(connector.discover(signal), signal);
        const tables = found.map((t) => ({ ...t, source: connector.source, source_type: connector.sourceType, registered: Boolean(ctx.registry.get(t.name)) }));
        return { tables, error: undefined };
      } catch (e) {
        return { tables: [], error: { source: connector.source, error: (e as Error).message } };
      }
    }),
  );
  return { tables: perConnector.flatMap((p) => p.tables), errors: perConnector.flatMap((p) => (p.error ? [p.error] : [])) };
}

/** Registers a table: its schedule is checked first, and schedules are re-applied after. */
export async function registerTable(ctx: DataContext, input: RegistryInput, by: string): Promise<RegistryEntry> {
  if (input.sync_schedule) ctx.validateSchedule(input.sync_schedule);
  const entry = await ctx.registry.register(input, by);
  await ctx.tableSchedulesChanged();
  return entry;
}

/** Changes a registered table: a bad schedule changes nothing; schedules are re-applied after. */
export async function updateTable(ctx: DataContext, id: string, patch: RegistryInput): Promise<RegistryEntry> {
  if (patch.sync_schedule) ctx.validateSchedule(patch.sync_schedule);
  const entry = await ctx.registry.update(id, patch);
  await ctx.tableSchedulesChanged();
  return entry;
}

/** A connector that ignores the abort signal still cannot hold the caller past it. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      if (signal.aborted) reject(new Error('listing its tables took too long'));
      signal.addEventListener('abort', () => reject(new Error('listing its tables took too long')), { once: true });
    }),
  ]);
}
