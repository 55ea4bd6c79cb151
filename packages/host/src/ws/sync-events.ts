import type { Orchestrator } from '@aida/core';
import type { Logger } from 'pino';
import type { SyncRepository, SyncStateRow } from '../state/repositories/sync.js';

/** What changed for one source: new data of these tables is served (`ok`), or their extraction failed (`error`). */
export interface SyncEvent {
  source: string;
  status: 'ok' | 'error';
  tables: string[];
}

interface Seen {
  data: string;
  failure: string | null;
}

/**
 * Turns what the host records about syncs into events, by comparing `sync_state` with what it
 * held last time: after every analytics rebuild (new data is queryable: `ok`), and on a timer
 * (`check()`) for extractions that failed (they change no data, so no rebuild follows; `error`). A table
 * failing the same way again is not announced again.
 */
export class SyncEvents {
  private seen = new Map<string, Seen>();
  private running: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly o: {
      sync: SyncRepository;
      orchestrator: Orchestrator;
      logger: Logger;
      publish: (event: SyncEvent) => void;
    },
  ) {}

  /** Takes the current state as the baseline (nothing before the host started is announced) and follows rebuilds. */
  async start(): Promise<void> {
    this.seen = snapshot(await this.o.sync.states());
    this.unsubscribe = this.o.orchestrator.on((e) => {
      if (e.type === 'rebuilt') void this.check('rebuilt');
    });
  }

  stop(): Promise<void> {
    this.unsubscribe?.();
    return this.running;
  }

  /**
   * Compares once more; runs one at a time, so an event is never announced twice. Only after a
   * rebuild is new data looked for: mid-rebuild, sync_state may be ahead of the table registry
   * the events are filtered by.
   */
  check(after: 'rebuilt' | 'timer' = 'timer'): Promise<void> {
    this.running = this.running.then(() =>
      this.compare(after === 'rebuilt').catch((e: unknown) =>
        this.o.logger.warn({ err: e }, 'reading sync state for websocket events failed; the next check retries'),
      ),
    );
    return this.running;
  }

  private async compare(withData: boolean): Promise<void> {
    const rows = await this.o.sync.states();
    const next = snapshot(rows);
    if (!withData) for (const [table, seen] of next) seen.data = this.seen.get(table)?.data ?? '';
    const events = new Map<string, SyncEvent>();
    const add = (source: string, status: SyncEvent['status'], table: string) => {
      const key = `${status}\0${source}`;
      const e = events.get(key) ?? { source, status, tables: [] };
      e.tables.push(table);
      events.set(key, e);
    };
    for (const r of rows) {
      const before = this.seen.get(r.table_id);
      const now = next.get(r.table_id)!;
      if (withData && r.hash && now.data !== before?.data) add(r.source, 'ok', r.table_id);
      if (now.failure !== null && now.failure !== before?.failure) add(r.source, 'error', r.table_id);
    }
    this.seen = next;
    for (const e of events.values()) this.o.publish(e);
  }
}

function snapshot(rows: readonly SyncStateRow[]): Map<string, Seen> {
  return new Map(
    rows.map((r) => [
      r.table_id,
      {
        // What a rebuild changes when a table's data does: its files' hash, and the extraction time.
        data: r.hash ? `${r.hash}\0${timeOf(r.last_sync)}` : '',
        failure: r.status === 'error' ? (r.error ?? '') : null,
      },
    ]),
  );
}

function timeOf(d: Date | string | null): string {
  return d instanceof Date ? String(d.getTime()) : String(d);
}
