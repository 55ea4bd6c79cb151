import { describe, expect, it } from 'vitest';
import type { KeboolaTable } from '../src/client.js';
import { duckdbType, keboolaBaseType, planColumns } from '../src/types.js';

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
});
