import type { RemoteEstimate, RemoteQueryEngine } from '@aida/core';
import { RemoteSourceAmbiguousError, RemoteSourceUnknownError } from '../../errors.js';
import type { DataContext } from '../context.js';

/** A connector that queries its tables where they are. */
export interface RemoteSource {
  source: string;
  engine: RemoteQueryEngine;
}

/** A query estimated by the source that will run it. */
export interface PlannedQuery extends RemoteSource {
  estimate: RemoteEstimate;
}

export function remoteSources(ctx: Pick<DataContext, 'connectors'>): RemoteSource[] {
  return ctx.connectors().flatMap((c) => (c.remote ? [{ source: c.source, engine: c.remote }] : []));
}

/**
 * Estimates `sql` at the source that will run it: the one named, else the only one there is,
 * else the one whose estimate names registered tables (every candidate estimates; estimates
 * cost nothing). When none or several do, the caller must name the source.
 */
export async function planQuery(
  ctx: Pick<DataContext, 'connectors'>,
  sql: string,
  o: { source?: string; signal: AbortSignal; userId: string },
): Promise<PlannedQuery> {
  const all = remoteSources(ctx);
  const names = all.map((s) => s.source);
  if (o.source !== undefined) {
    const named = all.find((s) => s.source === o.source);
    if (!named) {
      throw new RemoteSourceUnknownError(
        `No source '${o.source}' queries tables at the source${names.length ? `; these do: ${names.join(', ')}` : '; no connector of this instance does'}`,
        { field: 'source', detail: { sources: names } },
      );
    }
    return { ...named, estimate: await named.engine.estimate(sql, { signal: o.signal, userId: o.userId }) };
  }
  if (!all.length) {
    throw new RemoteSourceUnknownError(
      'No connector of this instance queries tables at their source: every table is in the analytics database (POST /api/query)',
      {
        detail: { sources: [] },
      },
    );
  }
  if (all.length === 1) return { ...all[0], estimate: await all[0].engine.estimate(sql, { signal: o.signal, userId: o.userId }) };
  const estimates = await Promise.allSettled(all.map((s) => s.engine.estimate(sql, { signal: o.signal, userId: o.userId })));
  const naming = all.flatMap((s, i) => {
    const e = estimates[i];
    return e.status === 'fulfilled' && e.value.tables.length ? [{ ...s, estimate: e.value }] : [];
  });
  if (naming.length === 1) return naming[0];
  throw new RemoteSourceAmbiguousError(
    `${naming.length ? `Sources ${naming.map((s) => `'${s.source}'`).join(' and ')} each read tables this query names` : 'No source recognises a registered table in this query'}; name the source to run it at in \`source\` (one of ${names.join(', ')})`,
    { field: 'source', detail: { sources: names } },
  );
}
