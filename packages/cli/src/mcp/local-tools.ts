// The MCP read tools over this laptop's workspace: what each tool answers, from the files
// `da sync` left (agent-context/local-catalog.ts) and the local database. No server is asked.
import {
  cursorExpired,
  decodeMcpCursor,
  filterTables,
  listingChanged,
  listingKey,
  listPage,
  NotFoundError,
  queryPage,
  refusal,
  ResultPages,
  searchCatalog,
  SerialQueue,
  tableMarkdown,
  type McpListTablesInput,
  type McpQueryInput,
  type McpTableDescription,
} from '@aida/core';
import {
  catalogVersion,
  describeLocalTable,
  loadLocalCatalog,
  localColumns,
  savedProfile,
  summary,
  type ColumnsByTable,
} from '../agent-context/local-catalog.js';
import { ProfilesFile } from '../profiles-file.js';
import type { Workspace } from '../workspace.js';
import { openReadOnly } from './read-only-db.js';
import { runSelect, type SelectLimits } from './select.js';

/** A tool's answer: the JSON text the agent reads and the same data as structured content. */
export interface ToolAnswer<T = unknown> {
  text: string;
  structured: T;
}

export interface LocalToolsOptions {
  /** Characters of JSON one answer may hold. */
  budget: number;
  limits: SelectLimits;
}

export class LocalTools {
  private readonly pages = new ResultPages();
  /** One database handle at a time: calls of one agent session are few, and DuckDB files lock per process. */
  private readonly db = new SerialQueue();

  constructor(
    readonly ws: Workspace,
    private readonly o: LocalToolsOptions,
  ) {}

  async listTables(input: McpListTablesInput): Promise<ToolAnswer> {
    const catalog = await loadLocalCatalog(this.ws);
    const { cursor, ...filters } = input;
    const key = listingKey(filters, catalogVersion(catalog));
    const offset = cursor ? this.listingOffset(cursor, 'list_tables', key) : 0;
    const tables = filterTables(catalog.tables, filters).map((t) => JSON.stringify(summary(t)));
    return listPage('tables', tables, { tool: 'list_tables', key, offset, budget: this.o.budget });
  }

  async describeTable(id: string): Promise<ToolAnswer<McpTableDescription>> {
    const described = await this.describe(id);
    let text = JSON.stringify(described);
    if (text.length <= this.o.budget) return { text, structured: described };
    // Hundreds of columns: names and types only, which is what a query needs first.
    const bare = { ...described, columns: described.columns.map((c) => ({ name: c.name, type: c.type })) };
    text = JSON.stringify(bare);
    if (text.length <= this.o.budget) return { text, structured: bare };
    throw refusal(
      'columns_too_wide',
      `${described.id} has ${described.columns.length} columns, more than one answer can describe`,
      `list them with query: SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = '${described.id.replace(/'/g, "''")}'`,
    );
  }

  async searchCatalog(text: string, cursor: string | undefined): Promise<ToolAnswer> {
    const catalog = await loadLocalCatalog(this.ws);
    const key = listingKey({ text }, catalogVersion(catalog));
    const offset = cursor ? this.listingOffset(cursor, 'search_catalog', key) : 0;
    const [columns, profiles] = await Promise.all([this.columns(), ProfilesFile.load(this.ws)]);
    const tables = catalog.tables.map((t) => ({
      id: t.id,
      description: t.description,
      columns: columns?.get(t.id.toLowerCase()) ?? savedProfile(profiles, t.id)?.columns ?? [],
    }));
    const matches = searchCatalog(tables, text).map((m) => JSON.stringify(m));
    return listPage('matches', matches, { tool: 'search_catalog', key, offset, budget: this.o.budget });
  }

  async query(input: McpQueryInput): Promise<ToolAnswer> {
    if (input.cursor) {
      const c = decodeMcpCursor(input.cursor, 'query');
      const kept = this.pages.get(c.key);
      if (!kept) throw cursorExpired();
      return queryPage(kept, { key: c.key, offset: c.offset, budget: this.o.budget });
    }
    const sql = input.sql?.trim();
    if (!sql) throw refusal('not_a_select', 'Send sql (one SELECT), or the cursor of a previous page', 'for example {"sql": "SELECT count(*) FROM orders"}');
    const result = await this.db.run(async () => {
      const db = await openReadOnly(this.ws);
      try {
        return await runSelect(db.conn, sql, this.o.limits);
      } finally {
        db.close();
      }
    });
    const key = this.pages.newKey();
    const page = queryPage(result, { key, offset: 0, budget: this.o.budget });
    if (page.structured.truncated) this.pages.keep(key, result);
    return page;
  }

  /** The `aida://tables/{name}` resource. */
  async tableMarkdown(id: string): Promise<string> {
    return tableMarkdown(await this.describe(id));
  }

  async tableIds(): Promise<string[]> {
    return (await loadLocalCatalog(this.ws)).tables.map((t) => t.id);
  }

  private async describe(id: string): Promise<McpTableDescription> {
    const catalog = await loadLocalCatalog(this.ws);
    const t = catalog.tables.find((x) => x.id === id) ?? catalog.tables.find((x) => x.id.toLowerCase() === id.toLowerCase());
    if (!t)
      throw new NotFoundError(
        `No table '${id}' on this laptop: list_tables shows the ones here (da sync brings the tables you may read; one you may not read never reaches the laptop)`,
      );
    const [columns, profiles] = await Promise.all([this.columns(t.id), ProfilesFile.load(this.ws)]);
    return describeLocalTable(t, catalog, columns?.get(t.id.toLowerCase()), savedProfile(profiles, t.id));
  }

  /** Columns from the database; undefined when it cannot be opened now (describe falls back to the saved profile). */
  private async columns(id?: string): Promise<ColumnsByTable | undefined> {
    try {
      return await this.db.run(async () => {
        const db = await openReadOnly(this.ws);
        try {
          return await localColumns(db.conn, id);
        } finally {
          db.close();
        }
      });
    } catch {
      return undefined;
    }
  }

  private listingOffset(cursor: string, tool: string, key: string): number {
    const c = decodeMcpCursor(cursor, tool);
    if (c.key !== key) throw listingChanged(tool);
    return c.offset;
  }
}
