// The Jira source's six tables as the sync engine sees them: apply a batch of refetched issues
// and deletions in one push (one commit, one analytics rebuild), and list what is stored.
// Every table is partitioned by the month (UTC) of the issue's created_at; issues merge by key,
// child tables replace an issue's rows as a group, so a comment deleted in Jira leaves too.
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { SerialQueue, betweenCommits, quoteIdent, readExtract, type ExtractWriter, type MergeMode, type SourceWrites, type TableOutcome } from '@aida/core';
import type { Logger } from 'pino';
import { jiraTables, refreshFieldColumns, type TableDefinition } from '../transform/index.js';
import { tableBatches } from './batch-rows.js';
import { addMovedRemoteLinks, loadBatch } from './load-batch.js';
import { planOps, type OpsPlan, type StoredTimes } from './plan-ops.js';
import { lookUp, readStoredIssues, tablePaths, type StoredFilter } from './read-stored.js';
import type { StoreAccess } from '../sync/store-access.js';
import type { ApplyResult, StoreOp, StoredIssue } from './types.js';

export interface JiraStoreOptions {
  /** The source's push handle (connectors.register's answer). */
  writes: SourceWrites;
  /** The source's extract folder, `<dataDir>/extracts/<source>`. */
  sourceDir: string;
  /** Configured refresh fields (alias → field id): the issues table's extra columns. */
  refreshFields: Readonly<Record<string, string>>;
  logger: Logger;
}

export class JiraStore implements StoreAccess {
  private readonly tables: readonly TableDefinition[];
  /** Applies run one at a time: two writers of one table would conflict. */
  private readonly applies = new SerialQueue();

  constructor(private readonly o: JiraStoreOptions) {
    this.tables = jiraTables(o.refreshFields);
  }

  /**
   * Writes `ops` in one push. Ops of one key are taken in order (the last wins: a delete after an
   * upsert deletes, an upsert after a delete writes); an upsert older than the version it would
   * replace is skipped as stale. A table the extract does not hold yet is written even without
   * rows, so all six exist (with their columns) after the first apply. The report lists the
   * tables the push changed, with their row counts after it.
   */
  apply(ops: readonly StoreOp[]): Promise<ApplyResult> {
    if (!ops.length) return Promise.resolve({ written: [], stale: [], deleted: [], report: { tables: [] } });
    return this.applies.run(() => this.applyNow(ops));
  }

  private async applyNow(ops: readonly StoreOp[]): Promise<ApplyResult> {
    const started = performance.now();
    let plan: OpsPlan = { writes: [], deletes: [], stale: [] };
    const report = await this.o.writes.push(async (writer) => {
      // Partition months are taken in the connection's TimeZone; rows carry UTC instants.
      await writer.connection.run(`SET TimeZone = 'UTC'`);
      plan = planOps(ops, await this.storedTimes(writer, ops));
      const batches = tableBatches(plan);
      const existing = new Set(writer.previousTables.map((t) => t.table_name));
      const due = this.tables.filter((table) => {
        const rows = batches.rows.get(table.name) ?? [];
        const moved = table.name === 'remote_links' ? batches.movedRemoteLinks : [];
        return rows.length > 0 || moved.length > 0 || !existing.has(table.name);
      });
      // The tables are written at once, each on a connection of its own: a push's latency is
      // then about its slowest table's write, not the sum of them (issues, comments, changelog).
      const settled = await Promise.allSettled(
        due.map(async (table): Promise<TableOutcome | null> => {
          const tableStarted = performance.now();
          const conn = await writer.connect();
          // Partition months are taken in the connection's TimeZone; rows carry UTC instants.
          await conn.run(`SET TimeZone = 'UTC'`);
          await loadBatch(conn, BATCH_TABLE, table, batches.rows.get(table.name) ?? []);
          const moved = table.name === 'remote_links' ? batches.movedRemoteLinks : [];
          await addMovedRemoteLinks(conn, BATCH_TABLE, tablePaths(writer.previousFiles, table.name, writer.sourceDir), moved);
          const r = await writer.write(table.name, `SELECT * FROM ${quoteIdent(BATCH_TABLE)}`, writeMode(table), {
            description: table.description,
            connection: conn,
          });
          await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(BATCH_TABLE)}`);
          // A table whose files came out as they were is not reported: a push of replays alone then
          // records nothing and triggers no analytics rebuild.
          return r.changed ? { name: table.name, status: 'ok', rows: r.rows, durationMs: Math.round(performance.now() - tableStarted) } : null;
        }),
      );
      // Every write has ended before the push fails: the writer's connections close with it.
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      const tables = settled.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
      return { tables };
    });
    const { writes, deletes, stale } = plan;
    const result: ApplyResult = { written: writes.map((w) => w.key), stale, deleted: deletes, report };
    this.o.logger.debug(
      { ops: ops.length, written: writes.length, stale: stale.length, deleted: deletes.length, duration_ms: Math.round(performance.now() - started) },
      'jira store batch applied',
    );
    return result;
  }

  /** The stored times of the batch's keys, from the issues files the push's writer opened on. */
  private async storedTimes(writer: ExtractWriter, ops: readonly StoreOp[]): Promise<Map<string, StoredTimes>> {
    const keys = [...new Set(ops.map((op) => op.key))];
    const rows = await readStoredIssues(writer.connection, tablePaths(writer.previousFiles, 'issues', writer.sourceDir), { keys });
    // The issues row counts comments, attachments and links; remote links are looked up (Jira has no count for them).
    const withLinks = new Set(
      (await lookUp(writer.connection, tablePaths(writer.previousFiles, 'remote_links', writer.sourceDir), 'issue_key', 'issue_key', keys)).map((r) => r.by),
    );
    return new Map(
      rows.map((r) => [r.key, { updatedMs: r.updatedMs, createdMs: r.createdMs, counts: { ...r.counts, remoteLinks: withLinks.has(r.key) ? 1 : 0 } }]),
    );
  }

  /** The stored issues matching `filter`, by key, from the committed extract (empty before the first apply). */
  async listStored(filter: StoredFilter = {}): Promise<StoredIssue[]> {
    const refreshColumns = refreshFieldColumns(this.o.refreshFields).map((r) => r.column);
    const rows = await this.readCommitted((conn, paths) => readStoredIssues(conn, paths('issues'), filter, refreshColumns));
    return rows.map((r) => ({
      key: r.key,
      updatedAt: isoOf(r.updatedMs),
      createdAt: isoOf(r.createdMs),
      statusCategory: r.statusCategory,
      refresh: r.refresh,
    }));
  }

  /** Keys of the stored issues holding these attachment ids (an attachment webhook names only its id). */
  async issueKeysOfAttachments(attachmentIds: readonly string[]): Promise<string[]> {
    const found = await this.readCommitted((conn, paths) => lookUp(conn, paths('attachments'), 'attachment_id', 'issue_key', attachmentIds));
    return [...new Set(found.map((r) => r.want))].sort();
  }

  /** Stored issue id → key, for the ids stored. */
  async issueKeysByIds(issueIds: readonly string[]): Promise<Map<string, string>> {
    const found = await this.readCommitted((conn, paths) => lookUp(conn, paths('issues'), 'issue_id', 'issue_key', issueIds));
    return new Map(found.map((r) => [r.by, r.want]));
  }

  /** Runs `read` on an in-memory DuckDB of its own over the committed extract's files. */
  private async readCommitted<T>(read: (conn: DuckDBConnection, paths: (table: string) => string[]) => Promise<T>): Promise<T> {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      // Between commits: a commit landing between reading the file list and reading the files
      // could otherwise collect files this read is about to open.
      return await betweenCommits(this.o.sourceDir, async () => {
        const { files } = await readExtract(conn, join(this.o.sourceDir, 'extract.duckdb'));
        return read(conn, (table) => tablePaths(files, table, this.o.sourceDir));
      });
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  }
}

/** The temp table on the push's connection that holds one table's batch at a time. */
const BATCH_TABLE = 'jira_store_batch';

/** Issues merge by key; child tables replace each issue's rows as a group, in every month. */
function writeMode(table: TableDefinition): MergeMode {
  const partitionBy = { column: table.partitionColumn, granularity: 'month' } as const;
  if (table.name === 'issues') return { mode: 'merge', primaryKey: ['issue_key'], partitionBy };
  return { mode: 'merge', primaryKey: table.primaryKey, replaceBy: ['issue_key'], partitionBy };
}

function isoOf(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
