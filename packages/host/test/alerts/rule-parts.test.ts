import { describe, expect, it } from 'vitest';
import { evaluateCondition, holds } from '../../src/alerts/condition.js';
import { conditionFromText, conditionText } from '../../src/alerts/form.js';
import { placeholderNames, renderTemplate } from '../../src/alerts/template.js';

describe('message templates', () => {
  it('fills placeholders by name and evaluates nothing', () => {
    const values = new Map<string, unknown>([
      ['row_count', 3],
      ['order_id', 58],
      ['note', null],
      ['tags', ['a', 'b']],
      ['constructor', 'x'],
    ]);
    expect(renderTemplate('{{row_count}} orders, first {{ order_id }}; note [{{note}}] {{tags}}', values)).toBe('3 orders, first 58; note [] ["a","b"]');
    // Names are map keys, never code or properties: these stay as written.
    expect(renderTemplate('{{ toString }} {{__proto__}} {{order_id + 1}} {{constructor}}', values)).toBe('{{toString}} {{__proto__}} {{order_id + 1}} x');
    expect(placeholderNames('{{a}} {{ b }} {{a}} no {braces}')).toEqual(['a', 'b']);
  });

  it('refuses an unclosed or empty placeholder', () => {
    expect(() => placeholderNames('hi {{name')).toThrow('message: "{{" at character 4 is never closed with "}}"');
    expect(() => placeholderNames('hi {{}}')).toThrow(/not a placeholder/);
    expect(() => placeholderNames('hi {{ {x} }}')).toThrow(/not a placeholder/);
  });
});

describe('conditions', () => {
  const cols = [{ name: 'n' }, { name: 'at' }, { name: 'flag' }];
  const rows = [
    [1, '2024-01-01T00:00:00Z', true],
    ['12345678901234567890', '2024-06-01T00:00:00Z', null],
  ];

  it('counts rows', () => {
    expect(evaluateCondition('rows > 0', cols, rows)).toEqual({ met: true, row: 0 });
    expect(evaluateCondition('rows = 0', cols, [])).toEqual({ met: true, row: undefined });
    expect(evaluateCondition('rows >= 3', cols, rows).met).toBe(false);
    expect(evaluateCondition('rows != 2', cols, rows).met).toBe(false);
  });

  it('compares a column on any row: numbers (also as text), text in order, true/false and null with = and !=', () => {
    expect(evaluateCondition({ column: 'n', op: '>', value: 1000 }, cols, rows)).toEqual({ met: true, row: 1 });
    expect(evaluateCondition({ column: 'at', op: '>=', value: '2024-03-01' }, cols, rows)).toEqual({ met: true, row: 1 });
    expect(evaluateCondition({ column: 'flag', op: '=', value: null }, cols, rows)).toEqual({ met: true, row: 1 });
    expect(evaluateCondition({ column: 'flag', op: '!=', value: true }, cols, rows)).toEqual({ met: true, row: 1 });
    expect(evaluateCondition({ column: 'missing', op: '=', value: 1 }, cols, rows).met).toBe(false);
    expect(holds('abc', '>', 5)).toBe(false);
    expect(holds(null, '<', 5)).toBe(false);
    expect(holds(true, '>', null)).toBe(false);
    expect(holds(5, '<=', 5)).toBe(true);
  });
});

describe("the page's condition box", () => {
  it('reads rows conditions as they are and "<column> <op> <value>" as a column condition', () => {
    expect(conditionFromText(' rows >= 10 ')).toBe('rows >= 10');
    expect(conditionFromText('total >= 1000')).toEqual({ column: 'total', op: '>=', value: 1000 });
    expect(conditionFromText('status = "late"')).toEqual({ column: 'status', op: '=', value: 'late' });
    expect(conditionFromText("status != 'ok'")).toEqual({ column: 'status', op: '!=', value: 'ok' });
    expect(conditionFromText('paid = false')).toEqual({ column: 'paid', op: '=', value: false });
    expect(conditionFromText('note = null')).toEqual({ column: 'note', op: '=', value: null });
    expect(conditionFromText('customer = c12')).toEqual({ column: 'customer', op: '=', value: 'c12' });
  });

  it('shows a stored condition so that reading it back gives the same condition', () => {
    for (const c of [
      'rows > 0',
      { column: 'total', op: '>=', value: 1000 },
      { column: 's', op: '=', value: '42' },
      { column: 'p', op: '!=', value: null },
    ] as const) {
      expect(conditionFromText(conditionText(c))).toEqual(c);
    }
  });
});
