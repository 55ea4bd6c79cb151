import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { json, propose, startMemoryHost } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('a restart on the same data dir', () => {
  it('keeps items, votes and the audit, and migrates only once', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'aida-memory-restart-'));
    dirs.push(dataDir);
    let t = await startMemoryHost({}, dataDir);
    const admin = await t.asAdmin();
    const id = await propose(admin, 'Survives restarts');
    await json(admin, 'POST', '/api/memory/admin/mandate', 200, { item_id: id, reason: 'core rule' });
    await json(admin, 'POST', `/api/memory/${id}/vote`, 200, { vote: 1 });
    await t.stop();

    t = await startMemoryHost({}, dataDir);
    try {
      const again = await t.asAdmin();
      const page = await json(again, 'GET', `/api/memory/${id}`, 200);
      expect(page.item).toMatchObject({ title: 'Survives restarts', status: 'approved', required: true, upvotes: 1, my_vote: 1 });
      expect(page.history.map((e: any) => e.action)).toEqual(['propose', 'mandate']);
      expect((await json(again, 'GET', '/api/memory/bundle', 200)).required.map((i: any) => i.id)).toEqual([id]);
      const versions = await t.host.systemDb!.all<{ n: number }>("SELECT count(*) AS n FROM plugin_schema_version WHERE plugin_id = 'memory'");
      expect(Number(versions[0].n)).toBe(1);
      const health = await json(again, 'GET', '/api/health', 200);
      expect(health.services['memory:knowledge']).toEqual({ status: 'healthy', detail: '1 item: 1 approved (1 required), 0 pending' });
    } finally {
      await t.stop();
    }
  });
});
