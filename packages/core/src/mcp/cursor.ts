// Cursors of paged MCP answers: opaque to the agent, base64url JSON underneath. A cursor names
// the tool it belongs to, a key (a kept query result, or a digest of a listing's inputs and of
// the catalog it was listed from) and the offset of the next page. Forging one gains nothing:
// the key is only looked up, and the data behind it is still read with the caller's rights.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { refusal } from './refusal.js';

const payload = z.object({ v: z.literal(1), t: z.string(), k: z.string().max(200), o: z.number().int().min(0) });

export interface McpCursor {
  /** The tool that issued it. */
  tool: string;
  key: string;
  offset: number;
}

export function encodeMcpCursor(c: McpCursor): string {
  return Buffer.from(JSON.stringify({ v: 1, t: c.tool, k: c.key, o: c.offset })).toString('base64url');
}

/** The cursor's content; an `InputError` when it is not one of ours or belongs to another tool. */
export function decodeMcpCursor(text: string, tool: string): McpCursor {
  let parsed: z.infer<typeof payload> | undefined;
  try {
    parsed = payload.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    parsed = undefined;
  }
  if (!parsed)
    throw refusal(
      'cursor_invalid',
      'The cursor is not one this server issued',
      'send the cursor exactly as the previous page gave it, or start again without one',
    );
  if (parsed.t !== tool) throw refusal('cursor_invalid', `The cursor belongs to ${parsed.t}, not ${tool}`, `send it to ${parsed.t}`);
  return { tool: parsed.t, key: parsed.k, offset: parsed.o };
}

/** The key of a listing's cursors: its inputs and the catalog's version, so a page of a changed catalog is refused, not mixed. */
export function listingKey(inputs: unknown, catalogVersion: string): string {
  return createHash('sha256')
    .update(JSON.stringify([inputs, catalogVersion]))
    .digest('base64url')
    .slice(0, 22);
}
