import type { DuckDBConnection } from '@duckdb/node-api';
import { TableNotFoundError } from '../../errors.js';
import type { Logger } from 'pino';
import { SerialQueue } from '@aida/core';
import type { AnalyticsDb, AnalyticsTable } from '../../analytics/analytics-db.js';
import type { DataContext } from '../context.js';
import type { TableRegistry } from '../registry.js';
import { profileTable, type ProfileOptions, type TableProfile } from './profiler.js';
import { ProfileStore } from './store.js';
import { remoteTableError } from '../remote/remote-table.js';

export interface ProfileServiceDeps {
  analytics: AnalyticsDb;
  /** The connectors, to say which SQL a table that stays at its source is queried in. */
  connectors?: DataContext['connectors'];
  registry: TableRegistry;
  store: ProfileStore;
  logger: Logger;
  options?: ProfileOptions;
  /**
   * After a rebuild, a table profiled less than this long ago waits (its stored profile reads
   * `stale: true` meanwhile) and is profiled once the interval has passed: a source that pushes
   * every second would otherwise be profiled every second. 0 profiles every change at once.
   */
  minIntervalMs?: number;
}

/** What one `profileAll` / `afterRebuild` run did; a table's failure is reported here and logged, never thrown. */
export interface ProfileRunSummary {
  /** Tables whose profile was (re)computed. */
  profiled: string[];
  /** Tables whose data had not changed since their stored profile. */
  unchanged: string[];
  /** Tables left alone because their registry entry says `profile_after_sync: false`. */
  skipped: string[];
  failed: { table: string; error: string }[];
  /** Stored profiles dropped because their table is no longer served. */
  removed: string[];
  /** Changed tables profiled less than `minIntervalMs` ago: a later run takes them. */
  deferred: string[];
  duration_ms: number;
}

interface Generation {
  byId: Map<string, AnalyticsTable>;
  fingerprints: Promise<Map<string, string>> | null;
}

/**
 * Column profiles of the analytics tables: computed on demand, after each rebuild for the
 * tables whose data changed, and kept in `table_profiles` (and memory) between restarts.
 */
export class ProfileService {
  /** Per analytics generation (keyed by its `tables()` array): lookup by id and data fingerprints. */
  private readonly generations = new WeakMap<readonly AnalyticsTable[], Generation>();
  /** Computations under way, so concurrent requests for one table share one profile run. */
  private readonly inFlight = new Map<string, { tables: readonly AnalyticsTable[]; run: Promise<TableProfile> }>();
  private readonly runs = new SerialQueue();
  private pendingRebuild: Promise<ProfileRunSummary> | null = null;
  /** The run that takes the deferred tables once their interval has passed. */
  private deferredRun: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly d: ProfileServiceDeps) {}

  get store(): ProfileStore {
    return this.d.store;
  }

  /** The served table of that name (case-insensitive), if any. */
  table(name: string): AnalyticsTable | undefined {
    return this.generation().byId.get(name.toLowerCase());
  }

  /**
   * The stored profile, computed first when there is none. A stored profile of data that has
   * changed since is returned with `stale: true` (afterRebuild or a refresh replaces it).
   */
  async get(name: string): Promise<TableProfile> {
    return (await this.stored(name)) ?? this.profile(name);
  }

  /** The stored profile (`stale: true` when the data changed since), or null: never computes. */
  async stored(name: string): Promise<TableProfile | null> {
    const t = this.requireTable(name);
    const stored = await this.d.store.get(t.table_name);
    if (!stored) return null;
    const current = (await this.fingerprints()).get(t.table_name.toLowerCase()) ?? metaFingerprint(t);
    return stored.fingerprint === current ? stored : { ...stored, stale: true };
  }

  /** Every stored profile by table id, from memory (the sync manifest lists when each was computed). */
  storedProfiles(): Promise<ReadonlyMap<string, TableProfile>> {
    return this.d.store.all();
  }

  /** Recomputes and stores the profile of one table (a table that stays at its source has none: 400). */
  profile(name: string): Promise<TableProfile> {
    const t = this.requireTable(name);
    if (t.query_mode === 'remote') return Promise.reject(remoteTableError({ connectors: this.d.connectors ?? (() => []) }, t, 'has no column profile'));
    const id = t.table_name.toLowerCase();
    const tables = this.d.analytics.tables();
    const running = this.inFlight.get(id);
    if (running && running.tables === tables) return running.run;
    // tables() and withConnection() read the current generation in the same tick: they agree.
    const run = this.d.analytics
      .withConnection(async (conn) => {
        const fingerprint = (await readFingerprints(conn, t.table_name)).get(id) ?? metaFingerprint(t);
        const profile = await profileTable(conn, t.table_name, this.d.options);
        return { ...profile, fingerprint };
      })
      .then(async (profile) => {
        await this.d.store.put(id, profile);
        this.d.logger.info({ table: t.table_name, rows: profile.rows, sampled: profile.sampled, duration_ms: profile.duration_ms }, 'table profiled');
        return profile;
      })
      .finally(() => {
        if (this.inFlight.get(id)?.run === run) this.inFlight.delete(id);
      });
    this.inFlight.set(id, { tables, run });
    return run;
  }

  /** Recomputes the profiles of the given tables (default: every served table), one after another. */
  profileAll(names?: readonly string[]): Promise<ProfileRunSummary> {
    return this.serialise(() => this.run(names ?? this.d.analytics.tables().map((t) => t.table_name), { onlyChanged: false }));
  }

  /**
   * Call after every analytics rebuild: profiles the tables whose data changed since their
   * stored profile (and those never profiled) when their registry entry has
   * `profile_after_sync`, and drops profiles of tables no longer served. Never throws; runs one
   * at a time, and calls arriving during a run share the next one.
   */
  afterRebuild(): Promise<ProfileRunSummary> {
    this.pendingRebuild ??= this.serialise(() => {
      this.pendingRebuild = null;
      return this.run(this.d.analytics.tables().map((t) => t.table_name), { onlyChanged: true, prune: true });
    });
    return this.pendingRebuild;
  }

  private async run(names: readonly string[], o: { onlyChanged: boolean; prune?: boolean }): Promise<ProfileRunSummary> {
    const started = performance.now();
    const summary: ProfileRunSummary = { profiled: [], unchanged: [], skipped: [], failed: [], removed: [], deferred: [], duration_ms: 0 };
    let nextDue = Infinity;
    let fingerprints = new Map<string, string>();
    let stored: ReadonlyMap<string, TableProfile> = new Map();
    try {
      stored = await this.d.store.all();
      if (o.onlyChanged) fingerprints = await this.fingerprints();
    } catch (e) {
      this.d.logger.warn({ err: e }, 'reading stored profiles failed; profiling every table');
    }
    for (const name of names) {
      const t = this.table(name);
      if (!t) {
        summary.failed.push({ table: name, error: `No table '${name}' in the analytics database` });
        continue;
      }
      const id = t.table_name.toLowerCase();
      // Its rows stay at the source: nothing here to profile.
      if (t.query_mode === 'remote') {
        summary.skipped.push(t.table_name);
        continue;
      }
      if (o.onlyChanged) {
        if (this.d.registry.get(id)?.profile_after_sync === false) {
          summary.skipped.push(t.table_name);
          continue;
        }
        const have = stored.get(id)?.fingerprint;
        if (have !== undefined && have === (fingerprints.get(id) ?? metaFingerprint(t))) {
          summary.unchanged.push(t.table_name);
          continue;
        }
        const profiledAt = stored.get(id) ? Date.parse(stored.get(id)!.profiled_at) : NaN;
        const due = profiledAt + (this.d.minIntervalMs ?? 0);
        if (due > Date.now()) {
          summary.deferred.push(t.table_name);
          nextDue = Math.min(nextDue, due);
          continue;
        }
      }
      try {
        await this.profile(t.table_name);
        summary.profiled.push(t.table_name);
      } catch (e) {
        const error = (e as Error).message;
        summary.failed.push({ table: t.table_name, error });
        this.d.logger.warn({ err: e, table: t.table_name }, `profiling table '${t.table_name}' failed`);
      }
    }
    if (o.prune && this.d.analytics.isOpen) {
      const served = new Set(this.d.analytics.tables().map((t) => t.table_name.toLowerCase()));
      for (const id of [...stored.keys()]) {
        if (served.has(id)) continue;
        try {
          await this.d.store.delete(id);
          summary.removed.push(id);
        } catch (e) {
          this.d.logger.warn({ err: e, table: id }, 'removing the profile of a table no longer served failed');
        }
      }
    }
    if (summary.deferred.length) this.runDeferredAt(nextDue);
    summary.duration_ms = Math.round(performance.now() - started);
    if (summary.profiled.length || summary.failed.length || summary.removed.length) {
      this.d.logger.info({ profiled: summary.profiled.length, unchanged: summary.unchanged.length, skipped: summary.skipped.length, failed: summary.failed.length, removed: summary.removed.length, duration_ms: summary.duration_ms }, 'profiles updated');
    }
    return summary;
  }

  /** Stops the deferred run; the host calls it when it stops. */
  close(): void {
    this.closed = true;
    if (this.deferredRun) clearTimeout(this.deferredRun);
    this.deferredRun = null;
  }

  private runDeferredAt(due: number): void {
    if (this.closed || this.deferredRun) return;
    this.deferredRun = setTimeout(() => {
      this.deferredRun = null;
      if (!this.closed && this.d.analytics.isOpen) void this.afterRebuild();
    }, Math.max(0, due - Date.now()) + 50);
    this.deferredRun.unref();
  }

  private requireTable(name: string): AnalyticsTable {
    const t = this.table(name);
    if (!t) throw new TableNotFoundError(`No table '${name}' in the analytics database`, { detail: { table: name } });
    return t;
  }

  private generation(): Generation {
    const tables = this.d.analytics.tables();
    let g = this.generations.get(tables);
    if (!g) {
      g = { byId: new Map(tables.map((t) => [t.table_name.toLowerCase(), t])), fingerprints: null };
      this.generations.set(tables, g);
    }
    return g;
  }

  /** Data fingerprints of the current generation's tables, read once per generation. */
  private fingerprints(): Promise<Map<string, string>> {
    const g = this.generation();
    if (!this.d.analytics.isOpen) return Promise.resolve(new Map());
    g.fingerprints ??= this.d.analytics.withConnection((conn) => readFingerprints(conn)).catch((e: unknown) => {
      this.d.logger.warn({ err: e }, 'reading table hashes failed; comparing row counts and extraction times instead');
      return new Map<string, string>();
    });
    return g.fingerprints;
  }

  private serialise<T>(task: () => Promise<T>): Promise<T> {
    return this.runs.run(task);
  }
}

/**
 * What identifies a table's data: the MD5s of its Parquet files, as the orchestrator recorded
 * them in `_aida_files` (the same hashes the manifest serves).
 */
async function readFingerprints(conn: DuckDBConnection, table?: string): Promise<Map<string, string>> {
  const where = table === undefined ? '' : 'WHERE lower(table_name) = lower(?)';
  const reader = await conn.runAndReadAll(
    `SELECT lower(table_name) AS id, string_agg(coalesce(md5, '?'), ',' ORDER BY path) AS h FROM _aida_files ${where} GROUP BY 1`,
    table === undefined ? undefined : [table],
  );
  const out = new Map<string, string>();
  for (const r of reader.getRowObjectsJS() as { id: string; h: string | null }[]) if (r.h) out.set(r.id, `md5:${r.h}`);
  return out;
}

/** Fallback when no file hashes are known: the extract's row count, size and extraction time. */
function metaFingerprint(t: AnalyticsTable): string {
  const at = t.extracted_at instanceof Date ? t.extracted_at.toISOString() : String(t.extracted_at ?? '');
  return `meta:${t.rows}:${t.size_bytes}:${at}`;
}

/** The service as the host wires it: over the data context's analytics database, registry and system database. */
export function createProfileService(
  ctx: Pick<DataContext, 'analytics' | 'registry' | 'systemDb' | 'logger'> & Partial<Pick<DataContext, 'connectors' | 'identity'>>,
  options?: ProfileOptions,
  minIntervalMs?: number,
): ProfileService {
  return new ProfileService({
    analytics: ctx.analytics,
    connectors: ctx.connectors,
    registry: ctx.registry,
    store: new ProfileStore(ctx.systemDb, ctx.identity?.changes),
    logger: ctx.logger.child({ component: 'profiles' }),
    options,
    minIntervalMs,
  });
}
