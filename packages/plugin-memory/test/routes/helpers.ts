import type { AuthenticatedFetch, TestHost } from '@aida/host/testing';
import { startTestHost } from '@aida/host/testing';
import { expect } from 'vitest';
import { memoryPlugin } from '../../src/index.js';
import { MemoryStore } from '../../src/store/index.js';

export const DAY = 86_400_000;
export const HALF_LIFE = 365 * DAY;

/** A real host with the memory plugin; `config` is the plugin's slice. */
export function startMemoryHost(config: Record<string, unknown> = {}, dataDir?: string): Promise<TestHost> {
  return startTestHost({ plugins: [{ plugin: memoryPlugin, config }], dataDir });
}

/**
 * The plugin's repositories over the host's own system database, for setting up what no route
 * creates (personal items, extracted items) and items dated in the past (`now`).
 */
export function storeOf(t: TestHost, now?: () => Date): MemoryStore {
  return new MemoryStore(t.host.systemDb!, { halfLifeMs: HALF_LIFE, now });
}

/** A JSON call that must answer `status`; resolves with the parsed body. */
export async function json(as: AuthenticatedFetch, method: string, path: string, status: number, payload?: unknown): Promise<any> {
  const res = await as(path, { method, body: payload === undefined ? undefined : JSON.stringify(payload) });
  const text = await res.text();
  expect(res.status, `${method} ${path} → ${res.status}: ${text.slice(0, 300)}`).toBe(status);
  return text ? JSON.parse(text) : undefined;
}

/** Proposes an item as `as` (analyst or higher) and returns its id. */
export async function propose(
  as: AuthenticatedFetch,
  title: string,
  content = `${title}: the content`,
  category = 'business_logic',
  tags: string[] = [],
): Promise<string> {
  const out = await json(as, 'POST', '/api/memory', 201, { title, content, category, tags });
  return out.id as string;
}
