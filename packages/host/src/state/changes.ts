import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import type pino from 'pino';

/**
 * What a host keeps hot in memory and other hosts may change: users, tokens, grants, the table
 * registry, OAuth clients, and the analytics database a worker has built.
 */
export type ChangeTopic = 'users' | 'pats' | 'permissions' | 'registry' | 'oauth' | 'analytics' | 'sync_settings';

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

const TOPICS: readonly ChangeTopic[] = ['users', 'pats', 'permissions', 'registry', 'oauth', 'analytics', 'sync_settings'];

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
    if (!client) return void this.log.warn({ topic: change.topic }, 'change not announced: the change feed is reconnecting');
    client
      .query('SELECT pg_notify($1, $2)', [this.channel, payload])
      .catch((err: unknown) => this.log.warn({ err, topic: change.topic }, 'change not announced'));
  }

  subscribe(topic: ChangeTopic, listener: (change: Change) => void | Promise<void>): () => void {
    return this.listeners.add(topic, listener);
  }

  async close(): Promise<void> {
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
