import { randomUUID } from 'node:crypto';
import type { DeliveryOutcome, Notification, NotificationChart } from '@aida/core';
import type { SystemDb } from '../state/system-db.js';

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

/** The `notifications` table. */
export class NotificationStore {
  constructor(private readonly db: SystemDb) {}

  async insert(input: { userId: string; title: string; body: string; origin: string; chart?: NotificationChart }): Promise<Notification> {
    const id = randomUUID();
    const createdAt = new Date();
    await this.db.run(
      'INSERT INTO notifications (id, user_id, title, body, origin, chart, chart_alt, created_at) VALUES (?, ?, ?, ?, ?, from_base64(?), ?, ?::TIMESTAMPTZ)',
      [
        id,
        input.userId,
        input.title,
        input.body,
        input.origin,
        input.chart ? Buffer.from(input.chart.png).toString('base64') : null,
        input.chart?.alt ?? null,
        createdAt.toISOString(),
      ],
    );
    return {
      id,
      userId: input.userId,
      title: input.title,
      body: input.body,
      origin: input.origin,
      createdAt,
      ...(input.chart ? { chartUrl: chartPath(id) } : {}),
    };
  }

  async recordDeliveries(id: string, deliveries: Record<string, DeliveryOutcome>): Promise<void> {
    await this.db.run('UPDATE notifications SET deliveries = ? WHERE id = ?', [JSON.stringify(deliveries), id]);
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
    // Base64 across the driver: its BLOB values do not survive the plain-row conversion.
    const [row] = await this.db.all<{ chart: string | null }>('SELECT to_base64(chart) AS chart FROM notifications WHERE id = ? AND user_id = ?', [id, userId]);
    return row?.chart ? Buffer.from(row.chart, 'base64') : undefined;
  }
}
