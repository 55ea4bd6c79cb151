import { describe, expect, it } from 'vitest';
import { sensitivityVerdict } from '../../src/extract/sensitivity.js';

const item = (content: string, title = 'A note') => ({ title, content, tags: [] });

const unsafe: [string, RegExp][] = [
  ['Connect with postgres://[REDACTED:connection_string]@db.internal/sales', /redacted/],
  [`Use the key sk-ant-api03-${'Ab3'.repeat(10)} for staging`, /secret-like/],
  ['password: Summer2024!', /secret-like/],
  ['Ask jana.novakova@acme.cz before changing the model', /email/],
  ['Escalate to Petr on +420 601 234 567 when the load fails', /phone/],
  ['Call (415) 555-0100 for the vendor', /phone/],
  ['Refunds go to CZ65 0800 0000 1920 0014 5399', /IBAN/],
  ['Test card 4111 1111 1111 1111 was charged', /card/],
  ['Her SSN 123-45-6789 is in the HR export', /national/],
  ['Rodné číslo 850101/1234 is stored in hr.people', /national/],
  ["Jana Nováková's salary is 95k, do not share", /named person/],
  ['Petr is on sick leave until March, so the ETL reviews go to Eva', /named person/],
  ['The performance review of Tomáš Dvořák was poor', /named person/],
  ['Martin earns $9000 a month', /named person/],
  ['Eva is on a PIP since May', /named person/],
];

const safe = [
  'Revenue is net of refunds: use `orders.net_amount`.',
  'Send failures to support@acme.cz or data@acme.cz (team mailboxes).',
  "Example: SELECT * FROM users WHERE email = 'ana@example.com'",
  'Dates are ISO: 2024-01-15, times in UTC; ids like 1234-5678 are order numbers.',
  'The IP of the warehouse is 10.0.12.45 on port 5432.',
  "Snowflake's performance drops when warehouses auto-suspend; BigQuery's performance is steadier.",
  "The customer's health score comes from `cs.health_scores`, refreshed daily.",
  'The `salaries` table in hr holds monthly gross pay per employee id; never join it to names.',
  'Team bonus pool is computed in `finance.bonus_pool` at quarter end.',
  'Order numbers have 13 digits: 1234567890123 is a valid order id.',
  'Timeouts: the Keboola job gives up after 3600 s; retry-after is honoured.',
  'Passwords are rotated every 90 days (policy, see the wiki).',
];

describe('sensitivityVerdict', () => {
  it.each(unsafe)('unsafe: %s', (content, reason) => {
    const v = sensitivityVerdict(item(content));
    expect(v.safe).toBe(false);
    expect(v.reason).toMatch(reason);
  });

  it.each(safe)('safe: %s', (content) => {
    expect(sensitivityVerdict(item(content))).toEqual({ safe: true });
  });

  it('looks at the title and the tags too, and never quotes what it found', () => {
    const v = sensitivityVerdict({ title: 'Ping ana.k@acme.cz first', content: 'Before deploys.', tags: [] });
    expect(v.safe).toBe(false);
    expect(v.reason).not.toContain('acme');
    expect(sensitivityVerdict({ title: 'Deploys', content: 'Before deploys.', tags: ['ana.k@acme.cz'] }).safe).toBe(false);
  });
});
