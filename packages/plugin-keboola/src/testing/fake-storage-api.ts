// The Storage API side of the fake stack: buckets, tables (columns, metadata, column metadata,
// primary key), export-async → jobs → files (`?federationToken=1`) in Keboola's request and
// response shapes. Exports snapshot the seeded rows into gzip CSV files or sliced manifests
// whose slices it puts in the object storages (served by fake-object-storage.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { ACCESS_KEY_ID, GCS_TOKEN, S3_BUCKET, SAS, SECRET_ACCESS_KEY, SESSION_TOKEN, SIGNATURE } from './fake-credentials.js';
import { send } from './fake-http.js';
import type { FakeFile, FakeJob, FakeTable, StoredObject } from './fake-model.js';

/** What the Storage API routes read from the FakeKeboola they serve (its public state). */
export interface StorageApiHost {
  readonly token: string;
  readonly apiUrl: string;
  /** Polls of a job before it finishes. */
  readonly jobPolls: number;
  readonly tables: ReadonlyMap<string, FakeTable>;
  readonly objects: Map<string, StoredObject>;
}

/** The Storage API routes and the export jobs and files behind them; one per FakeKeboola. */
export class FakeStorageApi {
  /** Exported files by id; the signed-URL server reads them too. */
  readonly files = new Map<number, FakeFile>();
  private readonly jobs = new Map<number, FakeJob>();
  private readonly fixedExports = new Map<string, number>();
  private nextId = 1000;

  constructor(private readonly host: StorageApiHost) {}

  /** Answers one Storage API request (token checked first); an unknown route is a 404. */
  route(req: IncomingMessage, url: URL, body: Record<string, unknown>, res: ServerResponse): void {
    const p = url.pathname;
    if (req.headers['x-storageapi-token'] !== this.host.token) {
      return send(res, 401, { error: 'Invalid access token', code: 'storage.tokenInvalid', status: 'error' });
    }
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && p === '/v2/storage/buckets') {
      const buckets = [...new Set([...this.host.tables.keys()].map(bucketOf))].map((id) => ({
        id,
        name: id.split('.')[1],
        stage: id.split('.')[0],
        displayName: id.split('.')[1],
        description: '',
      }));
      return send(res, 200, buckets);
    }
    if (req.method === 'GET' && p === '/v2/storage/tables')
      return send(
        res,
        200,
        [...this.host.tables.values()].map((t) => this.tableJson(t)),
      );
    if (req.method === 'GET' && (m = /^\/v2\/storage\/buckets\/([^/]+)\/tables$/.exec(p))) {
      const bucket = decodeURIComponent(m[1]);
      return send(
        res,
        200,
        [...this.host.tables.values()].filter((t) => bucketOf(t.id) === bucket).map((t) => this.tableJson(t)),
      );
    }
    if (req.method === 'GET' && (m = /^\/v2\/storage\/tables\/([^/]+)$/.exec(p))) {
      const t = this.host.tables.get(decodeURIComponent(m[1]));
      return t
        ? send(res, 200, this.tableJson(t))
        : send(res, 404, { error: `The table "${decodeURIComponent(m[1])}" was not found`, code: 'storage.tables.notFound', status: 'error' });
    }
    if (req.method === 'POST' && (m = /^\/v2\/storage\/tables\/([^/]+)\/export-async$/.exec(p))) {
      const t = this.host.tables.get(decodeURIComponent(m[1]));
      if (!t) return send(res, 404, { error: 'The table was not found', code: 'storage.tables.notFound', status: 'error' });
      return send(res, 202, this.jobJson(this.startExport(t, body)));
    }
    if (req.method === 'GET' && (m = /^\/v2\/storage\/jobs\/(\d+)$/.exec(p))) {
      const job = this.jobs.get(Number(m[1]));
      if (!job) return send(res, 404, { error: 'Job not found', code: 'storage.jobs.notFound', status: 'error' });
      this.advance(job);
      return send(res, 200, this.jobJson(job));
    }
    if (req.method === 'GET' && (m = /^\/v2\/storage\/files\/(\d+)$/.exec(p))) {
      const f = this.files.get(Number(m[1]));
      if (!f) return send(res, 404, { error: 'File not found', code: 'storage.files.notFound', status: 'error' });
      return send(res, 200, this.fileJson(f, url.searchParams.get('federationToken') === '1'));
    }
    send(res, 404, { error: `No route ${req.method} ${p}`, status: 'error' });
  }

  private tableJson(t: FakeTable): Record<string, unknown> {
    const columnMetadata: Record<string, unknown[]> = {};
    for (const [col, ty] of Object.entries(t.types ?? {})) {
      const ts = '2024-01-01T00:00:00+0100';
      columnMetadata[col] = [
        { id: `${col}-1`, key: 'KBC.datatype.basetype', value: ty.basetype, provider: 'user', timestamp: ts },
        ...(ty.length ? [{ id: `${col}-2`, key: 'KBC.datatype.length', value: ty.length, provider: 'user', timestamp: ts }] : []),
        { id: `${col}-3`, key: 'KBC.datatype.basetype', value: 'STRING', provider: 'storage', timestamp: ts },
      ];
    }
    const last = t.rows.reduce((m, r) => Math.max(m, r.changedAt), 0);
    return {
      uri: `${this.host.apiUrl}/v2/storage/tables/${t.id}`,
      id: t.id,
      name: t.id.split('.')[2],
      displayName: t.id.split('.')[2],
      transactional: false,
      primaryKey: t.primaryKey,
      indexType: null,
      indexKey: [],
      distributionType: null,
      distributionKey: [],
      syncExportEnabled: true,
      created: '2024-01-01T00:00:00+0100',
      lastImportDate: last ? new Date(last).toISOString() : null,
      lastChangeDate: last ? new Date(last).toISOString() : null,
      rowsCount: t.rows.length,
      dataSizeBytes: 1024,
      isAlias: false,
      isAliasable: true,
      isTyped: t.typed === true,
      ...(t.typed ? { definition: typedDefinition(t) } : {}),
      columns: t.columns,
      metadata: t.description ? [{ id: '1', key: 'KBC.description', value: t.description, provider: 'user', timestamp: '2024-01-01T00:00:00+0100' }] : [],
      columnMetadata,
      bucket: { id: bucketOf(t.id), name: t.id.split('.')[1], stage: t.id.split('.')[0], description: '', backend: 'snowflake' },
    };
  }

  private startExport(t: FakeTable, params: Record<string, unknown>): FakeJob {
    let rows = t.rows;
    const since = params.changedSince;
    if (since !== undefined && since !== '') {
      const ms = /^\d+$/.test(String(since)) ? Number(since) * 1000 : Date.parse(String(since));
      rows = rows.filter((r) => r.changedAt >= ms);
    }
    if (params.whereColumn) {
      const values = ([] as unknown[]).concat(params.whereValues ?? []).map(String);
      const ne = params.whereOperator === 'ne';
      rows = rows.filter((r) => {
        const v = r.values[String(params.whereColumn)];
        return (v !== null && values.includes(v)) !== ne;
      });
    }
    const columns = params.columns ? ([] as unknown[]).concat(params.columns).flatMap((c) => String(c).split(',')) : t.columns;
    const job: FakeJob = {
      id: this.nextId++,
      tableId: t.id,
      status: 'waiting',
      polls: 0,
      params,
      // Only a typed table can hold NULL; a non-typed one stores every value as a string.
      snapshot: rows.map((r) => columns.map((c) => (t.typed ? (r.values[c] ?? null) : (r.values[c] ?? '')))),
      columns,
      created: new Date().toISOString(),
    };
    this.jobs.set(job.id, job);
    return job;
  }

  private advance(job: FakeJob): void {
    if (job.status === 'success' || job.status === 'error') return;
    job.polls++;
    if (job.polls < this.host.jobPolls) {
      job.status = 'processing';
      return;
    }
    const t = this.host.tables.get(job.tableId)!;
    if (t.failExport) {
      job.status = 'error';
      job.error = t.failExport;
      return;
    }
    job.fileId = this.fixedExports.get(t.id) ?? this.writeExport(t, job);
    job.status = 'success';
  }

  private writeExport(t: FakeTable, job: FakeJob): number {
    const id = this.nextId++;
    const name = `${t.id}.csv.gz`;
    const provider = t.provider ?? 'aws';
    if (!t.slices) {
      const csv = [job.columns, ...job.snapshot].map(csvLine).join('');
      const content = gzipSync(csv);
      this.files.set(id, { id, name, sliced: false, provider, content, sizeBytes: content.length });
      return id;
    }
    const per = Math.ceil(job.snapshot.length / t.slices) || 1;
    const entries: { url: string; mandatory: boolean }[] = [];
    for (let s = 0; s < t.slices; s++) {
      const key = `exp-2/${id}/${id}.csv.gz${String(s).padStart(4, '0')}_part_00`;
      const chunk = job.snapshot.slice(s * per, (s + 1) * per);
      // Slices have no header row.
      this.host.objects.set(`${S3_BUCKET}/${key}`, gzipSync(chunk.map(csvLine).join('')));
      entries.push({
        url:
          provider === 'aws'
            ? `s3://${S3_BUCKET}/${key}`
            : provider === 'gcp'
              ? `gs://${S3_BUCKET}/${key}`
              : `azure://fakeaccount.blob.core.windows.net/${S3_BUCKET}/${key}`,
        mandatory: true,
      });
    }
    const content = Buffer.from(JSON.stringify({ entries }));
    this.files.set(id, { id, name: `${name}manifest`, sliced: true, provider, content, sizeBytes: 1234 });
    return id;
  }

  /** Serves a sliced export's slices from a local gzip file (a path) or gzip bytes each (benchmarks). */
  registerSlicedFile(files: (string | Buffer)[], provider: 'aws' = 'aws'): number {
    const id = this.nextId++;
    const entries = files.map((file, s) => {
      const key = `exp-2/${id}/${id}.csv.gz${String(s).padStart(4, '0')}_part_00`;
      this.host.objects.set(`${S3_BUCKET}/${key}`, typeof file === 'string' ? { path: file } : file);
      return { url: `s3://${S3_BUCKET}/${key}`, mandatory: true };
    });
    const content = Buffer.from(JSON.stringify({ entries }));
    this.files.set(id, { id, name: 'bench.csv.gzmanifest', sliced: true, provider, content, sizeBytes: 0 });
    return id;
  }

  /** Makes every export of a table finish with an existing file instead of generating one. */
  exportAs(tableId: string, fileId: number): void {
    this.fixedExports.set(tableId, fileId);
  }

  private jobJson(job: FakeJob): Record<string, unknown> {
    return {
      id: job.id,
      status: job.status,
      url: `${this.host.apiUrl}/v2/storage/jobs/${job.id}`,
      tableId: job.tableId,
      operationName: 'tableExport',
      operationParams: job.params,
      createdTime: job.created,
      startTime: job.status === 'waiting' ? null : job.created,
      endTime: job.status === 'success' || job.status === 'error' ? new Date().toISOString() : null,
      runId: null,
      results: job.status === 'success' ? { file: { id: job.fileId } } : null,
      error: job.status === 'error' ? { code: 'storage.tableExportFailed', message: job.error, exceptionId: 'exception-123' } : null,
      creatorToken: { id: '1', description: 'aida' },
      metrics: { inCompressed: false, inBytes: 0, inBytesUncompressed: 0, outCompressed: true, outBytes: 0, outBytesUncompressed: 0 },
    };
  }

  private fileJson(f: FakeFile, federation: boolean): Record<string, unknown> {
    const base: Record<string, unknown> = {
      id: f.id,
      created: new Date().toISOString(),
      isPublic: false,
      isSliced: f.sliced,
      isEncrypted: true,
      name: f.name,
      url: `${this.host.apiUrl}/signed/files/${f.id}/${f.name}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${ACCESS_KEY_ID}&X-Amz-Signature=${SIGNATURE}`,
      provider: f.provider,
      region: f.provider === 'aws' ? 'us-east-1' : f.provider === 'gcp' ? 'europe-west3' : 'northeurope',
      sizeBytes: f.sizeBytes,
      tags: [],
      maxAgeDays: 15,
      runId: null,
      runIds: [],
      creatorToken: { id: 1, description: 'aida' },
    };
    if (!federation) return base;
    if (f.provider === 'aws') {
      base.credentials = {
        AccessKeyId: ACCESS_KEY_ID,
        SecretAccessKey: SECRET_ACCESS_KEY,
        SessionToken: SESSION_TOKEN,
        Expiration: '2030-01-01T00:00:00+00:00',
      };
      base.s3Path = { bucket: S3_BUCKET, key: `exp-2/${f.id}/${f.id}.csv.gz` };
    } else if (f.provider === 'gcp') {
      base.gcsCredentials = { access_token: GCS_TOKEN, expires_in: 3600, token_type: 'Bearer', projectId: 'kbc-fake' };
      base.gcsPath = { bucket: S3_BUCKET, key: `exp-2/${f.id}/${f.id}.csv.gz` };
    } else {
      base.absCredentials = { SASConnectionString: `BlobEndpoint=${this.host.apiUrl}/azure;SharedAccessSignature=${SAS}`, expiration: '2030-01-01T00:00:00Z' };
      base.absPath = { container: S3_BUCKET, name: `exp-2/${f.id}/${f.id}.csv.gz` };
    }
    return base;
  }
}

function bucketOf(tableId: string): string {
  return tableId.slice(0, tableId.lastIndexOf('.'));
}

/**
 * Keboola's CSV: every value double-quoted, quotes doubled, rows ending in \n (LF) — a CR or
 * CRLF inside a value stays inside its quotes. NULL (typed tables only) is a bare empty field,
 * so it differs from the empty string `""`.
 */
export function csvLine(values: readonly (string | null)[]): string {
  return `${values.map((v) => (v === null ? '' : `"${v.replace(/"/g, '""')}"`)).join(',')}\n`;
}

/** Snowflake types a typed table's definition names for each Keboola base type. */
const SNOWFLAKE_TYPES: Record<string, string> = {
  STRING: 'VARCHAR',
  INTEGER: 'NUMBER',
  NUMERIC: 'NUMBER',
  FLOAT: 'FLOAT',
  BOOLEAN: 'BOOLEAN',
  DATE: 'DATE',
  TIMESTAMP: 'TIMESTAMP_NTZ',
};

/** A typed table's `definition` as the Storage API lists it: columns without a recorded type are strings. */
function typedDefinition(t: FakeTable): Record<string, unknown> {
  return {
    primaryKeysNames: t.primaryKey,
    columns: t.columns.map((name) => {
      const ty = t.types?.[name] ?? { basetype: 'STRING' };
      return {
        name,
        basetype: ty.basetype,
        definition: { type: SNOWFLAKE_TYPES[ty.basetype] ?? ty.basetype, nullable: !t.primaryKey.includes(name), length: ty.length ?? null },
      };
    }),
  };
}
