import { randomUUID } from 'node:crypto';
import type { SystemDb } from '../state/system-db.js';
import type { RunStatus } from './sandbox.js';

export interface StoredScript {
  id: string;
  name: string;
  source: string;
  ownerId: string;
  schedule: string | null;
  /** Channel ids to deliver on; null: every registered channel. */
  channels: string[] | null;
  params: Record<string, unknown>;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

/** What a deploy sets. */
export type ScriptInput = Pick<StoredScript, 'name' | 'source' | 'ownerId' | 'schedule' | 'channels' | 'params'>;

export interface ScriptRunRecord {
  id: string;
  scriptId: string;
  trigger: 'manual' | 'schedule';
  status: RunStatus;
  message: string | null;
  line: number | null;
  logs: string[];
  queries: number;
  durationMs: number;
  notificationId: string | null;
  startedAt: Date;
}

interface ScriptRow {
  id: string;
  name: string;
  source: string;
  owner_id: string;
  schedule: string | null;
  channels: string | null;
  params: string;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

interface RunRow {
  id: string;
  script_id: string;
  trigger: string;
  status: string;
  message: string | null;
  line: number | null;
  logs: string;
  queries: number;
  duration_ms: number;
  notification_id: string | null;
  started_at: Date;
}

function scriptFrom(r: ScriptRow): StoredScript {
  return {
    id: r.id,
    name: r.name,
    source: r.source,
    ownerId: r.owner_id,
    schedule: r.schedule,
    channels: r.channels === null ? null : (JSON.parse(r.channels) as string[]),
    params: JSON.parse(r.params) as Record<string, unknown>,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function runFrom(r: RunRow): ScriptRunRecord {
  return {
    id: r.id,
    scriptId: r.script_id,
    trigger: r.trigger as ScriptRunRecord['trigger'],
    status: r.status as RunStatus,
    message: r.message,
    line: r.line === null ? null : Number(r.line),
    logs: JSON.parse(r.logs) as string[],
    queries: Number(r.queries),
    durationMs: Number(r.duration_ms),
    notificationId: r.notification_id,
    startedAt: r.started_at,
  };
}

/** Runs kept per script; older ones are dropped as new ones are recorded. */
const RUNS_KEPT = 200;

/** The `scripts` and `script_runs` tables. */
export class ScriptStore {
  constructor(private readonly db: SystemDb) {}

  async list(): Promise<StoredScript[]> {
    return (await this.db.all<ScriptRow>('SELECT * FROM scripts ORDER BY name')).map(scriptFrom);
  }

  async get(id: string): Promise<StoredScript | undefined> {
    const [row] = await this.db.all<ScriptRow>('SELECT * FROM scripts WHERE id = ?', [id]);
    return row ? scriptFrom(row) : undefined;
  }

  async byName(name: string): Promise<StoredScript | undefined> {
    const [row] = await this.db.all<ScriptRow>('SELECT * FROM scripts WHERE name = ?', [name]);
    return row ? scriptFrom(row) : undefined;
  }

  /** Creates the script, or replaces the one with the same name (keeping its id and history). */
  async deploy(input: ScriptInput & { by: string }): Promise<{ script: StoredScript; created: boolean }> {
    const now = new Date().toISOString();
    const existing = await this.byName(input.name);
    const channels = input.channels === null ? null : JSON.stringify(input.channels);
    const params = JSON.stringify(input.params);
    if (existing) {
      await this.db.run('UPDATE scripts SET source = ?, owner_id = ?, schedule = ?, channels = ?, params = ?, updated_at = ?::TIMESTAMPTZ WHERE id = ?', [
        input.source,
        input.ownerId,
        input.schedule,
        channels,
        params,
        now,
        existing.id,
      ]);
      return { script: (await this.get(existing.id))!, created: false };
    }
    const id = randomUUID();
    await this.db.run(
      'INSERT INTO scripts (id, name, source, owner_id, schedule, channels, params, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ)',
      [id, input.name, input.source, input.ownerId, input.schedule, channels, params, input.by, now, now],
    );
    return { script: (await this.get(id))!, created: true };
  }

  async delete(id: string): Promise<boolean> {
    const n = await this.db.run('DELETE FROM scripts WHERE id = ?', [id]);
    await this.db.run('DELETE FROM script_runs WHERE script_id = ?', [id]);
    return n > 0;
  }

  async recordRun(run: Omit<ScriptRunRecord, 'id'>): Promise<ScriptRunRecord> {
    const id = randomUUID();
    await this.db.run(
      'INSERT INTO script_runs (id, script_id, trigger, status, message, line, logs, queries, duration_ms, notification_id, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::TIMESTAMPTZ)',
      [
        id,
        run.scriptId,
        run.trigger,
        run.status,
        run.message,
        run.line,
        JSON.stringify(run.logs),
        run.queries,
        run.durationMs,
        run.notificationId,
        run.startedAt.toISOString(),
      ],
    );
    await this.db.run(
      'DELETE FROM script_runs WHERE script_id = ? AND id NOT IN (SELECT id FROM script_runs WHERE script_id = ? ORDER BY started_at DESC LIMIT ?)',
      [run.scriptId, run.scriptId, RUNS_KEPT],
    );
    return { ...run, id };
  }

  /** A script's runs, newest first. */
  async runs(scriptId: string, page: { limit: number; offset: number }): Promise<{ items: ScriptRunRecord[]; total: number }> {
    const rows = await this.db.all<RunRow>('SELECT * FROM script_runs WHERE script_id = ? ORDER BY started_at DESC, id LIMIT ? OFFSET ?', [
      scriptId,
      page.limit,
      page.offset,
    ]);
    const [count] = await this.db.all<{ n: bigint | number }>('SELECT count(*) AS n FROM script_runs WHERE script_id = ?', [scriptId]);
    return { items: rows.map(runFrom), total: Number(count?.n ?? 0) };
  }

  /** The latest run of each script, for the list. */
  async lastRuns(): Promise<Map<string, ScriptRunRecord>> {
    const rows = await this.db.all<RunRow>('SELECT DISTINCT ON (script_id) * FROM script_runs ORDER BY script_id, started_at DESC, id');
    return new Map(rows.map((r) => [r.script_id, runFrom(r)]));
  }
}
