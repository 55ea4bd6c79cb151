// What the host and a sandbox child say to each other: one JSON object per line, the host on
// the child's stdin, the child on its stdout. Nothing else crosses the process boundary.

/** Limits the child applies inside the isolate (the host enforces its own on top). */
export interface ChildLimits {
  memoryMb: number;
  timeoutMs: number;
  /** Bytes of logs plus the JSON of the returned value. */
  maxOutputBytes: number;
}

/** A query's answer as the isolate sees it: rows as arrays, turned into objects inside. */
export interface QueryAnswer {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  truncated: boolean;
}

export interface QueryFailure {
  code: string;
  status: number;
  message: string;
}

export type HostMessage =
  | { t: 'run'; source: string; params: unknown; limits: ChildLimits }
  | { t: 'check'; source: string }
  | { t: 'rows'; id: number; answer?: QueryAnswer; error?: QueryFailure };

/** How a run ended inside the child. `value` is the JSON of what the module's function returned. */
export type ChildOutcome =
  | { status: 'ok'; value: string; logs: string[] }
  | { status: 'error' | 'timeout' | 'memory' | 'output_too_large'; message: string; line?: number; logs: string[] };

export type ChildMessage =
  | { t: 'ready' }
  | { t: 'query'; id: number; sql: string }
  | { t: 'done'; outcome: ChildOutcome }
  | { t: 'checked'; ok: true }
  | { t: 'checked'; ok: false; message: string; line?: number };

/** The file name scripts are compiled under; stack lines and syntax errors name it. */
export const SCRIPT_FILENAME = 'script.js';
