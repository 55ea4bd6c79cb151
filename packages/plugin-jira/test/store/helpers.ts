// What the store tests share: a source folder in a temp dir, SourceWrites as the host gives them
// (a fresh writer per push, committed when the callback resolves, discarded when it throws),
// issues built by the real transform from the transform fixture, and the committed tables read
// back from their Parquet files.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ExtractWriter, queryRows, readExtract, sqlString, type FileRow, type PlainValue, type SourceWrites } from '@aida/core';
import { pino } from 'pino';
import { JiraStore } from '../../src/store/index.js';
import { issueRows, type IssueRows, type JiraTableName } from '../../src/transform/index.js';
import { SITE_URL, commentsJson, historiesJson, issueJson, remoteLinksJson } from '../transform/fixture.js';

export const refreshFields = { sla: 'customfield_10050', region: 'customfield_10060' };
export const TABLES: JiraTableName[] = ['issues', 'comments', 'attachments', 'changelog', 'issuelinks', 'remote_links'];

export interface Source {
  root: string;
  sourceDir: string;
  store: JiraStore;
  /** Number of pushes made. */
  pushes: () => number;
  cleanup: () => Promise<void>;
}

/** The host's push: one writer per call, committed when `write` resolves, aborted when it throws. */
export function pushWrites(sourceDir: string, onPush: () => void = () => {}): SourceWrites {
  return {
    async push(write) {
      onPush();
      const writer = await ExtractWriter.open(sourceDir);
      try {
        const report = await write(writer);
        await writer.commit();
        return report;
      } catch (e) {
        await writer.abort();
        throw e;
      }
    },
  };
}

export async function newSource(): Promise<Source> {
  const root = await mkdtemp(join(tmpdir(), 'aida-jira-store-'));
  const sourceDir = join(root, 'extracts', 'jira');
  let pushes = 0;
  const store = new JiraStore({ writes: pushWrites(sourceDir, () => pushes++), sourceDir, refreshFields, logger: pino({ level: 'silent' }) });
  return { root, sourceDir, store, pushes: () => pushes, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export interface IssueSpec {
  /** `OPS-<n>`; ids of its comments, attachments and histories are prefixed with n so they stay unique across issues. */
  n: number;
  created?: string;
  updated?: string;
  /** Status category name. */
  category?: string;
  /** Comment ids (of the fixture's two, `40001` and `40002`) to keep; default both. */
  comments?: string[];
  /** Further comments, copies of the fixture's first with their own ids. */
  extraComments?: number;
  /** undefined: the remote links fetch failed. Default: the fixture's two. */
  remoteLinks?: 'fixture' | 'failed' | 'none';
  summary?: string;
}

/** The transform's rows for a fixture issue changed as `spec` says. */
export function rowsOf(spec: IssueSpec): IssueRows {
  const issue = issueJson();
  const key = `OPS-${spec.n}`;
  const prefixed = <T extends { id: string | number }>(x: T): T => ({ ...x, id: `${spec.n}${x.id}` });
  issue.key = key;
  issue.id = `1${spec.n}`;
  issue.fields.created = spec.created ?? '2024-05-01T10:00:00.000+0200';
  issue.fields.updated = spec.updated ?? '2024-05-03T17:30:12.345+0000';
  if (spec.summary) issue.fields.summary = spec.summary;
  if (spec.category) {
    // As Jira sends it: the category's fixed key with its (English here) name.
    const key = { 'To Do': 'new', 'In Progress': 'indeterminate', Done: 'done' }[spec.category] ?? 'undefined';
    issue.fields.status.statusCategory = { ...issue.fields.status.statusCategory, key, name: spec.category };
  }
  issue.fields.attachment = issue.fields.attachment.map(prefixed);
  const keep = new Set(spec.comments ?? ['40001', '40002']);
  const remote = spec.remoteLinks ?? 'fixture';
  return issueRows(
    {
      issue,
      comments: [
        ...commentsJson().filter((c) => keep.has(c.id)),
        ...Array.from({ length: spec.extraComments ?? 0 }, (_, i) => ({ ...commentsJson()[0], id: `5${String(i).padStart(4, '0')}` })),
      ].map(prefixed),
      histories: historiesJson().map(prefixed),
      remoteLinks: remote === 'failed' ? undefined : remote === 'none' ? [] : remoteLinksJson(),
      syncedAt: new Date('2024-05-04T06:00:00.000Z'),
    },
    { siteUrl: SITE_URL, refreshFields },
  );
}

/** Reads what the committed extract holds, on a DuckDB of the test's own. */
export class ExtractReader {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly sourceDir: string,
  ) {}

  static async open(sourceDir: string): Promise<ExtractReader> {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    await conn.run(`SET TimeZone = 'UTC'`);
    return new ExtractReader(instance, conn, sourceDir);
  }

  async files(table: JiraTableName): Promise<FileRow[]> {
    const { files } = await readExtract(this.conn, join(this.sourceDir, 'extract.duckdb'));
    return files.filter((f) => f.table_name === table);
  }

  async tables(): Promise<string[]> {
    return (await readExtract(this.conn, join(this.sourceDir, 'extract.duckdb'))).meta.map((m) => m.table_name);
  }

  /** Part → sha256 of the table's files. */
  async hashes(table: JiraTableName): Promise<Record<string, string>> {
    return Object.fromEntries((await this.files(table)).map((f) => [f.part ?? '', f.sha256]));
  }

  /** The table's rows with `columns`, ordered by them, each with the part its file is. */
  async rows(table: JiraTableName, columns: string[]): Promise<Record<string, PlainValue>[]> {
    const files = await this.files(table);
    if (!files.length) return [];
    const parts = files.map((f) => `SELECT '${f.part}' AS part, ${columns.join(', ')} FROM read_parquet(${sqlString(resolve(this.sourceDir, f.path))})`);
    return queryRows(this.conn, `SELECT * FROM (${parts.join(' UNION ALL ')}) ORDER BY ${columns.join(', ')}`);
  }

  /** Column name → type, as the table's files hold them. */
  async types(table: JiraTableName): Promise<Record<string, string>> {
    const files = await this.files(table);
    const described = await queryRows<{ column_name: string; column_type: string }>(
      this.conn,
      `DESCRIBE SELECT * FROM read_parquet([${files.map((f) => sqlString(resolve(this.sourceDir, f.path))).join(', ')}])`,
    );
    return Object.fromEntries(described.map((c) => [c.column_name, c.column_type]));
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
