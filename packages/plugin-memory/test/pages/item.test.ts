import type { AuthenticatedFetch, TestHost } from '@aida/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, propose, startMemoryHost, storeOf } from '../routes/helpers.js';
import { errorStatus, getPage, person, submit, type Person } from './helpers.js';

let t: TestHost;
let admin: AuthenticatedFetch;
let owner: Person;
let other: Person;
let kmAdmin: Person;
let personalId: string;

beforeAll(async () => {
  t = await startMemoryHost();
  admin = await t.asAdmin();
  [owner, other, kmAdmin] = [await person(t, 'analyst'), await person(t, 'analyst'), await person(t, 'km_admin')];
  const personal = await storeOf(t).items.create({
    title: 'My private shortcut',
    content: 'Use my scratch schema.',
    category: 'workflow',
    ownerId: owner.id,
    personal: true,
  });
  personalId = personal.id;
});
afterAll(() => t?.stop());

describe('/memory/:id', () => {
  it('shows the item escaped, with newlines kept, its facts, votes and history', async () => {
    const id = await propose(owner.api, 'Escape <b>this</b>', 'First line <script>alert(1)</script>\nSecond line\n\nNew paragraph', 'debugging', ['html']);
    const page = await getPage(t, `/memory/${id}`, other);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1 data-title>Escape &lt;b&gt;this&lt;/b&gt;</h1>');
    expect(page.text).toContain('<p>First line &lt;script&gt;alert(1)&lt;/script&gt;<br>Second line</p><p>New paragraph</p>');
    expect(page.text).not.toContain('<script>alert(1)');
    expect(page.text).toContain(owner.email);
    expect(page.text).toContain('<tr data-action="propose">');
    expect(page.text).toContain('Vote up: Escape &lt;b&gt;this&lt;/b&gt;');
    // No governance for an analyst; a km_admin gets the buttons the status allows.
    expect(page.text).not.toContain('/govern"');
    const admined = await getPage(t, `/memory/${id}`, kmAdmin);
    for (const a of ['approve', 'mandate', 'reject']) expect(admined.text).toContain(`name="action" value="${a}"`);
    expect(admined.text).not.toContain('value="revoke"');
    await submit(t, `/memory/${id}`, `/memory/${id}/govern`, kmAdmin, { action: 'approve' });
    const approved = await getPage(t, `/memory/${id}?notice=approve`, kmAdmin);
    expect(approved.text).toContain('Approved: the item is in the bundles.');
    expect(approved.text).toContain('value="revoke"');
    expect(approved.text).not.toContain('value="approve"');
    expect(approved.text).toMatch(/<tr data-action="approve">[\s\S]*?<td>you<\/td>/);
  });

  it('names the actors of the history (page and API), and shows the id of a user deleted since', async () => {
    const reviewer = await t.asUser('km_admin', { name: 'Greta Governor' });
    const id = await propose(owner.api, 'Orders are deduplicated by order_key');
    await json(reviewer, 'POST', '/api/memory/admin/approve', 200, { item_id: id, reason: 'checked with finance' });

    const page = await getPage(t, `/memory/${id}`, other);
    // The owner was created without a name of their own (their email is it); the reviewer by name, never by id.
    expect(page.text).toMatch(new RegExp(`<tr data-action="propose">[\\s\\S]*?<td>${owner.email.replace(/\./g, '\\.')}</td>`));
    expect(page.text).toMatch(/<tr data-action="approve">[\s\S]*?<td>Greta Governor<\/td>/);
    expect(page.text).not.toContain(reviewer.user.id);
    const api = await json(other.api, 'GET', `/api/memory/${id}`, 200);
    expect(api.history.map((e: { actor_id: string; actor_name: string }) => [e.actor_id, e.actor_name])).toEqual([
      [owner.id, owner.email],
      [reviewer.user.id, 'Greta Governor'],
    ]);

    // The audit keeps the id of a user deleted since: shown as the id, marked as gone.
    await json(admin, 'DELETE', `/api/users/${reviewer.user.id}`, 204);
    const after = await getPage(t, `/memory/${id}`, other);
    expect(after.text).toMatch(
      new RegExp(`<tr data-action="approve">[\\s\\S]*?<td><code>${reviewer.user.id}</code> <span class="muted">\\(no longer a user\\)</span></td>`),
    );
    expect(after.text).not.toContain('Greta Governor');
    const audit = await json(admin, 'GET', `/api/memory/admin/audit?item_id=${encodeURIComponent(id)}`, 200);
    expect(audit.items.find((e: { action: string }) => e.action === 'approve')).toMatchObject({ actor_id: reviewer.user.id, actor_name: reviewer.user.id });
  });

  it("someone else's personal item and an unknown id are the 404 page; its owner reads it", async () => {
    for (const who of [other, kmAdmin]) {
      const page = await getPage(t, `/memory/${personalId}`, who);
      expect(page.status).toBe(404);
      expect(errorStatus(page.text)).toBe(404);
      expect(page.text).not.toContain('My private shortcut');
      expect((await submit(t, '/memory', `/memory/${personalId}/vote`, who, { vote: '1' })).status).toBe(404);
    }
    expect((await getPage(t, `/memory/${personalId}/edit`, kmAdmin)).status).toBe(404);
    expect((await submit(t, '/memory', `/memory/${personalId}/govern`, kmAdmin, { action: 'approve' })).status).toBe(404);
    expect((await getPage(t, '/memory/no-such-item', other)).status).toBe(404);
    const mine = await getPage(t, `/memory/${personalId}`, owner);
    expect(mine.status).toBe(200);
    expect(mine.text).toContain('My private shortcut');
    expect(mine.text).toContain('personal: only you see it');
    expect((await json(admin, 'GET', `/api/memory/${personalId}`, 404)).code).toBe('MEMORY_ITEM_NOT_FOUND');
  });
});
