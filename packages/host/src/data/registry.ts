import { ConflictError, InputError, NotFoundError, ValidationError } from '@aida/core';
import { LocalChanges, reloadOnChange, type StateChanges } from '../state/changes.js';
import type { SystemDb } from '../state/system-db.js';

export interface RegistryEntry {
  id: string;
  name: string;
  folder: string | null;
  sync_strategy: string;
  primary_key: string | null;
  description: string | null;
  source_type: string | null;
  bucket: string | null;
  source_table: string | null;
  query_mode: string;
  sync_schedule: string | null;
  profile_after_sync: boolean;
  is_public: boolean;
  registered_by: string | null;
  registered_at: Date | null;
}

export type RegistryInput = Partial<Omit<RegistryEntry, 'id' | 'registered_at' | 'registered_by'>> & { name?: string };

const FIELDS = ['name', 'folder', 'sync_strategy', 'primary_key', 'description', 'source_type', 'bucket', 'source_table', 'query_mode', 'sync_schedule', 'profile_after_sync', 'is_public'] as const;

/** Table id from a name, as the reference does it: trimmed, lower-cased, spaces → `_`. */
export function tableIdFor(name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, '_');
}

/**
 * `table_registry`, in memory and written through (the catalog, the manifest and every
 * permission check read it). Tables a connector extracts are registered automatically. A
 * change is announced to the other hosts (`changes`, keyed by table id), which reload the entry.
 */
export class TableRegistry {
  private readonly byId = new Map<string, RegistryEntry>();
  private version = 0;

  constructor(
    private readonly db: SystemDb,
    private readonly changes: StateChanges = new LocalChanges(),
  ) {
    reloadOnChange(changes, 'registry', { one: (id) => this.reload(id), all: () => this.load() });
  }

  async load(): Promise<void> {
    const rows = await this.db.all<RegistryEntry>('SELECT * FROM table_registry');
    // Swapped in one step: a request meanwhile sees the old registry, never an empty one.
    this.byId.clear();
    for (const e of rows) this.byId.set(e.id, e);
    this.version++;
  }

  /** Reads one entry again (another host changed it). */
  async reload(id: string): Promise<void> {
    const [e] = await this.db.all<RegistryEntry>('SELECT * FROM table_registry WHERE id = ?', [id]);
    if (e) this.byId.set(e.id, e);
    else this.byId.delete(id);
    this.version++;
  }

  /** Bumped on every change, so caches built from the registry know when to rebuild. */
  get changeVersion(): number {
    return this.version;
  }

  get(id: string): RegistryEntry | undefined {
    return this.byId.get(id.toLowerCase());
  }

  list(): RegistryEntry[] {
    return [...this.byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  async register(input: RegistryInput, by: string): Promise<RegistryEntry> {
    const name = input.name?.trim();
    if (!name) throw new ValidationError('name must not be empty', { issues: [{ field: 'name', message: 'must not be empty' }] });
    const id = tableIdFor(name);
    if (this.byId.has(id)) throw new ConflictError(`A table with id '${id}' is already registered`);
    const entry: RegistryEntry = {
      id, folder: null, sync_strategy: 'full_refresh', primary_key: null, description: null, source_type: null, bucket: null,
      source_table: null, query_mode: 'local', sync_schedule: null, profile_after_sync: true, is_public: true,
      ...pick(input), name, registered_by: by, registered_at: new Date(),
    };
    await this.write(entry);
    return entry;
  }

  async update(id: string, patch: RegistryInput): Promise<RegistryEntry> {
    const current = this.get(id);
    if (!current) throw new NotFoundError(`No registered table '${id}'`);
    // API.md gives the 422 to register-table only; an update answers bad input as every other route does.
    if (patch.name !== undefined && !patch.name.trim()) throw new InputError('name must not be empty', { issues: [{ field: 'name', message: 'must not be empty' }] });
    const next = { ...current, ...pick(patch) };
    await this.write(next);
    return next;
  }

  async delete(id: string): Promise<void> {
    if (!this.get(id)) throw new NotFoundError(`No registered table '${id}'`);
    await this.db.run('DELETE FROM table_registry WHERE id = ?', [id.toLowerCase()]);
    this.byId.delete(id.toLowerCase());
    this.version++;
    this.changes.publish({ topic: 'registry', key: id.toLowerCase() });
  }

  /**
   * Registers tables the analytics database serves that the registry does not know yet, and
   * keeps the `query_mode` of known ones as the extract has it (where the rows are is the
   * connector's to say: a table it turns remote, or local again, changes mode here too). A
   * table that stays at its source is not profiled (there is nothing local to profile).
   */
  async registerExtracted(tables: readonly { table_name: string; source: string; source_type: string; description: string | null; query_mode: string }[]): Promise<number> {
    let fresh = 0;
    for (const t of tables) {
      const known = this.byId.get(tableIdFor(t.table_name));
      if (known) {
        if (known.query_mode !== t.query_mode) await this.write({ ...known, query_mode: t.query_mode });
        continue;
      }
      fresh++;
      await this.write({
        id: tableIdFor(t.table_name), name: t.table_name, folder: t.source, sync_strategy: 'full_refresh', primary_key: null,
        description: t.description, source_type: t.source_type, bucket: t.source, source_table: t.table_name, query_mode: t.query_mode,
        sync_schedule: null, profile_after_sync: t.query_mode !== 'remote', is_public: true, registered_by: 'system', registered_at: new Date(),
      });
    }
    return fresh;
  }

  private async write(e: RegistryEntry): Promise<void> {
    await this.db.run(
      `INSERT INTO table_registry (id, name, folder, sync_strategy, primary_key, description, source_type, bucket, source_table,
        query_mode, sync_schedule, profile_after_sync, is_public, registered_by, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::TIMESTAMP)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, folder = excluded.folder, sync_strategy = excluded.sync_strategy,
        primary_key = excluded.primary_key, description = excluded.description, source_type = excluded.source_type, bucket = excluded.bucket,
        source_table = excluded.source_table, query_mode = excluded.query_mode, sync_schedule = excluded.sync_schedule,
        profile_after_sync = excluded.profile_after_sync, is_public = excluded.is_public, registered_by = excluded.registered_by,
        registered_at = excluded.registered_at`,
      [e.id, e.name, e.folder, e.sync_strategy, e.primary_key, e.description, e.source_type, e.bucket, e.source_table, e.query_mode,
        e.sync_schedule, e.profile_after_sync, e.is_public, e.registered_by, e.registered_at?.toISOString() ?? null],
    );
    this.byId.set(e.id, e);
    this.version++;
    this.changes.publish({ topic: 'registry', key: e.id });
  }
}

function pick(input: RegistryInput): Partial<RegistryEntry> {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) if (input[f] !== undefined) out[f] = input[f];
  return out as Partial<RegistryEntry>;
}
