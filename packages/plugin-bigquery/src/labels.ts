// BigQuery job labels, so what AIDA runs shows up in the billing export by source, table and
// user. Label values are at most 63 lower-case letters, digits, `_` and `-`.

/** `value` as a BigQuery label value: lower-cased, other characters as `_`, at most 63. */
export function labelValue(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '_')
    .slice(0, 63);
}

export function jobLabels(o: { source: string; workload: 'materialize' | 'remote_query'; table?: string; user?: string }): Record<string, string> {
  return {
    aida_source: labelValue(o.source),
    aida_workload: o.workload,
    ...(o.table ? { aida_table: labelValue(o.table) } : {}),
    ...(o.user !== undefined ? { aida_user: labelValue(o.user) } : {}),
  };
}
