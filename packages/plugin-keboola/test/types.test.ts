import { DuckDBInstance } from '@duckdb/node-api';
import { queryRows } from '@aida/core';
import { describe, expect, it } from 'vitest';
import type { KeboolaTable } from '../src/client.js';
import { castExpression, duckdbType, keboolaBaseType, planColumns } from '../src/types.js';

describe('Keboola base types → DuckDB types', () => {
  it('maps every base type; NUMERIC with a length is DECIMAL, without one DOUBLE; unknown is VARCHAR with a warning', () => {
    expect(duckdbType('STRING').type).toBe('VARCHAR');
    expect(duckdbType('INTEGER').type).toBe('BIGINT');
    expect(duckdbType('NUMERIC', '12,2').type).toBe('DECIMAL(12,2)');
    expect(duckdbType('NUMERIC', '38').type).toBe('DECIMAL(38,0)');
    expect(duckdbType('NUMERIC', '76,10').type).toBe('DOUBLE');
    expect(duckdbType('NUMERIC').type).toBe('DOUBLE');
    expect(duckdbType('FLOAT').type).toBe('DOUBLE');
    expect(duckdbType('BOOLEAN').type).toBe('BOOLEAN');
    expect(duckdbType('DATE').type).toBe('DATE');
    expect(duckdbType('TIMESTAMP').type).toBe('TIMESTAMP');
    expect(duckdbType(undefined)).toEqual({ type: 'VARCHAR' });
    expect(duckdbType('GEOGRAPHY')).toEqual({ type: 'VARCHAR', warning: 'unknown Keboola base type "GEOGRAPHY", stored as VARCHAR' });
  });

  it('prefers a typed table definition, then user metadata over component and storage metadata', () => {
    const table: KeboolaTable = {
      id: 'in.c-a.t',
      name: 't',
      columns: ['a', 'b', 'c'],
      columnMetadata: {
        a: [
          { key: 'KBC.datatype.basetype', value: 'STRING', provider: 'storage', timestamp: '2024-03-01' },
          { key: 'KBC.datatype.basetype', value: 'NUMERIC', provider: 'keboola.ex-db-mysql', timestamp: '2024-01-01' },
          { key: 'KBC.datatype.length', value: '10,3', provider: 'keboola.ex-db-mysql', timestamp: '2024-01-01' },
        ],
        b: [
          { key: 'KBC.datatype.basetype', value: 'NUMERIC', provider: 'keboola.ex-db-mysql' },
          { key: 'KBC.datatype.basetype', value: 'INTEGER', provider: 'user' },
        ],
      },
      definition: { columns: [{ name: 'c', basetype: 'DATE', definition: { type: 'DATE' } }] },
    };
    expect(keboolaBaseType(table, 'a')).toEqual({ basetype: 'NUMERIC', length: '10,3' });
    expect(keboolaBaseType(table, 'b')).toEqual({ basetype: 'INTEGER', length: null });
    expect(keboolaBaseType(table, 'c')).toEqual({ basetype: 'DATE', length: null });
    const { columns, warnings } = planColumns(table, { columnTypes: { b: 'VARCHAR' } });
    expect(columns.map((c) => `${c.name}:${c.type}`)).toEqual(['a:DECIMAL(10,3)', 'b:VARCHAR', 'c:DATE']);
    expect(warnings).toEqual([]);
    expect(() => planColumns(table, { columns: ['a', 'zz'] })).toThrow(/zz is not a column of Keboola table in.c-a.t/);
  });

  it('converts TIMESTAMP text with a UTC offset (after the seconds or their fraction) to UTC, and takes naive values as UTC', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      await conn.run(`SET TimeZone = 'UTC'`);
      const values: [string | null, string | null][] = [
        ['2024-03-02 12:30:00', '2024-03-02 12:30:00'],
        ['2024-03-02T12:30:00+02:00', '2024-03-02 10:30:00'],
        ['2024-03-02 12:30:00-0330', '2024-03-02 16:00:00'],
        ['2024-03-02 12:30:00.25+01', '2024-03-02 11:30:00.25'],
        ['2024-03-02 12:30:00.125', '2024-03-02 12:30:00.125'],
        ['2024-03-02T12:30:00Z', '2024-03-02 12:30:00'],
        ['2024-03-02', '2024-03-02 00:00:00'],
        [null, null],
      ];
      const input = values.map(([v], i) => `(${i}, ${v === null ? 'NULL' : `'${v}'`})`).join(', ');
      const rows = await queryRows<{ t: string | null }>(
        conn,
        `SELECT CAST(${castExpression({ name: 'ts', type: 'TIMESTAMP' })} AS VARCHAR) AS t FROM (VALUES ${input}) v(i, ts) ORDER BY i`,
      );
      expect(rows.map((r) => r.t)).toEqual(values.map(([, want]) => want));
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
