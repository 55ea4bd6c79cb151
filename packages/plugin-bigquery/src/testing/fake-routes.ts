// The REST paths the Node client calls, under `/bigquery/v2` (its baseUrl is
// `${apiEndpoint}/bigquery/v2`, then `/projects/{projectId}/…`): datasets.list/get,
// tables.list/get, tabledata.list (`…/tables/{t}/data`), jobs.insert/get/cancel, jobs.query
// (`POST …/queries`) and jobs.getQueryResults (`GET …/queries/{jobId}`). Anything else is a 404
// that says the fake does not serve it.
import type { Catalog } from './fake-catalog.js';
import { BigQueryError } from './fake-errors.js';
import type { Jobs } from './fake-jobs.js';
import { rowsPage } from './fake-job-shapes.js';
import { intParam, listPage, pageStart, pageToken } from './fake-paging.js';
import { datasetListItem, datasetResource, etag, tableListItem, tableResource } from './fake-resources.js';
import { timestampFormat } from './fake-time.js';

export interface RouteEnv {
  catalog: Catalog;
  jobs: Jobs;
  baseUrl: string;
}

const PREFIX = '/bigquery/v2/projects/';

/** Answers one authenticated REST call with its JSON body, or throws a BigQueryError. */
export async function route(env: RouteEnv, method: string, path: string, query: Record<string, string | string[]>, body: unknown): Promise<unknown> {
  if (!path.startsWith(PREFIX)) throw notServed(method, path);
  const seg = path
    .slice(PREFIX.length)
    .split('/')
    .map((s) => decodeURIComponent(s));
  const [projectId, collection, id, sub, subId, leaf] = seg;
  const n = seg.length;
  const q = query as Record<string, unknown>;
  if (collection === 'datasets' && method === 'GET') {
    if (n === 2) return listDatasets(env, projectId, q);
    if (n === 3) return datasetResource(env.catalog.dataset(projectId, id), env.baseUrl);
    if (n === 4 && sub === 'tables') return listTables(env, projectId, id, q);
    if (n === 5 && sub === 'tables') return tableResource(env.catalog.table(projectId, id, subId), env.baseUrl);
    if (n === 6 && sub === 'tables' && leaf === 'data') return listRows(env, projectId, id, subId, q);
  }
  if (collection === 'jobs') {
    if (n === 2 && method === 'POST') return env.jobs.insert(projectId, body);
    if (n === 3 && method === 'GET') return env.jobs.get(projectId, id, q);
    if (n === 4 && sub === 'cancel' && method === 'POST') return env.jobs.cancel(projectId, id, q);
  }
  if (collection === 'queries') {
    if (n === 2 && method === 'POST') return env.jobs.query(projectId, body);
    if (n === 3 && method === 'GET') return env.jobs.results(projectId, id, q);
  }
  throw notServed(method, path);
}

function notServed(method: string, path: string): BigQueryError {
  return BigQueryError.notFound(`The fake does not serve ${method} ${path}`);
}

function listDatasets(env: RouteEnv, projectId: string, q: Record<string, unknown>): unknown {
  if (q.filter !== undefined) throw BigQueryError.invalid('The fake does not support the filter parameter of datasets.list');
  const page = listPage(`datasets:${projectId}`, env.catalog.datasetsOf(projectId), q);
  const body = {
    kind: 'bigquery#datasetList',
    ...(page.items.length ? { datasets: page.items.map(datasetListItem) } : {}),
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
  };
  return { ...body, etag: etag(body) };
}

function listTables(env: RouteEnv, projectId: string, datasetId: string, q: Record<string, unknown>): unknown {
  const tables = [...env.catalog.dataset(projectId, datasetId).tables.values()].sort((a, b) => (a.tableId < b.tableId ? -1 : 1));
  const page = listPage(`tables:${projectId}:${datasetId}`, tables, q);
  const body = {
    kind: 'bigquery#tableList',
    ...(page.items.length ? { tables: page.items.map(tableListItem) } : {}),
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    totalItems: tables.length,
  };
  return { ...body, etag: etag(body) };
}

/** tabledata.list: a stored table's rows (`selectedFields` keeps schema order, as the client expects). */
function listRows(env: RouteEnv, projectId: string, datasetId: string, tableId: string, q: Record<string, unknown>): unknown {
  const table = env.catalog.table(projectId, datasetId, tableId);
  if (table.meta.type === 'VIEW') throw BigQueryError.invalid(`Cannot list a table of type VIEW.`);
  const selected = typeof q.selectedFields === 'string' && q.selectedFields ? q.selectedFields.split(',').map((s) => s.trim().toLowerCase()) : null;
  if (selected?.some((s) => s.includes('.'))) throw BigQueryError.invalid('The fake does not support nested selectedFields');
  const columns = table.fields.map((f, i) => ({ f, i })).filter(({ f }) => !selected || selected.includes(f.name.toLowerCase()));
  if (selected && columns.length !== new Set(selected).size) throw BigQueryError.invalid(`Invalid field selection: ${String(q.selectedFields)}`);
  const source = table.source;
  const start = pageStart(`data:${table.qualifiedId}`, q);
  const ts = timestampFormat(q['formatOptions.useInt64Timestamp'], q['formatOptions.timestampOutputFormat']);
  const fields = columns.map((c) => c.f);
  const page = rowsPage(fields, source.count, (p) => columns.map((c) => source.cell(p, c.i)), start, intParam(q.maxResults, 'maxResults'), ts);
  const body = {
    kind: 'bigquery#tableDataList',
    totalRows: String(source.count),
    ...(page.next !== undefined ? { pageToken: pageToken(`data:${table.qualifiedId}`, page.next) } : {}),
    ...(page.rows ? { rows: page.rows } : {}),
  };
  return { ...body, etag: String(table.lastModifiedTime) };
}
