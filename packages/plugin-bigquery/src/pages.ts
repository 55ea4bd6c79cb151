// Reading all of a finished query's rows, several pages in flight. BigQuery's pageToken chains
// pages one after another, so a chain cannot be fetched in parallel; the first page's
// `totalRows` gives the ranges instead, and each is asked for by `startIndex` (the same
// jobs.getQueryResults call). A page BigQuery cut short (about 10 MB) leaves the rest of its
// range queued. With one page in flight, or no row count, the pageToken chain is followed.
import type { BigQueryApi, CallContext, FinishedQuery } from './client.js';
import { BigQueryMalformedResponseError } from './errors.js';
import { ndjsonOfRows } from './page-text.js';

/** Takes one page of rows as staging text (see page-text.ts), its row count, and where it starts in the result. */
export type PageSink = (ndjson: string, rows: number, start: number) => Promise<void>;

export interface PageOptions extends CallContext {
  pageSize: number;
  inFlight: number;
}

/** Hands every row of `query` to `sink` in pages; resolves with the row count. */
export async function readAllPages(api: BigQueryApi, query: FinishedQuery, sink: PageSink, o: PageOptions): Promise<number> {
  const first = query.first.rows ?? [];
  await sink(ndjsonOfRows(first), first.length, 0);
  const total = query.first.totalRows;
  if (!query.first.pageToken) return first.length;
  if (o.inFlight <= 1 || total === undefined) return followTokens(api, query, first.length, sink, o);

  const ranges: { start: number; end: number }[] = [];
  for (let s = first.length; s < total; s += o.pageSize) ranges.push({ start: s, end: Math.min(total, s + o.pageSize) });
  let read = first.length;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (!failed && ranges.length) {
      const range = ranges.shift()!;
      try {
        const page = await api.resultsText(query.job, { startIndex: range.start, maxResults: range.end - range.start }, o);
        const { rows } = page;
        const what = `jobs.getQueryResults of ${query.job.jobId}`;
        if (!rows) throw new BigQueryMalformedResponseError(`${what} returned no rows at startIndex ${range.start} of ${total}`);
        if (rows > range.end - range.start) throw new BigQueryMalformedResponseError(`${what} returned more rows than asked for`);
        if (range.start + rows < range.end) ranges.unshift({ start: range.start + rows, end: range.end });
        await sink(page.ndjson, rows, range.start);
        read += rows;
      } catch (e) {
        failed ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.inFlight, Math.max(1, ranges.length)) }, worker));
  if (failed) throw failed.error;
  return read;
}

async function followTokens(api: BigQueryApi, query: FinishedQuery, read: number, sink: PageSink, o: PageOptions): Promise<number> {
  let token = query.first.pageToken;
  while (token) {
    const page = await api.resultsText(query.job, { pageToken: token, maxResults: o.pageSize }, o);
    await sink(page.ndjson, page.rows, read);
    read += page.rows;
    token = page.meta.pageToken;
  }
  return read;
}
