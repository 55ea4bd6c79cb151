import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import type pino from 'pino';

/**
 * What a host keeps hot in memory and other hosts may change: users, tokens, grants, the table
 * registry, OAuth clients, the analytics database a worker has built, and sign-in attempts
 * (each host counts everyone's against the rate limits).
 */
export type ChangeTopic = 'users' | 'pats' | 'permissions' | 'registry' | 'oauth' | 'analytics' | 'profiles' | 'sync_settings' | 'rate_limits';

export interface Change {
  topic: ChangeTopic;
  /** What changed within the topic (a user id, a token id, an analytics file), when one thing did. */
  key?: string;
}

/**
 * Change events between the hosts of one instance. A host publishes after it has committed a
 * change; the others reload what they cache. Caches are never stale for long and never polled
 * per request. A host does not hear its own events (it has updated its cache already). After
 * the feed was interrupted, every topic is announced once: anything may have changed meanwhile.
 */
export interface StateChanges {
  publish(change: Change): void;
  subscribe(topic: ChangeTopic, listener: (change: Change) => void | Promise<void>): () => void;
  close(): Promise<void>;
}

const TOPICS: readonly ChangeTopic[] = ['users', 'pats', 'permissions', 'registry', 'oauth', 'analytics', 'profiles', 'sync_settings', 'rate_limits'];

/**
 * Keeps a cache in step with the other hosts: `one` reloads the row a change names, `all`
 * everything (a change without a key, or the announcement after the feed was interrupted).
 * Returns the unsubscribe function.
 */
export function reloadOnChange(changes: StateChanges, topic: ChangeTopic, reload: { one(key: string): Promise<void>; all(): Promise<void> }): () => void {
  return changes.subscribe(topic, (change) => (change.key === undefined ? reload.all() : reload.one(change.key)));
}

/** Listeners per topic, and a listener's failure logged rather than thrown into the feed. */
class Listeners {
  private readonly byTopic = new Map<ChangeTopic, Set<(c: Change) => void | Promise<void>>>();
  constructor(private readonly log: pino.Logger) {}

  add(topic: ChangeTopic, fn: (c: Change) => void | Promise<void>): () => void {
    let set = this.byTopic.get(topic);
    if (!set) this.byTopic.set(topic, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  emit(change: Change): void {
    for (const fn of this.byTopic.get(change.topic) ?? []) {
      Promise.resolve()
        .then(() => fn(change))
        .catch((err: unknown) => this.log.error({ err, topic: change.topic }, 'reloading after a change from another host failed'));
    }
  }
}

/** Changes kept while the feed reconnects; a host writing faster than that announces "everything" instead. */
const MAX_UNSENT = 1000;

function isConnectionLost(e: unknown): boolean {
  const code = (e as { code?: string }).code ?? '';
  return /^(08|57P)/.test(code) || /Connection terminated|ECONNRESET|EPIPE|not queryable/i.test((e as Error).message ?? '');
}

/** One process owns the instance (the DuckDB backend): nobody else to tell. */
export class LocalChanges implements StateChanges {
  publish(): void {}
  subscribe(): () => void {
    return () => undefined;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * PostgreSQL LISTEN/NOTIFY on one channel per instance schema. The listening connection is a
 * client of its own (a pooled one would lose its LISTEN); when it drops it is reopened, and
 * every topic is announced to the local listeners, since events sent meanwhile are lost.
 */
export class PostgresChanges implements StateChanges {
  readonly origin = randomUUID();
  private readonly listeners: Listeners;
  private client: Client | undefined;
  private closed = false;
  private reconnect: NodeJS.Timeout | undefined;
  /** Changes published while the feed was reconnecting: sent once it is back, so no other host misses them. */
  private unsent: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  private constructor(
    private readonly url: string,
    readonly channel: string,
    private readonly log: pino.Logger,
  ) {
    this.listeners = new Listeners(log);
  }

  static async open(url: string, schema: string, log: pino.Logger): Promise<PostgresChanges> {
    const changes = new PostgresChanges(url, `aida_changes_${schema}`, log);
    await changes.connect();
    return changes;
  }

  publish(change: Change): void {
    const payload = JSON.stringify({ ...change, origin: this.origin });
    const client = this.client;
    if (!client) {
      if (this.closed) return;
      // Beyond this many, a single "everything changed" per topic says the same in fewer words.
      if (this.unsent.length >= MAX_UNSENT) this.unsent = TOPICS.map((topic) => JSON.stringify({ topic, origin: this.origin }));
      else this.unsent.push(payload);
      return;
    }
    this.send(client, payload);
  }

  private send(client: Client, payload: string): void {
    const sent = client.query('SELECT pg_notify($1, $2)', [this.channel, payload]).then(
      () => undefined,
      (err: unknown) => this.unsentAfter(client, payload, err),
    );
    // close() waits for these: a short-lived publisher (an operator command) must not drop its changes.
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }

  private unsentAfter(client: Client, payload: string, err: unknown): void {
    if (this.closed) return;
    if (this.client === client && !isConnectionLost(err)) return void this.log.warn({ err, payload }, 'change not announced');
    // The connection was lost under this notification: sent again on the next one.
    if (this.client === client) this.retry(client);
    if (this.client) this.send(this.client, payload);
    else this.unsent.push(payload);
  }

  subscribe(topic: ChangeTopic, listener: (change: Change) => void | Promise<void>): () => void {
    return this.listeners.add(topic, listener);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    this.closed = true;
    clearTimeout(this.reconnect);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (msg) => this.receive(msg.payload));
    client.on('error', (err) => {
      this.log.warn({ err }, 'change feed connection lost; reconnecting');
      this.retry(client);
    });
    client.on('end', () => this.retry(client));
    await client.connect();
    await client.query(`LISTEN "${this.channel}"`);
    this.client = client;
  }

  private retry(client: Client): void {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    const again = () => {
      this.reconnect = undefined;
      if (this.closed) return;
      this.connect().then(
        () => {
          const unsent = this.unsent;
          this.unsent = [];
          for (const payload of unsent) this.send(this.client!, payload);
          for (const topic of TOPICS) this.listeners.emit({ topic });
        },
        (err: unknown) => {
          this.log.warn({ err }, 'change feed still unreachable');
          this.reconnect = setTimeout(again, 1000);
        },
      );
    };
    this.reconnect = setTimeout(again, 250);
  }

  private receive(payload: string | undefined): void {
    if (!payload) return;
    let change: Change & { origin?: string };
    try {
      change = JSON.parse(payload) as Change & { origin?: string };
    } catch {
      return;
    }
    if (change.origin === this.origin || !TOPICS.includes(change.topic)) return;
    this.listeners.emit({ topic: change.topic, ...(change.key ? { key: change.key } : {}) });
  }
}
