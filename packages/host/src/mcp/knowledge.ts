// The corporate memory as the MCP knowledge tools read and feed it. The memory plugin offers no
// service to the host, only its REST routes (GET /api/memory/bundle, GET /api/memory, POST
// /api/memory); the tools call those route definitions in process (route-call.ts), with the
// caller's rights. Without the plugin the routes are absent, and so are the tools.
import { z } from 'zod';
import type { RequestUser, RouteDefinition } from '@aida/core';
import { callRoute } from './route-call.js';

export interface KnowledgeItem {
  id: string;
  title: string;
  content: string;
  category: string;
  required: boolean;
}

export interface KnowledgeProposal {
  /** The memory plugin's own input schema of POST /api/memory. */
  schema: z.ZodObject;
  run(user: RequestUser, input: Record<string, unknown>, requestId: string): Promise<{ id: string; status: string }>;
}

export interface KnowledgeBridge {
  /** The bundle every agent gets: required items, then approved ones within the plugin's budget. */
  rules(user: RequestUser, requestId: string): Promise<KnowledgeItem[]>;
  /** Approved (and required) items whose title or content hold every word. */
  search(user: RequestUser, words: string, requestId: string): Promise<KnowledgeItem[]>;
  /** Absent when the plugin takes no proposals. */
  propose: KnowledgeProposal | undefined;
}

interface RawItem {
  id: string;
  title: string;
  content: string;
  category: string;
  required?: boolean;
}

const item = (i: RawItem, required = Boolean(i.required)): KnowledgeItem => ({ id: i.id, title: i.title, content: i.content, category: i.category, required });

/** The bridge over the contributed routes, or undefined when the memory plugin is not installed. */
export function knowledgeBridge(routes: readonly RouteDefinition[]): KnowledgeBridge | undefined {
  const find = (method: RouteDefinition['method'], path: string) => routes.find((r) => r.method === method && r.path === path);
  const bundle = find('GET', '/api/memory/bundle');
  const list = find('GET', '/api/memory');
  if (!bundle || !list) return undefined;
  const create = find('POST', '/api/memory');
  const schema = create?.input?.body;
  return {
    async rules(user, requestId) {
      const { body } = await callRoute(bundle, user, { requestId });
      const b = body as { required: RawItem[]; approved: RawItem[] };
      return [...b.required.map((i) => item(i, true)), ...b.approved.map((i) => item(i, false))];
    },
    async search(user, words, requestId) {
      const { body } = await callRoute(list, user, { requestId, query: { status: 'approved', search: words, limit: '1000' } });
      const items = (body as { items: RawItem[] }).items.map((i) => item(i));
      return [...items.filter((i) => i.required), ...items.filter((i) => !i.required)];
    },
    propose:
      create && schema instanceof z.ZodObject
        ? {
            schema,
            async run(user, input, requestId) {
              const { body } = await callRoute(create, user, { requestId, body: input });
              return body as { id: string; status: string };
            },
          }
        : undefined,
  };
}
