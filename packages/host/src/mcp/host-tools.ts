// What each MCP tool of the server answers, from the host's own services in this process: the
// catalog (registry, analytics tables, read access), the profiles, the query runner, the access
// requests and the corporate memory. Every answer is filtered by the caller's read access, so a
// table they may not read is never listed, described, searched, queried or shown as a resource.
import { createHash } from 'node:crypto';
import {
  cursorExpired,
  decodeMcpCursor,
  describeColumn,
  filterTables,
  listingChanged,
  listingKey,
  listPage,
  profileSummary,
  queryPage,
  refusal,
  searchCatalog,
  tableMarkdown,
  tableProfileSchema,
  type McpListTablesInput,
  type McpQueryInput,
  type McpTableDescription,
  type McpTableSummary,
  type RequestUser,
  type TableProfileFacts,
} from '@aida/core';
import { catalogEntries } from '../data/catalog.js';
import type { DataContext } from '../data/context.js';
import type { ProfileService } from '../data/profiles/service.js';
import type { QueryRunner } from '../data/query/runner.js';
import { TableForbiddenError } from '../errors.js';
import { requestableTables } from '../identity/routes/access-requests.js';
import { servedColumns } from '../portal/catalog-search.js';
import type { KeptResults } from './kept-results.js';
import type { KnowledgeBridge } from './knowledge.js';
import { queryRows } from './query-rows.js';

/** A tool's answer: the JSON text the agent reads and the same data as structured content. */
export interface ToolAnswer<T = unknown> {
  text: string;
  structured: T;
}

export interface HostToolsDeps {
  data: Pick<DataContext, 'registry' | 'analytics' | 'access' | 'identity' | 'logger'>;
  profiles: ProfileService;
  /** The query runner of the MCP query tool (the sandbox and limits of POST /api/query). */
  runner: QueryRunner;
  /** Characters of JSON one answer may hold. */
  budget: number;
  /** Query results kept for paging, shared by every session (each result is its caller's only), and by every host on PostgreSQL. */
  pages: KeptResults;
  knowledge: KnowledgeBridge | undefined;
}

type Summary = McpTableSummary & { source_type: string | null };

const answer = <T>(structured: T): ToolAnswer<T> => ({ text: JSON.stringify(structured), structured });

function forbidden(table: string): InstanceType<typeof TableForbiddenError> {
  return new TableForbiddenError(
    `No table '${table}' that you can read: it does not exist or you have no access to it (list_tables shows yours; request_access asks an admin for one)`,
    { detail: { table } },
  );
}

/**
 * What a listing's cursors are checked against: its items themselves, so a page of a changed
 * listing is refused, not mixed, and the next page may come from any host that lists the same.
 */
const contentVersion = (items: readonly string[]) => createHash('sha256').update(items.join('\n')).digest('base64url');

/** A short tag of the user in the keys of their kept results: another user's cursor names a result they cannot have. */
const userTag = (userId: string) => createHash('sha256').update(userId).digest('base64url').slice(0, 10);

export class HostMcpTools {
  constructor(private readonly d: HostToolsDeps) {}

  get hasKnowledge(): boolean {
    return Boolean(this.d.knowledge);
  }

  get canPropose(): boolean {
    return Boolean(this.d.knowledge?.propose);
  }

  /** The memory plugin's proposal schema (the propose_knowledge tool's input), when it takes proposals. */
  get proposalSchema() {
    return this.d.knowledge?.propose?.schema;
  }

  listTables(user: RequestUser, input: McpListTablesInput): ToolAnswer {
    const { cursor, ...filters } = input;
    const tables = filterTables(this.summaries(user), filters).map(({ source_type: _type, ...t }) => JSON.stringify(t));
    const key = listingKey({ ...filters, user: user.id }, contentVersion(tables));
    const offset = cursor ? this.listingOffset(cursor, 'list_tables', key) : 0;
    return listPage('tables', tables, { tool: 'list_tables', key, offset, budget: this.d.budget });
  }

  async describeTable(user: RequestUser, table: string): Promise<ToolAnswer<McpTableDescription>> {
    const described = await this.describe(user, table);
    let text = JSON.stringify(described);
    if (text.length <= this.d.budget) return { text, structured: described };
    // Hundreds of columns: names and types only, which is what a query needs first.
    const bare = { ...described, columns: described.columns.map((c) => ({ name: c.name, type: c.type })) };
    text = JSON.stringify(bare);
    if (text.length <= this.d.budget) return { text, structured: bare };
    throw refusal(
      'columns_too_wide',
      `${described.id} has ${described.columns.length} columns, more than one answer can describe`,
      `list them with query: SELECT column_name, column_type FROM (DESCRIBE ${described.id})`,
    );
  }

  async searchCatalog(user: RequestUser, text: string, cursor: string | undefined): Promise<ToolAnswer> {
    const columns = await servedColumns(this.d.data.analytics, this.d.data.logger);
    const tables = this.summaries(user).map((t) => ({ id: t.id, description: t.description, columns: columns.get(t.id.toLowerCase()) ?? [] }));
    const matches = searchCatalog(tables, text).map((m) => JSON.stringify(m));
    const key = listingKey({ text, user: user.id }, contentVersion(matches));
    const offset = cursor ? this.listingOffset(cursor, 'search_catalog', key) : 0;
    return listPage('matches', matches, { tool: 'search_catalog', key, offset, budget: this.d.budget });
  }

  /** One checked SELECT with the caller's rights; a result larger than one answer is kept and paged by cursor. */
  async query(user: RequestUser, input: McpQueryInput, signal?: AbortSignal): Promise<ToolAnswer> {
    if (input.cursor) {
      const c = decodeMcpCursor(input.cursor, 'query');
      const kept = c.key.endsWith(`.${userTag(user.id)}`) ? await this.d.pages.page(c.key, c.offset, this.d.budget) : undefined;
      if (!kept) throw cursorExpired();
      return queryPage(kept, { key: c.key, offset: c.offset, budget: this.d.budget });
    }
    const sql = input.sql?.trim();
    if (!sql) throw refusal('not_a_select', 'Send sql (one SELECT), or the cursor of a previous page', 'for example {"sql": "SELECT count(*) FROM orders"}');
    let result;
    try {
      result = await queryRows(this.d.runner, user, sql, signal);
    } catch (e) {
      if (e instanceof TableForbiddenError) throw forbidden(String((e.detail as { table?: unknown } | null)?.table ?? ''));
      throw e;
    }
    const key = `${this.d.pages.newKey()}.${userTag(user.id)}`;
    const page = queryPage(result, { key, offset: 0, budget: this.d.budget });
    if (page.structured.truncated) await this.d.pages.keep(key, result);
    return page;
  }

  /** The `aida://tables/{name}` resource: the full description as markdown. */
  async tableMarkdown(user: RequestUser, table: string): Promise<string> {
    return tableMarkdown(await this.describe(user, table));
  }

  tableIds(user: RequestUser): string[] {
    return this.summaries(user).map((t) => t.id);
  }

  async requestAccess(user: RequestUser, table: string, reason: string | undefined): Promise<ToolAnswer> {
    const { registry, access, identity } = this.d.data;
    const r = await identity.accessRequests.create(user, table, reason, requestableTables({ registry, access }));
    return answer({ id: r.id, table_id: r.table_id, status: r.status, created_at: r.created_at.toISOString() });
  }

  async getKnowledge(user: RequestUser, input: { search?: string; cursor?: string }, requestId: string): Promise<ToolAnswer> {
    const k = this.d.knowledge!;
    const items = input.search ? await k.search(user, input.search, requestId) : await k.rules(user, requestId);
    const texts = items.map((i) => JSON.stringify(i));
    const key = listingKey({ search: input.search ?? null }, contentVersion(texts));
    const offset = input.cursor ? this.listingOffset(input.cursor, 'get_knowledge', key) : 0;
    return listPage('items', texts, { tool: 'get_knowledge', key, offset, budget: this.d.budget });
  }

  async proposeKnowledge(user: RequestUser, input: Record<string, unknown>, requestId: string): Promise<ToolAnswer> {
    return answer(await this.d.knowledge!.propose!.run(user, input, requestId));
  }

  private async describe(user: RequestUser, table: string): Promise<McpTableDescription> {
    const { registry, access, analytics, logger } = this.d.data;
    const entry = registry.get(table.trim());
    if (!entry || !access.canRead(user, entry.id)) throw forbidden(table);
    const summary = this.summaries(user).find((t) => t.id === entry.id)!;
    const served = analytics.tables().find((t) => t.table_name.toLowerCase() === entry.id);
    const profile = served && served.query_mode !== 'remote' ? await this.profile(entry.id) : undefined;
    const known = (await servedColumns(analytics, logger)).get(entry.id) ?? profile?.columns ?? [];
    const { source_type: _type, ...rest } = summary;
    return { ...rest, synced_at: null, columns: known.map((c) => describeColumn(c.name, c.type, profile)), profile: profileSummary(profile) };
  }

  /**
   * The stored profile, never computed here: a profile of a wide or big table takes seconds to
   * minutes, too long for a tool call. The host profiles after every rebuild
   * (analytics.profile_after_rebuild), and GET /api/catalog/profile computes one on demand.
   */
  private async profile(table: string): Promise<TableProfileFacts | undefined> {
    try {
      const stored = await this.d.profiles.stored(table);
      if (!stored) return undefined;
      const parsed = tableProfileSchema.safeParse(JSON.parse(JSON.stringify(stored)));
      return parsed.success ? parsed.data : undefined;
    } catch (e) {
      this.d.data.logger.debug({ err: e, table }, 'describe_table goes on without a profile');
      return undefined;
    }
  }

  /** The tables the caller may read, as list_tables shows them (the order of GET /api/catalog/tables). */
  private summaries(user: RequestUser): Summary[] {
    return catalogEntries(this.d.data, user)
      .filter((row) => row.readable)
      .map(({ entry, served, description }) => ({
        id: entry.id,
        description,
        source: served?.source ?? null,
        bucket: entry.bucket,
        rows: served ? Number(served.rows) : null,
        updated: served?.extracted_at ? new Date(served.extracted_at).toISOString() : null,
        source_type: entry.source_type ?? served?.source_type ?? null,
      }));
  }

  private listingOffset(cursor: string, tool: string, key: string): number {
    const c = decodeMcpCursor(cursor, tool);
    if (c.key !== key) throw listingChanged(tool);
    return c.offset;
  }
}
