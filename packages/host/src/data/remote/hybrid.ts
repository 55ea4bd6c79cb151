/**
 * `POST /api/query/hybrid`: source rows joined to local tables. Each alias's source query
 * runs through RemoteQueries (the same checks and quotas as /api/query/remote); its rows become
 * a temporary table of a scratch in-memory DuckDB instance that attaches the analytics file
 * read-only — never of the shared analytics connections — and the DuckDB SQL runs there under
 * the /api/query rules: the same parse-tree check and RBAC on the local tables it reads, the
 * same engine lock-down (no extensions, file access only below the extracts, configuration
 * locked) set after the aliases are loaded and before the caller's SQL runs.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { isAidaError, isValidIdentifier, sqlString } from '@aida/core';
import { HybridAliasInvalidError, HybridAliasTooLargeError, RemoteSourceFailedError } from '../../errors.js';
import type { Reader } from '../access.js';
import type { DataContext } from '../context.js';
import { EngineClock } from '../query/clock.js';
import { answerFor, checkQuery, withAnalytics } from '../query/engine.js';
import { jsonText, readJsonRows } from '../query/json.js';
import type { QueryRunner } from '../query/runner.js';
import { assertSqlSize } from '../query/statement.js';
import { createAliasTable } from './alias-table.js';
import type { RemoteQueries } from './guard.js';

export interface HybridRequest {
  /** DuckDB SQL over the local tables and the aliases. */
  sql: string;
  /** alias → the source's SQL whose rows the alias holds. */
  aliases: Record<string, string>;
  limit: number;
  source?: string;
  signal: AbortSignal;
  onBilled?: (bytes: number) => void;
}

export class HybridQueries {
  private reservedWords: Promise<Set<string>> | undefined;

  constructor(
    private readonly ctx: DataContext,
    private readonly remote: RemoteQueries,
    /** Its limiter gives the DuckDB part a slot as /api/query's; its limits bound it. */
    private readonly runner: QueryRunner,
    /** The scratch instance's spill folder lives here (emptied at start). */
    private readonly scratchDir: string,
  ) {
    void rm(scratchDir, { recursive: true, force: true }).catch((e: unknown) => ctx.logger.warn({ err: e }, 'could not empty the hybrid query scratch folder'));
  }

  /** Runs the request and answers the /api/query JSON shape with `bq_stats` and `bytes_scanned`. */
  async run(user: Reader, r: HybridRequest): Promise<string> {
    assertSqlSize(r.sql);
    const limits = this.runner.limits;
    const aliases = Object.keys(r.aliases);
    const known = new Set(aliases.map((a) => a.toLowerCase()));
    // Checked before any source query runs, so a query refused here costs nothing.
    const precheck = new EngineClock(limits.timeoutMs);
    await withAnalytics(this.ctx, precheck, async (conn) => {
      this.assertAliases(aliases, await this.reserved(conn));
      await checkQuery(this.ctx, conn, precheck, user, r.sql, known);
    });

    const loaded: { alias: string; columns: { name: string; type: string }[]; rows: unknown[][] }[] = [];
    let bytes = 0;
    for (const alias of aliases) {
      const answer = await this.remote
        .run(user, {
          sql: r.aliases[alias],
          limit: limits.hybridMaxAliasRows,
          source: r.source,
          signal: r.signal,
          onBilled: (b) => {
            bytes += b;
            r.onBilled?.(b);
          },
        })
        .catch((e: unknown) => {
          throw aboutAlias(alias, e);
        });
      if (answer.truncated) {
        throw new HybridAliasTooLargeError(
          `register_bq.${alias}: the source query returns more than ${limits.hybridMaxAliasRows} rows, more than an alias may hold; aggregate or filter it at the source`,
          { field: `register_bq.${alias}`, detail: { reason: 'row_limit', alias, limit: limits.hybridMaxAliasRows } },
        );
      }
      loaded.push({ alias, columns: answer.columns, rows: answer.rows });
    }

    const release = await this.runner.limiter.acquire();
    const clock = new EngineClock(limits.timeoutMs);
    const unfollow = clock.follow(r.signal);
    // The scratch instance reads the analytics file by itself: hold the generation's files meanwhile.
    const unhold = this.ctx.analytics.hold();
    try {
      const rows = await this.scratch(clock, async (conn) => {
        for (const a of loaded) await loadAlias(conn, a.alias, a);
        await lockDown(conn, join(this.ctx.dataDir, 'extracts'));
        clock.on(conn);
        const checked = await checkQuery(this.ctx, conn, clock, user, r.sql, known);
        return readJsonRows(conn, clock, limits, r.sql, checked.node, r.limit);
      });
      return jsonText(rows, { bq_stats: { registered_aliases: aliases, alias_count: aliases.length }, bytes_scanned: bytes });
    } finally {
      unhold();
      unfollow();
      release();
    }
  }

  /** Each alias must be an identifier nothing else answers to here: no served or registered table, no reserved word. */
  private assertAliases(aliases: readonly string[], reserved: ReadonlySet<string>): void {
    const max = this.runner.limits.hybridMaxAliases;
    if (aliases.length > max) {
      throw new HybridAliasInvalidError(`register_bq names ${aliases.length} aliases; at most ${max} are allowed`, { field: 'register_bq', detail: { max } });
    }
    const tables = new Set([...this.ctx.analytics.tables().map((t) => t.table_name.toLowerCase()), ...this.ctx.registry.list().map((e) => e.id)]);
    const seen = new Set<string>();
    for (const alias of aliases) {
      const lower = alias.toLowerCase();
      const why = !isValidIdentifier(alias)
        ? 'is not an identifier (letters, digits and _, not starting with a digit, at most 64 characters)'
        : lower.startsWith('_aida')
          ? 'starts with _aida, which AIDA keeps for itself'
          : reserved.has(lower)
            ? 'is a reserved SQL word'
            : tables.has(lower)
              ? 'is the name of a table; pick a name no table has'
              : seen.has(lower)
                ? 'is given twice (aliases are matched case-insensitively)'
                : null;
      if (why) throw new HybridAliasInvalidError(`register_bq: alias '${alias}' ${why}`, { field: `register_bq.${alias}`, detail: { alias } });
      seen.add(lower);
    }
  }

  /** DuckDB's reserved words, as the engine lists them (read once). */
  private reserved(conn: DuckDBConnection): Promise<Set<string>> {
    this.reservedWords ??= conn
      .runAndReadAll("SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'")
      .then((r) => new Set(r.getRowsJS().map((row) => String(row[0]).toLowerCase())));
    this.reservedWords.catch(() => (this.reservedWords = undefined));
    return this.reservedWords;
  }

  /** A fresh in-memory instance that attaches the analytics file read-only; closed after `fn`. */
  private async scratch<T>(clock: EngineClock, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      memory_limit: `${this.runner.limits.hybridMemoryBytes}B`,
      temp_directory: join(this.scratchDir, 'spill'),
    });
    try {
      const conn = await instance.connect();
      try {
        await conn.run(`ATTACH ${sqlString(this.ctx.analytics.path)} AS analytics (READ_ONLY)`);
        // Unqualified names are the analytics tables; the aliases (temporary tables) come first.
        await conn.run('USE analytics');
        await conn.run("SET TimeZone = 'UTC'");
        return await fn(conn);
      } catch (e) {
        throw answerFor(this.ctx, e, clock);
      } finally {
        clock.on(null);
        conn.closeSync();
      }
    } finally {
      instance.closeSync();
    }
  }
}

/** The alias's rows as its temporary table; a value that does not read as its type is the source's failure. */
async function loadAlias(conn: DuckDBConnection, alias: string, rows: { columns: { name: string; type: string }[]; rows: unknown[][] }): Promise<void> {
  try {
    await createAliasTable(conn, alias, rows);
  } catch (e) {
    throw new RemoteSourceFailedError(
      `register_bq.${alias}: the source's rows could not be read as their column types: ${(e as Error).message.split('\n')[0]}`,
      {
        cause: e,
        detail: { alias },
      },
    );
  }
}

/** The engine switches of the analytics instance: no extensions, file access only below the extracts, configuration locked. */
async function lockDown(conn: DuckDBConnection, extractsDir: string): Promise<void> {
  // allowed_directories must be set before external access is disabled.
  await conn.run(`SET allowed_directories = [${sqlString(`${extractsDir}/`)}]`);
  await conn.run('SET enable_external_access = false');
  await conn.run('SET lock_configuration = true');
}

/** A failure of one alias's source query, its message saying which alias (its code and detail unchanged). */
function aboutAlias(alias: string, e: unknown): unknown {
  if (isAidaError(e) && e instanceof Error) e.message = `register_bq.${alias}: ${e.message}`;
  return e;
}
