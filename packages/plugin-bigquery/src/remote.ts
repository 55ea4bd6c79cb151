// The remote side of the connector (`Connector.remote`): GoogleSQL planned with a dry run —
// what it would scan, and which BigQuery tables it reads, named as the AIDA tables the config
// maps them to so the host can check grants — and run as a query job that may bill no more
// than the host allows, labelled with the user for cost attribution. The host applies the caps
// (limits) and grants; this answers with the first `limit` rows as JSON-safe values.
import type { RemoteEstimate, RemoteQueryEngine, RemoteQueryLimits, RemoteResult, RemoteRunOptions } from '@aida/core';
import type { BigQueryApi } from './client.js';
import { fullTableId } from './config.js';
import { jobLabels } from './labels.js';
import type { Logger } from './retry.js';
import { jsonDecoder } from './rows.js';
import type { TableNames } from './select.js';
import { duckdbType } from './types.js';

/** Rows asked for per result page of a remote query. */
const REMOTE_PAGE_ROWS = 10_000;

export class BigQueryRemote implements RemoteQueryEngine {
  readonly dialect = 'GoogleSQL';

  constructor(
    private readonly api: BigQueryApi,
    private readonly names: TableNames,
    readonly limits: RemoteQueryLimits,
    private readonly o: { source: string; logger?: Logger },
  ) {}

  /** A dry run: nothing is billed. BigQuery's refusal (invalidQuery…) is an InputError with its message. */
  async estimate(sql: string, options: { signal: AbortSignal; userId: string }): Promise<RemoteEstimate> {
    const job = await this.api.dryRun(sql, { signal: options.signal, logger: this.o.logger, labels: this.labels(options.userId) });
    const tables = new Set<string>();
    const unregistered = new Set<string>();
    for (const ref of job.statistics.query?.referencedTables ?? []) {
      const name = this.names.nameOf(ref);
      if (name) tables.add(name);
      else unregistered.add(fullTableId(ref));
    }
    return {
      tables: [...tables],
      unregistered: [...unregistered],
      bytes: job.statistics.query?.totalBytesProcessed ?? job.statistics.totalBytesProcessed ?? 0,
    };
  }

  /** Runs `sql` with maximumBytesBilled = `maxBytes`; reads at most `limit` + 1 rows to know whether there were more. */
  async run(sql: string, options: RemoteRunOptions): Promise<RemoteResult> {
    const ctx = { signal: options.signal, logger: this.o.logger };
    const want = options.limit + 1;
    const query = await this.api.query(sql, {
      ...ctx,
      labels: this.labels(options.userId),
      maximumBytesBilled: options.maxBytes,
      maxResults: Math.min(want, REMOTE_PAGE_ROWS),
    });
    const fields = query.first.schema?.fields ?? [];
    const decode = jsonDecoder(fields);
    const rows: unknown[][] = (query.first.rows ?? []).slice(0, want).map(decode);
    let token = query.first.pageToken;
    while (token && rows.length < want) {
      const page = await this.api.results(query.job, { pageToken: token, maxResults: Math.min(want - rows.length, REMOTE_PAGE_ROWS) }, ctx);
      for (const row of (page.rows ?? []).slice(0, want - rows.length)) rows.push(decode(row));
      token = page.pageToken;
    }
    const job = await this.api.getJob(query.job, ctx);
    const stats = job.statistics.query;
    return {
      columns: fields.map((f) => ({ name: f.name, type: duckdbType(f).type })),
      rows: rows.slice(0, options.limit),
      truncated: rows.length > options.limit || (query.first.totalRows ?? 0) > options.limit,
      bytesScanned: stats?.totalBytesBilled ?? stats?.totalBytesProcessed ?? job.statistics.totalBytesProcessed ?? 0,
    };
  }

  private labels(userId: string): Record<string, string> {
    return jobLabels({ source: this.o.source, workload: 'remote_query', user: userId });
  }
}
