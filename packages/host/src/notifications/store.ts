import { randomUUID } from 'node:crypto';
import { blobValue } from '@duckdb/node-api';
import type { DeliveryOutcome, Notification, NotificationChart } from '@aida/core';
import { Batcher } from '../state/batcher.js';
import type { SqlRunner, SystemDb } from '../state/system-db.js';

interface NotificationRow {
  id: string;
  user_id: string;
  title: string;
  body: string;
  origin: string;
  has_chart: boolean;
  deliveries: string;
  created_at: Date;
}

/** A stored notification with what its channels did. */
export interface StoredNotification extends Notification {
  deliveries: Record<string, DeliveryOutcome>;
}

const COLUMNS = 'id, user_id, title, body, origin, chart IS NOT NULL AS has_chart, deliveries, created_at';

export function chartPath(id: string): string {
  return `/api/notifications/${id}/chart`;
}

function fromRow(r: NotificationRow): StoredNotification {
  return {
    id: r.id,
    userId: r.user_id,
    title: r.title,
    body: r.body,
    origin: r.origin,
    createdAt: r.created_at,
    ...(r.has_chart ? { chartUrl: chartPath(r.id) } : {}),
    deliveries: JSON.parse(r.deliveries) as Record<string, DeliveryOutcome>,
  };
}

type NewNotification = Notification & { chart?: NotificationChart };

/** One multi-row INSERT for the notifications a fan-out sends at once. */
async function insertMany(tx: SqlRunner, batch: readonly NewNotification[]): Promise<undefined[]> {
  await tx.run(
    `INSERT INTO notifications (id, user_id, title, body, origin, chart, chart_alt, created_at) VALUES ${batch
      .map(() => '(?, ?, ?, ?, ?, ?, ?, ?::TIMESTAMPTZ)')
      .join(', ')}`,
    batch.flatMap((n) => [n.id, n.userId, n.title, n.body, n.origin, n.chart ? blobValue(n.chart.png) : null, n.chart?.alt ?? null, n.createdAt.toISOString()]),
  );
  return batch.map(() => undefined);
}

async function recordMany(tx: SqlRunner, batch: readonly { id: string; deliveries: string }[]): Promise<undefined[]> {
  await tx.run(
    `UPDATE notifications SET deliveries = v.deliveries FROM (VALUES ${batch.map(() => '(?, ?)').join(', ')}) AS v(id, deliveries) WHERE notifications.id = v.id`,
    batch.flatMap((r) => [r.id, r.deliveries]),
  );
  return batch.map(() => undefined);
}

/**
 * The `notifications` table. Inserts and delivery records are coalesced: an alert or a
 * broadcast sends to hundreds of users at once, and one statement per row on the serial
 * system database would hold the last of them back by seconds.
 */
export class NotificationStore {
  private readonly inserts: Batcher<NewNotification, undefined>;
  private readonly records: Batcher<{ id: string; deliveries: string }, undefined>;

  constructor(private readonly db: SystemDb) {
    const sql = () => Promise.resolve(db);
    this.inserts = new Batcher(sql, insertMany);
    this.records = new Batcher(sql, recordMany, (r) => r.id);
  }

  async insert(input: { userId: string; title: string; body: string; origin: string; chart?: NotificationChart }): Promise<Notification> {
    const n: Notification = { id: randomUUID(), userId: input.userId, title: input.title, body: input.body, origin: input.origin, createdAt: new Date() };
    await this.inserts.submit({ ...n, chart: input.chart });
    return input.chart ? { ...n, chartUrl: chartPath(n.id) } : n;
  }

  async recordDeliveries(id: string, deliveries: Record<string, DeliveryOutcome>): Promise<void> {
    await this.records.submit({ id, deliveries: JSON.stringify(deliveries) });
  }

  /** A user's notifications, newest first; `origin` narrows to one producer (`alert:<id>`). */
  async list(userId: string, page: { limit: number; offset: number; origin?: string }): Promise<{ items: StoredNotification[]; total: number }> {
    const where = 'WHERE user_id = ? AND (?::VARCHAR IS NULL OR origin = ?)';
    const params = [userId, page.origin ?? null, page.origin ?? null];
    const rows = await this.db.all<NotificationRow>(`SELECT ${COLUMNS} FROM notifications ${where} ORDER BY created_at DESC, id LIMIT ? OFFSET ?`, [
      ...params,
      page.limit,
      page.offset,
    ]);
    const [count] = await this.db.all<{ n: bigint | number }>(`SELECT count(*) AS n FROM notifications ${where}`, params);
    return { items: rows.map(fromRow), total: Number(count?.n ?? 0) };
  }

  async get(id: string): Promise<StoredNotification | undefined> {
    const [row] = await this.db.all<NotificationRow>(`SELECT ${COLUMNS} FROM notifications WHERE id = ?`, [id]);
    return row ? fromRow(row) : undefined;
  }

  /** The chart PNG of a notification, only for its own user. */
  async chart(id: string, userId: string): Promise<Uint8Array | undefined> {
    const [row] = await this.db.all<{ chart: Uint8Array | null }>('SELECT chart FROM notifications WHERE id = ? AND user_id = ?', [id, userId]);
    return row?.chart ?? undefined;
  }
}
