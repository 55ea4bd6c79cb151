// The LISTEN/NOTIFY change feed between hosts: a lost listening connection is reopened, every
// topic is announced once (anything may have changed meanwhile), and later changes arrive again.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresChanges, type Change } from '../../src/state/changes.js';
import { TEST_POSTGRES_URL } from '../../src/testing/test-state.js';
import { waitFor } from '../../../../tests/helpers.js';

const schema = `aida_t_feed_${randomBytes(6).toString('hex')}`;
const log = pino({ level: process.env.AIDA_TEST_LOG_LEVEL ?? 'silent' });
let writer: PostgresChanges;
let listener: PostgresChanges;
const heard: Change[] = [];

beforeAll(async () => {
  writer = await PostgresChanges.open(TEST_POSTGRES_URL, schema, log);
  listener = await PostgresChanges.open(TEST_POSTGRES_URL, schema, log);
  listener.subscribe('users', (c) => void heard.push(c));
});
afterAll(async () => {
  await writer?.close();
  await listener?.close();
});

/**
 * Ends the server side of the connections listening on this feed's channel (whose last
 * statement was the LISTEN), as a failover or an idle timeout would; `newest` only the one
 * opened last.
 */
async function terminateListeners(channel: string, newest = false): Promise<number> {
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    const r = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM (
         SELECT pid FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid() ORDER BY backend_start DESC LIMIT $2
       ) listening`,
      [`LISTEN "${channel}"%`, newest ? 1 : null],
    );
    return r.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

describe('the change feed', () => {
  it('delivers a change to the other host, not to the one that sent it', async () => {
    const own: Change[] = [];
    const unsubscribe = writer.subscribe('users', (c) => void own.push(c));
    writer.publish({ topic: 'users', key: 'u1' });
    await waitFor(() => heard.some((c) => c.key === 'u1'), 5000, 'the change to arrive');
    expect(own).toEqual([]);
    unsubscribe();
  });

  it('reconnects after its connection is terminated, announces every topic, and hears later changes', async () => {
    heard.length = 0;
    // The writer has sent a notification since its LISTEN, so only the listener's connection still shows it.
    expect(await terminateListeners(listener.channel)).toBeGreaterThanOrEqual(1);
    await waitFor(() => heard.some((c) => c.key === undefined), 10_000, 'the resync after the reconnect');
    writer.publish({ topic: 'users', key: 'u2' });
    await waitFor(() => heard.some((c) => c.key === 'u2'), 10_000, 'a change after the reconnect');
  });

  it('a change published while its own feed is down is sent once the feed is back', async () => {
    heard.length = 0;
    const fresh = await PostgresChanges.open(TEST_POSTGRES_URL, schema, log);
    try {
      expect(await terminateListeners(fresh.channel, true)).toBe(1);
      // Published at once: on the dead connection (the notification fails) or while reconnecting (kept).
      fresh.publish({ topic: 'users', key: 'while-down' });
      await waitFor(() => heard.some((c) => c.key === 'while-down'), 10_000, 'the change kept while the feed was down');
      expect(heard.filter((c) => c.key === undefined)).toEqual([]); // the listener itself never lost its feed
    } finally {
      await fresh.close();
    }
  });
});
