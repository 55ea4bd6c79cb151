// The `aida://tables/{name}` resource: a described table (describe_table's answer) as markdown,
// the same text on the laptop and on the server.
import type { McpTableDescription } from './schemas.js';

export function tableMarkdown(t: McpTableDescription): string {
  const facts = [
    t.rows === null ? undefined : `${t.rows.toLocaleString('en-US')} rows`,
    t.updated ? `updated ${t.updated}` : undefined,
    t.synced_at ? `synced ${t.synced_at}` : undefined,
    t.source ? `source ${t.source}` : undefined,
    t.bucket && t.bucket !== t.source ? `bucket ${t.bucket}` : undefined,
  ].filter(Boolean);
  const profile = t.profile
    ? `Profiled ${t.profile.profiled_at}${t.profile.sampled ? ' on a sample' : ''}${t.profile.stale ? ' (stale: the data changed since)' : ''}.`
    : 'No profile has been computed for this table.';
  const header = ['column', 'type', 'null %', 'distinct', 'min', 'max', 'notes'];
  const rows = t.columns.map((c) => [
    `\`${c.name}\``,
    c.type,
    c.null_pct === undefined ? '' : String(c.null_pct),
    c.distinct_count === undefined ? '' : String(c.distinct_count),
    cell(c.min),
    cell(c.max),
    (c.notes ?? []).join('; '),
  ]);
  const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.map(escapeCell).join(' | ')} |`).join('\n');
  const alerts = t.profile?.alerts.length ? `\n\n## Alerts\n\n${t.profile.alerts.map((a) => `- \`${a.column}\`: ${a.message}`).join('\n')}` : '';
  return [
    `# ${t.id}`,
    ...(t.description ? [t.description] : []),
    facts.join(' · '),
    profile,
    `## Columns\n\n${table}${alerts}`,
    `Query it with SQL such as \`SELECT * FROM ${quoteIfNeeded(t.id)} LIMIT 10\`.`,
  ].join('\n\n');
}

function cell(v: unknown): string {
  return v === undefined || v === null ? '' : String(v);
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

/** Table ids with dots or dashes need quotes in SQL. */
function quoteIfNeeded(id: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(id) ? id : `"${id.replace(/"/g, '""')}"`;
}
