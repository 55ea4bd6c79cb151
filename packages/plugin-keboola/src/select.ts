import { isValidIdentifier, type TableOutcome } from '@aida/core';
import type { KeboolaTable } from './client.js';
import { defaultTableName, type KeboolaConfig, type Strategy } from './config.js';

/** One Keboola table to sync and how. */
export interface TablePlan {
  /** Table name in AIDA (a valid identifier). */
  name: string;
  table: KeboolaTable;
  strategy: Strategy;
  /** Merge key: the config's primary_key, else Keboola's primary key (may be empty). */
  primaryKey: string[];
  /** True when the key is Keboola's own, so an export never holds two rows with the same key. */
  keyIsKeboolas: boolean;
  partition?: { column: string; granularity: 'day' | 'month' | 'year' };
  overlapMs: number;
  columns?: string[];
  where?: { column: string; values: string[]; operator: 'eq' | 'ne' };
  columnTypes?: Record<string, string>;
  description: string | null;
}

export interface Selection {
  plans: TablePlan[];
  /** Configured tables that cannot be synced (missing at Keboola, name clash): reported, never dropped. */
  problems: TableOutcome[];
  /** AIDA names the config claims even when the table is missing now (their previous data stays). */
  claimed: Set<string>;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

function bucketOf(t: KeboolaTable): string {
  return t.bucket?.id ?? t.id.slice(0, t.id.lastIndexOf('.'));
}

function tableDescription(t: KeboolaTable): string | null {
  const d = t.metadata?.filter((m) => m.key === 'KBC.description').sort((a, b) => String(b.timestamp ?? '').localeCompare(String(a.timestamp ?? '')))[0]?.value;
  return d || null;
}

/** Matches the config's tables and bucket filters against Keboola's table list. */
export function selectTables(config: KeboolaConfig, listing: readonly KeboolaTable[]): Selection {
  const byId = new Map(listing.map((t) => [t.id, t]));
  const plans: TablePlan[] = [];
  const problems: TableOutcome[] = [];
  const claimed = new Set<string>();
  const used = new Set<string>();
  const explicitIds = new Set(config.tables.map((t) => t.id));

  for (const spec of config.tables) {
    const name = spec.name ?? defaultTableName(spec.id);
    claimed.add(name.toLowerCase());
    const table = byId.get(spec.id);
    if (!table) {
      problems.push({
        name,
        status: 'error',
        error: `Keboola table ${spec.id} was not found (deleted, renamed, or the token cannot read its bucket); the previous data is kept`,
      });
      continue;
    }
    used.add(name.toLowerCase());
    const keboolaKey = table.primaryKey ?? table.definition?.primaryKeysNames ?? [];
    plans.push({
      name,
      table,
      strategy: spec.strategy,
      primaryKey: spec.primary_key ?? keboolaKey,
      keyIsKeboolas: !spec.primary_key || sameList(spec.primary_key, keboolaKey),
      partition: spec.partition_by,
      overlapMs: spec.incremental_overlap ?? config.incremental_overlap,
      columns: spec.columns,
      where: spec.where,
      columnTypes: spec.column_types,
      description: spec.description ?? tableDescription(table) ?? `Keboola table ${table.id}`,
    });
  }

  for (const filter of config.buckets) {
    const match = globToRegExp(filter.id);
    const excluded = new Set(filter.exclude);
    for (const table of [...listing].sort((a, b) => a.id.localeCompare(b.id))) {
      if (!match.test(bucketOf(table)) || explicitIds.has(table.id) || excluded.has(table.id)) continue;
      if (plans.some((p) => p.table.id === table.id)) continue;
      const name = defaultTableName(table.name || table.id);
      if (!isValidIdentifier(name) || used.has(name.toLowerCase()) || claimed.has(name.toLowerCase())) {
        problems.push({
          name: table.id,
          status: 'skipped',
          error: `Keboola table ${table.id} skipped: the name ${name} is ${isValidIdentifier(name) ? 'already used by another table' : 'not a valid table name'}; list it under tables: with its own name`,
        });
        continue;
      }
      used.add(name.toLowerCase());
      claimed.add(name.toLowerCase());
      const keboolaKey = table.primaryKey ?? table.definition?.primaryKeysNames ?? [];
      plans.push({
        name,
        table,
        strategy: filter.strategy,
        primaryKey: keboolaKey,
        keyIsKeboolas: true,
        overlapMs: filter.incremental_overlap ?? config.incremental_overlap,
        description: tableDescription(table) ?? `Keboola table ${table.id}`,
      });
    }
  }
  return { plans, problems, claimed };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
