import { describe, expect, it } from 'vitest';
import { KNOWLEDGE_CATEGORIES, OfflineExtractor, createProvider, extractOffline, parseLlmConfig } from '../../src/index.js';

const note = `# My notes for Claude

Some intro text that is not knowledge by itself.

## Revenue reporting
- **Net revenue**: use \`orders.net_amount\`; \`gross_amount\` still includes refunded orders.
- Always filter out test accounts (\`customer.is_test = true\`) before aggregating.
  They are about 2% of orders in 2024.
- [x] Fiscal year starts on 1 February
  - quarters follow from it
  - FY2025 = Feb 2025 to Jan 2026

Rule: Revenue dashboards show EUR, converted at the month-end rate.

## Debugging the Keboola sync
* When the sync fails with 429, wait for the next run instead of retrying by hand.
1. Check \`sync_history\` first.

Note: the \`jira_issues\` table is refreshed hourly, not in real time.

\`\`\`sql
-- not knowledge: a code block
- SELECT 1
Rule: not this one either
\`\`\`

<!-- - a commented-out bullet -->
| table | owner |
| --- | --- |
| orders | sales |

### Performance
- **Rule:** never SELECT * from \`events\`: it has 2 billion rows.
- Always filter out test accounts (\`customer.is_test = true\`) before aggregating.
  They are about 2% of orders in 2024.
`;

describe('the offline extractor', () => {
  const items = extractOffline(note);

  it('makes one item per bullet, titled by its term or its first sentence under the section heading (cut at 100 characters)', () => {
    expect(items.map((i) => i.title)).toEqual([
      'Net revenue',
      'Revenue reporting: Always filter out test accounts (`customer.is_test = true`) before aggregating',
      'Revenue reporting: Fiscal year starts on 1 February',
      'Revenue reporting: Revenue dashboards show EUR, converted at the month-end rate',
      'Debugging the Keboola sync: When the sync fails with 429, wait for the next run instead of…',
      'Debugging the Keboola sync: Check `sync_history` first',
      'Debugging the Keboola sync: the `jira_issues` table is refreshed hourly, not in real time',
      'Performance: never SELECT * from `events`: it has 2 billion rows',
      'Performance: Always filter out test accounts (`customer.is_test = true`) before aggregating',
    ]);
  });

  it('keeps the whole bullet as content, with its indented lines and sub-bullets', () => {
    expect(items[0].content).toBe('Net revenue: use `orders.net_amount`; `gross_amount` still includes refunded orders.');
    expect(items[1].content).toBe('Always filter out test accounts (`customer.is_test = true`) before aggregating. They are about 2% of orders in 2024.');
    expect(items[2].content).toBe('Fiscal year starts on 1 February\n- quarters follow from it\n- FY2025 = Feb 2025 to Jan 2026');
  });

  it('takes Rule: and Note: lines as items tagged rule / note, and the section as a tag', () => {
    expect(items[3]).toEqual({
      title: 'Revenue reporting: Revenue dashboards show EUR, converted at the month-end rate',
      content: 'Revenue dashboards show EUR, converted at the month-end rate.',
      category: 'business_logic',
      tags: ['rule', 'revenue-reporting'],
    });
    expect(items[6].tags).toEqual(['note', 'debugging-the-keboola-sync']);
    // ### Performance is a subsection of the Keboola one: its own heading decides.
    expect(items[7]).toMatchObject({ content: 'never SELECT * from `events`: it has 2 billion rows.', category: 'performance', tags: ['rule', 'performance'] });
  });

  it('derives the category from the headings, nearest first', () => {
    expect(items.map((i) => i.category)).toEqual([
      'business_logic',
      'business_logic',
      'business_logic',
      'business_logic',
      'debugging',
      'debugging',
      'debugging',
      'performance',
      'performance',
    ]);
    for (const i of items) expect(KNOWLEDGE_CATEGORIES).toContain(i.category);
  });

  it('skips paragraphs, code blocks, HTML comments and tables', () => {
    const text = JSON.stringify(items);
    expect(text).not.toContain('intro text');
    expect(text).not.toContain('SELECT 1');
    expect(text).not.toContain('not this one');
    expect(text).not.toContain('commented-out');
    expect(text).not.toContain('owner');
  });

  it('returns nothing for an empty note, and the same items twice only once', () => {
    expect(extractOffline('')).toEqual([]);
    expect(extractOffline('# Only a heading\n\nand a paragraph')).toEqual([]);
    expect(extractOffline('- Use net_amount for revenue\n- Use net_amount for revenue')).toHaveLength(1);
  });

  it('is what an instance without llm config gets', () => {
    const backend = createProvider(parseLlmConfig(undefined, {}));
    expect(backend.kind).toBe('offline');
    if (backend.kind !== 'offline') return;
    expect(backend.extractor).toBeInstanceOf(OfflineExtractor);
    expect(backend.extractor.extract(note)).toEqual(items);
  });
});
