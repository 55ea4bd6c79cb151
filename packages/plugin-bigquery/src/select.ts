// Which BigQuery tables this source has, under which AIDA names: the configured tables and
// every table of the configured datasets (less `exclude`), each read with tables.get for its
// schema, size and partitioning. A configured table BigQuery does not have is that table's
// error; any other failure (credentials, BigQuery down) means the source cannot be read, and
// throws. `TableNames` answers the reverse question for remote queries: which AIDA table a
// BigQuery table a query references stands for.
import { mapLimit, type TableOutcome } from '@aida/core';
import type { TableResource } from './api-types.js';
import type { BigQueryApi, CallContext } from './client.js';
import {
  defaultTableName,
  fullTableId,
  parseDatasetId,
  parseTableId,
  type BigQueryConfig,
  type Overlap,
  type TableConfig,
  type TableMode,
  type TableRef,
} from './config.js';
import { BigQueryNotFoundError } from './errors.js';

/** Table reads at once while listing. */
const METADATA_PARALLELISM = 8;

export interface TablePlan {
  /** The table's name in AIDA. */
  name: string;
  ref: TableRef;
  /** `project.dataset.table`. */
  id: string;
  mode: TableMode;
  strategy: TableConfig['strategy'];
  incrementalColumn?: string;
  /** From the config; else the table's BigQuery primary key constraint. */
  primaryKey?: string[];
  overlap?: Overlap;
  partitionBy?: TableConfig['partition_by'];
  description?: string;
  table: TableResource;
}

export interface Selection {
  plans: TablePlan[];
  /** Configured tables that cannot be synced (not found, a name already taken). */
  problems: TableOutcome[];
  /** Every AIDA name the config accounts for, planned or not: the others leave the extract. */
  claimed: Set<string>;
}

interface Candidate {
  name: string;
  ref: TableRef;
  config: Omit<TablePlan, 'name' | 'ref' | 'id' | 'table'>;
  origin: string;
}

export async function selectTables(config: BigQueryConfig, api: BigQueryApi, ctx: CallContext): Promise<Selection> {
  const candidates: Candidate[] = config.tables.map((t, i) => ({
    name: t.name ?? defaultTableName(t.id),
    ref: parseTableId(t.id, config.project),
    config: {
      mode: t.mode,
      strategy: t.strategy,
      incrementalColumn: t.incremental_column,
      primaryKey: t.primary_key,
      overlap: t.overlap,
      partitionBy: t.partition_by,
      description: t.description,
    },
    origin: `tables[${i}]`,
  }));
  const problems: TableOutcome[] = [];
  const names = new Set(candidates.map((c) => c.name));
  const explicit = new Set(candidates.map((c) => fullTableId(c.ref)));

  for (const [i, d] of config.datasets.entries()) {
    const { projectId, datasetId } = parseDatasetId(d.id, config.project);
    const excluded = globs(d.exclude);
    for (const ref of await api.listTables(projectId, datasetId, ctx)) {
      const id = fullTableId(ref);
      if (explicit.has(id) || excluded(ref)) continue;
      const name = defaultTableName(ref.tableId);
      if (names.has(name)) {
        problems.push({
          name,
          status: 'skipped',
          error: `BigQuery table ${id} (datasets[${i}]): the name ${name} is already taken; list it under tables with a name of its own`,
        });
        continue;
      }
      names.add(name);
      candidates.push({ name, ref, config: { mode: d.mode, strategy: 'full_refresh' }, origin: `datasets[${i}]` });
    }
  }

  const found = await mapLimit(candidates, METADATA_PARALLELISM, async (c) => {
    try {
      return await api.getTable(c.ref, ctx);
    } catch (e) {
      if (e instanceof BigQueryNotFoundError) {
        problems.push({
          name: c.name,
          status: 'error',
          error: `BigQuery table ${fullTableId(c.ref)} (${c.origin}) does not exist or is not visible to the credentials`,
        });
        return undefined;
      }
      throw e;
    }
  });
  const plans = candidates.flatMap((c, i) => {
    const table = found[i];
    if (!table) return [];
    const primaryKey = c.config.primaryKey ?? table.tableConstraints?.primaryKey?.columns;
    return [{ ...c.config, name: c.name, ref: c.ref, id: fullTableId(c.ref), table, primaryKey: primaryKey?.length ? primaryKey : undefined }];
  });
  return { plans, problems, claimed: names };
}

/** Which AIDA table a BigQuery table stands for, from the config alone (no API call). */
export class TableNames {
  private readonly byId = new Map<string, string>();
  private readonly datasets: { projectId: string; datasetId: string; excluded: (ref: TableRef) => boolean }[];
  private readonly explicitNames: Set<string>;

  constructor(config: BigQueryConfig) {
    for (const t of config.tables) this.byId.set(fullTableId(parseTableId(t.id, config.project)), t.name ?? defaultTableName(t.id));
    this.explicitNames = new Set(this.byId.values());
    this.datasets = config.datasets.map((d) => ({ ...parseDatasetId(d.id, config.project), excluded: globs(d.exclude) }));
  }

  /** The AIDA name, or undefined when no configured table or dataset covers `ref`. */
  nameOf(ref: TableRef): string | undefined {
    const named = this.byId.get(fullTableId(ref));
    if (named) return named;
    const covered = this.datasets.some((d) => d.projectId === ref.projectId && d.datasetId === ref.datasetId && !d.excluded(ref));
    const name = defaultTableName(ref.tableId);
    // A dataset table whose name a configured table took is not that table.
    return covered && !this.explicitNames.has(name) ? name : undefined;
  }
}

/** Matches `dataset.table` or `project.dataset.table` against globs (`*`, `?`). */
function globs(patterns: readonly string[]): (ref: TableRef) => boolean {
  const res = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      ),
  );
  return (ref) => {
    const short = `${ref.datasetId}.${ref.tableId}`;
    const full = fullTableId(ref);
    return res.some((re) => re.test(short) || re.test(full));
  };
}
