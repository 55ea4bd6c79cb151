// The REST resources of the catalog as BigQuery writes them: Dataset and its datasets.list
// entry, Table and its tables.list entry (https://cloud.google.com/bigquery/docs/reference/rest/v2/datasets,
// …/tables). int64 fields (numBytes, numRows, times in ms) are decimal strings, as in the API.
import { createHash } from 'node:crypto';
import type { StoredDataset, StoredTable } from './fake-catalog.js';
import { restField } from './fake-schema.js';

export function etag(resource: unknown): string {
  return createHash('md5').update(JSON.stringify(resource)).digest('base64');
}

function datasetReference(d: StoredDataset): { datasetId: string; projectId: string } {
  return { datasetId: d.datasetId, projectId: d.projectId };
}

export function tableReference(t: StoredTable): { projectId: string; datasetId: string; tableId: string } {
  return { projectId: t.projectId, datasetId: t.datasetId, tableId: t.tableId };
}

export function datasetListItem(d: StoredDataset): Record<string, unknown> {
  return {
    kind: 'bigquery#dataset',
    id: `${d.projectId}:${d.datasetId}`,
    datasetReference: datasetReference(d),
    ...(d.options.labels ? { labels: d.options.labels } : {}),
    location: d.location,
  };
}

export function datasetResource(d: StoredDataset, baseUrl: string): Record<string, unknown> {
  const body = {
    kind: 'bigquery#dataset',
    id: `${d.projectId}:${d.datasetId}`,
    selfLink: `${baseUrl}/bigquery/v2/projects/${d.projectId}/datasets/${d.datasetId}`,
    datasetReference: datasetReference(d),
    ...(d.options.description !== undefined ? { description: d.options.description } : {}),
    ...(d.options.labels ? { labels: d.options.labels } : {}),
    access: [
      { role: 'OWNER', specialGroup: 'projectOwners' },
      { role: 'READER', specialGroup: 'projectReaders' },
    ],
    creationTime: String(d.creationTime),
    lastModifiedTime: String(d.lastModifiedTime),
    location: d.location,
    type: 'DEFAULT',
  };
  return { ...body, etag: etag(body) };
}

export function tableListItem(t: StoredTable): Record<string, unknown> {
  return {
    kind: 'bigquery#table',
    id: t.qualifiedId,
    tableReference: tableReference(t),
    type: t.meta.type,
    ...(t.meta.timePartitioning ? { timePartitioning: t.meta.timePartitioning } : {}),
    ...(t.meta.labels ? { labels: t.meta.labels } : {}),
    ...(t.meta.type === 'VIEW' ? { view: { useLegacySql: false } } : {}),
    creationTime: String(t.creationTime),
  };
}

/** tables.get. A logical VIEW stores nothing, so it reports 0 rows and bytes (its queries still read its fixture rows). */
export function tableResource(t: StoredTable, baseUrl: string): Record<string, unknown> {
  const stored = t.meta.type !== 'VIEW';
  const body = {
    kind: 'bigquery#table',
    id: t.qualifiedId,
    selfLink: `${baseUrl}/bigquery/v2/projects/${t.projectId}/datasets/${t.datasetId}/tables/${encodeURIComponent(t.tableId)}`,
    tableReference: tableReference(t),
    ...(t.meta.description !== undefined ? { description: t.meta.description } : {}),
    ...(t.meta.labels ? { labels: t.meta.labels } : {}),
    schema: { fields: t.fields.map(restField) },
    ...(t.meta.timePartitioning ? { timePartitioning: t.meta.timePartitioning } : {}),
    ...(t.meta.type === 'VIEW' ? { view: { query: t.meta.viewQuery ?? '', useLegacySql: false } } : {}),
    ...(t.meta.type === 'MATERIALIZED_VIEW' ? { materializedView: { query: t.meta.viewQuery ?? '', enableRefresh: true } } : {}),
    numBytes: String(stored ? t.numBytes() : 0),
    numLongTermBytes: '0',
    numRows: String(stored ? t.numRows : 0),
    creationTime: String(t.creationTime),
    lastModifiedTime: String(t.lastModifiedTime),
    type: t.meta.type,
    location: t.dataset.location,
  };
  return { ...body, etag: etag(body) };
}
