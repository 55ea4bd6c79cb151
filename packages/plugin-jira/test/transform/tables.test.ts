// The table definitions are what the writer creates: refresh-field columns are named safely, and
// the rows of a real issue load into DuckDB tables built from the definitions, keys and all.
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueRows } from '../../src/transform/rows.js';
import { CHANGELOG_TABLE, issuesTable, jiraTables, refreshFieldColumns, type TableDefinition } from '../../src/transform/tables.js';
import { SITE_URL, commentsJson, historiesJson, issueJson, remoteLinksJson } from './fixture.js';

describe('refreshFieldColumns', () => {
  it('names columns by alias, prefixes cf_ on a built-in name and falls back to the field id for an invalid alias', () => {
    const columns = refreshFieldColumns({
      sla_first_response: 'customfield_10050',
      status: 'customfield_10051',
      'Team Name': 'customfield_10052',
      '1st': 'customfield_10053',
    });
    expect(columns).toEqual([
      { column: 'sla_first_response', fieldId: 'customfield_10050' },
      { column: 'cf_status', fieldId: 'customfield_10051' },
      { column: 'customfield_10052', fieldId: 'customfield_10052' },
      { column: 'customfield_10053', fieldId: 'customfield_10053' },
    ]);
  });

  it("keeps the writer's marker columns and inherited object names out of the way", () => {
    expect(
      refreshFieldColumns({ _deleted: 'customfield_1', _aida_part: 'customfield_2', _synced_at: 'customfield_3', constructor: 'customfield_4' }).map(
        (c) => c.column,
      ),
    ).toEqual(['cf__deleted', 'cf__aida_part', 'cf__synced_at', 'constructor']);
  });

  it('falls back to a field id that is a built-in name (cf_) or no identifier (made one), and refuses two fields on one column', () => {
    expect(refreshFieldColumns({ 'Status!': 'status', 'x y': 'Some-Field' }).map((c) => c.column)).toEqual(['cf_status', 'some_field']);
    expect(() => refreshFieldColumns({ cf_status: 'customfield_1', status: 'customfield_2' })).toThrow(/both map to column cf_status/);
  });

  it('puts refresh columns before _synced_at in the issues table', () => {
    const names = issuesTable(refreshFieldColumns({ sla: 'customfield_1' })).columns.map((c) => c.name);
    expect(names.slice(-2)).toEqual(['sla', '_synced_at']);
  });
});

describe('the rows load into DuckDB tables built from the definitions', () => {
  let dir: string;
  let instance: DuckDBInstance;
  const refreshFields = { status: 'customfield_10050', 'Region Code': 'customfield_10060' };
  const tables = jiraTables(refreshFields);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aida-jira-transform-'));
    instance = await DuckDBInstance.create(join(dir, 'extract.duckdb'));
  });
  afterAll(async () => {
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  });

  const ddl = (t: TableDefinition) =>
    `CREATE TABLE "${t.name}" (${t.columns.map((c) => `"${c.name}" ${c.type}`).join(', ')}, PRIMARY KEY (${t.primaryKey.map((k) => `"${k}"`).join(', ')}))`;

  async function load(conn: Awaited<ReturnType<DuckDBInstance['connect']>>, t: TableDefinition, rows: Record<string, unknown>[]) {
    const placeholders = t.columns.map((c) => `CAST(? AS ${c.type})`).join(', ');
    for (const row of rows)
      await conn.run(
        `INSERT INTO "${t.name}" VALUES (${placeholders})`,
        t.columns.map((c) => row[c.name] as string | number | boolean | null),
      );
  }

  it('casts every value to its column type and keeps the instants, NULLs and keys', async () => {
    const conn = await instance.connect();
    await conn.run("SET TimeZone = 'UTC'");
    const rows = issueRows(
      {
        issue: issueJson(),
        comments: [...commentsJson(), { ...commentsJson()[0], id: '40003', jsdPublic: undefined }],
        histories: historiesJson(),
        remoteLinks: remoteLinksJson(),
        syncedAt: new Date(),
      },
      { siteUrl: SITE_URL, refreshFields },
    );
    for (const t of tables) {
      await conn.run(ddl(t));
      await load(conn, t, rows[t.name]!);
    }
    const read = async (sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS();
    expect(
      await read(
        `SELECT CAST(created_at AS VARCHAR) AS c, CAST(due_date AS VARCHAR) AS d, comment_count, json_extract_string(cf_status, '$.name') AS sla FROM issues`,
      ),
    ).toEqual([{ c: '2024-05-01 08:00:00+00', d: '2024-05-31', comment_count: 3n, sla: 'Time to first response' }]);
    expect(await read(`SELECT comment_id, public_visibility FROM comments ORDER BY comment_id`)).toEqual([
      { comment_id: '40001', public_visibility: true },
      { comment_id: '40002', public_visibility: false },
      { comment_id: '40003', public_visibility: null },
    ]);
    expect(await read(`SELECT count(*) AS n, count(DISTINCT (change_id, field_name)) AS by_field FROM changelog`)).toEqual([{ n: 5n, by_field: 4n }]);
    expect(await read(`SELECT strftime(issue_created_at, '%Y-%m') AS month, count(*) AS n FROM attachments GROUP BY 1`)).toEqual([{ month: '2024-05', n: 2n }]);
    conn.closeSync();
  });

  it('keys the changelog by history and item position because (change_id, field_name) repeats', () => {
    expect(CHANGELOG_TABLE.primaryKey).toEqual(['change_id', 'item_index']);
  });
});
