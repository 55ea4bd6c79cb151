import type { Migration } from './runner.js';

/**
 * Notifications sent to users (alerts, scripts, plugins): what each said, its chart image,
 * and what every channel did with it. A user lists their own with GET /api/notifications.
 */
export const notifications: Migration = {
  version: 10,
  name: 'notifications',
  statements: [
    `CREATE TABLE notifications (
      id VARCHAR PRIMARY KEY,
      user_id VARCHAR NOT NULL,
      title VARCHAR NOT NULL,
      body VARCHAR NOT NULL,
      origin VARCHAR NOT NULL,
      chart BLOB,
      chart_alt VARCHAR,
      deliveries VARCHAR NOT NULL DEFAULT '{}',
      created_at TIMESTAMPTZ NOT NULL
    )`,
  ],
};
