// Query jobs as the fake keeps them, and their REST shapes: the Job resource (jobs.insert,
// jobs.get), the QueryResponse of jobs.query and the GetQueryResultsResponse, whose rows are
// paged by `maxResults`, page tokens or `startIndex`, and a 10 MB budget per page.
import type { BigQueryError } from './fake-errors.js';
import { rowJson } from './fake-cells.js';
import { RawJson } from './fake-http.js';
import { pageToken, ROW_PAGE_BYTES } from './fake-paging.js';
import { etag } from './fake-resources.js';
import { restField, type Cell, type Field } from './fake-schema.js';
import type { QueryResult } from './fake-query.js';
import type { TimestampFormat } from './fake-time.js';

export interface TableRef {
  projectId: string;
  datasetId: string;
  tableId: string;
}

export interface StoredJob {
  projectId: string;
  jobId: string;
  location: string;
  /** The configuration as the request sent it (echoed back, as BigQuery does). */
  configuration: Record<string, unknown>;
  userEmail: string;
  creationTime: number;
  /** When the job counts as DONE (creation plus the fake's jobDelayMs). */
  doneAt: number;
  fields: Field[];
  referencedTables: TableRef[];
  bytesProcessed: number;
  bytesBilled: number;
  result?: QueryResult;
  error?: BigQueryError;
}

export function isDone(job: StoredJob): boolean {
  return Date.now() >= job.doneAt;
}

export function jobReference(job: StoredJob): { projectId: string; jobId: string; location: string } {
  return { projectId: job.projectId, jobId: job.jobId, location: job.location };
}

/** The Job resource as of now: RUNNING until `doneAt`, then DONE (with `errorResult` if it failed). */
export function jobResource(job: StoredJob, baseUrl: string): Record<string, unknown> {
  const done = isDone(job);
  const failed = done && job.error;
  const status = failed ? { state: 'DONE', errorResult: job.error!.proto(), errors: [job.error!.proto()] } : { state: done ? 'DONE' : 'RUNNING' };
  const bytes = String(job.bytesProcessed);
  const body = {
    kind: 'bigquery#job',
    id: `${job.projectId}:${job.location}.${job.jobId}`,
    selfLink: `${baseUrl}/bigquery/v2/projects/${job.projectId}/jobs/${job.jobId}?location=${job.location}`,
    user_email: job.userEmail,
    configuration: job.configuration,
    jobReference: jobReference(job),
    statistics: {
      creationTime: String(job.creationTime),
      startTime: String(job.creationTime),
      ...(done ? { endTime: String(Math.max(job.doneAt, job.creationTime)) } : {}),
      ...(done && !failed
        ? {
            totalBytesProcessed: bytes,
            query: {
              totalBytesProcessed: bytes,
              totalBytesBilled: String(job.bytesBilled),
              billingTier: 1,
              cacheHit: false,
              referencedTables: job.referencedTables,
              schema: { fields: job.fields.map(restField) },
              statementType: 'SELECT',
              totalSlotMs: '1',
            },
            totalSlotMs: '1',
          }
        : {}),
    },
    status,
  };
  return { ...body, etag: etag(body) };
}

/** A dry run's answer: no job runs (so no jobId), only what it would read and cost. */
export function dryRunResource(
  projectId: string,
  location: string,
  configuration: Record<string, unknown>,
  fields: Field[],
  refs: TableRef[],
  bytes: number,
): Record<string, unknown> {
  const processed = String(bytes);
  return {
    kind: 'bigquery#job',
    configuration,
    jobReference: { projectId, location },
    statistics: {
      creationTime: String(Date.now()),
      totalBytesProcessed: processed,
      query: {
        totalBytesProcessed: processed,
        totalBytesBilled: '0',
        totalBytesProcessedAccuracy: 'PRECISE',
        cacheHit: false,
        referencedTables: refs,
        schema: { fields: fields.map(restField) },
        statementType: 'SELECT',
      },
    },
    status: { state: 'DONE' },
  };
}

export interface RowsPage {
  /** The `rows` array as JSON text, or null when the page has none. */
  rows: RawJson | null;
  /** Where the next page starts, when there is one. */
  next?: number;
}

/**
 * Rows from `start`: at most `maxResults` (0 gives none, the way a client waits for a job without
 * reading it), and no more once the page's JSON passes the size budget.
 */
export function rowsPage(
  fields: readonly Field[],
  total: number,
  cellsAt: (p: number) => Cell[],
  start: number,
  maxResults: number | undefined,
  ts: TimestampFormat,
): RowsPage {
  const parts: string[] = [];
  let bytes = 0;
  let p = start;
  const end = Math.min(total, start + (maxResults ?? Infinity));
  while (p < end && (parts.length === 0 || bytes < ROW_PAGE_BYTES)) {
    const row = rowJson(fields, cellsAt(p), ts);
    bytes += row.length + 1;
    parts.push(row);
    p++;
  }
  const rows = parts.length ? new RawJson(`[${parts.join(',')}]`) : null;
  return p < total ? { rows, next: p } : { rows };
}

/** The shared part of jobs.query and jobs.getQueryResults answers for a finished job: one page of rows. */
export function resultsBody(job: StoredJob, result: QueryResult, start: number, maxResults: number | undefined, ts: TimestampFormat): Record<string, unknown> {
  const page = rowsPage(result.fields, result.total, result.cellsAt, start, maxResults, ts);
  return {
    schema: { fields: result.fields.map(restField) },
    jobReference: jobReference(job),
    totalRows: String(result.total),
    ...(page.next !== undefined ? { pageToken: pageToken(`job:${job.projectId}:${job.jobId}`, page.next) } : {}),
    // BigQuery leaves `rows` out of a page that has none.
    ...(page.rows ? { rows: page.rows } : {}),
    totalBytesProcessed: String(job.bytesProcessed),
    jobComplete: true,
    cacheHit: false,
  };
}
