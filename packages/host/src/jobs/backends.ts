import type { AgendaBackend, JobLogger, JobRepository, NotificationChannel } from 'agenda';
import type pino from 'pino';
import { JobsBackendUnavailableError } from '../errors.js';
import type { SystemDb } from '../state/system-db.js';
import type { JobBackendKind, JobsConfig } from './config.js';
import { DuckDbJobsBackend } from './duckdb-job-repository.js';

/** Anything with an `error` event: a pg Pool, an ioredis client, a notification channel. */
interface ErrorEmitter {
  on(event: 'error', listener: (err: Error) => void): unknown;
}

const CONNECT_ATTEMPTS = 3;

/** `postgresql://user:secret@host/db` → `postgresql://user:***@host/db`, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}

/**
 * The backend Agenda is given. It connects once, and the scheduler awaits that connection
 * before constructing Agenda: Agenda's constructor calls `connect()` without handling a
 * rejection, so an unreachable server would otherwise crash the process with an unhandled
 * rejection instead of failing startup with a clear error.
 */
export class JobsBackend implements AgendaBackend {
  private connecting: Promise<void> | undefined;

  constructor(
    readonly kind: JobBackendKind,
    private readonly inner: AgendaBackend,
    private readonly log: pino.Logger,
    private readonly description: string,
    /** Replaces the engine's channel, e.g. with none when notifications are off. */
    readonly notificationChannel: NotificationChannel | undefined,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  get repository(): JobRepository {
    return this.inner.repository;
  }

  get logger(): JobLogger | undefined {
    return this.inner.logger;
  }

  get ownsConnection(): boolean {
    return this.inner.ownsConnection ?? true;
  }

  connect(): Promise<void> {
    this.connecting ??= this.connectWithRetry();
    return this.connecting;
  }

  async disconnect(): Promise<void> {
    if (!this.connecting) return;
    this.connecting = undefined;
    await this.inner.disconnect();
  }

  /**
   * Retries a few times because instances starting together race on schema creation
   * (Postgres answers a concurrent `CREATE TABLE IF NOT EXISTS` with a duplicate-key error).
   */
  private async connectWithRetry(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.inner.connect();
        this.log.info({ backend: this.kind, target: this.description }, 'job backend connected');
        return;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (attempt >= CONNECT_ATTEMPTS) {
          this.connecting = undefined;
          // Drop the driver's client too: ioredis, for one, would otherwise reconnect forever.
          await this.inner.disconnect().catch(() => undefined);
          throw new JobsBackendUnavailableError(`cannot connect to the ${this.kind} job backend (${this.description}): ${message}`, {
            detail: { backend: this.kind, target: this.description },
            cause: err,
          });
        }
        this.log.warn({ backend: this.kind, attempt, err }, 'job backend connection failed; retrying');
        await new Promise((r) => setTimeout(r, 250 * attempt));
      }
    }
  }
}

/**
 * The Agenda backend for `config.backend`. The shared engines' drivers are imported only
 * when chosen, so an embedded instance never loads pg, ioredis or mongodb.
 */
export async function createJobsBackend(config: JobsConfig, deps: { systemDb: SystemDb; logger: pino.Logger }): Promise<JobsBackend> {
  const log = deps.logger;
  const onError = (what: string) => (err: Error) => log.error({ err, backend: config.backend }, `${what} error`);
  const url = config.url ?? '';

  switch (config.backend) {
    case 'duckdb': {
      const backend = new DuckDbJobsBackend(deps.systemDb);
      return new JobsBackend('duckdb', backend, log, deps.systemDb.path, backend.notificationChannel);
    }
    case 'postgres': {
      const { PostgresBackend } = await import('@agendajs/postgres-backend');
      const backend = new PostgresBackend({
        connectionString: url,
        tableName: config.table,
        // Channel and log table follow the table, so groups of instances on one database stay apart.
        channelName: config.table,
        logTableName: `${config.table}_logs`,
        disableNotifications: !config.notifications,
      });
      // An idle pool client that loses its connection emits `error`; unheard, it kills the process.
      (backend.repository as import('@agendajs/postgres-backend').PostgresJobRepository).getPool().on('error', onError('postgres pool'));
      return new JobsBackend('postgres', backend, log, `${redactUrl(url)} table ${config.table}`, backend.notificationChannel);
    }
    case 'redis': {
      const { RedisBackend } = await import('@agendajs/redis-backend');
      const backend = new RedisBackend({
        connectionString: url,
        keyPrefix: config.key_prefix,
        channelName: `${config.key_prefix}notifications`,
      });
      (backend.repository as import('@agendajs/redis-backend').RedisJobRepository).getRedis().on('error', onError('redis client'));
      // The Redis backend always brings a pub/sub channel; `notifications: false` drops it.
      const channel = config.notifications ? backend.notificationChannel : undefined;
      return new JobsBackend('redis', backend, log, `${redactUrl(url)} prefix ${config.key_prefix}`, channel);
    }
    case 'mongo': {
      const { MongoBackend } = await import('@agendajs/mongo-backend');
      const backend = new MongoBackend({ address: url, collection: config.collection, logCollection: `${config.collection}_logs` });
      return new JobsBackend('mongo', backend, log, `${redactUrl(url)} collection ${config.collection}`, backend.notificationChannel);
    }
  }
}

/** Listens for a channel's `error` events, which Agenda does not; an unheard `error` event throws. */
export function watchErrors(emitter: ErrorEmitter | undefined, log: pino.Logger, what: string): void {
  emitter?.on('error', (err) => log.error({ err }, `${what} error`));
}
