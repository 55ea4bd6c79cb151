// The host's side of the boundary: one child process per run (see child.ts), a wall-clock
// limit the host enforces by killing it, a cap on every line the child may send, and the
// only data path, query(sql), answered here. A child that crashes, runs out of memory or
// hangs is killed and reported; the host's own process never runs script code.
import { spawn } from 'node:child_process';
import { AidaError } from '@aida/core';
import { ScriptQueryLimitError, ScriptsSandboxUnavailableError } from '../errors.js';
import { childArgs, type SandboxFiles } from './launch.js';
import type { ChildMessage, ChildOutcome, HostMessage, QueryAnswer, QueryFailure } from './protocol.js';

export type RunStatus = 'ok' | 'error' | 'timeout' | 'memory' | 'output_too_large';

export interface SandboxLimits {
  timeoutMs: number;
  memoryBytes: number;
  maxOutputBytes: number;
  maxQueries: number;
}

export interface SandboxRun {
  status: RunStatus;
  /** What the module's function returned (parsed JSON), when status is ok. */
  value?: unknown;
  message?: string;
  /** The script's line an error points at. */
  line?: number;
  logs: string[];
  durationMs: number;
  queries: number;
}

export type CheckResult = { ok: true } | { ok: false; message: string; line?: number };

/** Runs one query for a script; rejects with the host's typed error (403 for an unreadable table). */
export type ScriptQuery = (sql: string, signal: AbortSignal) => Promise<QueryAnswer>;

/** Beyond the child's own timer: startup and the isolate's teardown. */
const KILL_GRACE_MS = 2000;
const STDERR_KEEP = 8192;
const CHECK_TIMEOUT_MS = 15_000;

interface Session {
  child: ReturnType<typeof spawn>;
  send(message: HostMessage): void;
  done: Promise<{ code: number | null; signal: string | null; stderr: string }>;
  kill(): void;
}

export class ScriptSandbox {
  constructor(
    private readonly files: SandboxFiles,
    private readonly limits: SandboxLimits,
  ) {}

  private get memoryMb(): number {
    return Math.max(8, Math.floor(this.limits.memoryBytes / (1024 * 1024)));
  }

  /** Starts a child and compiles a trivial module in it; throws a startup error when that fails. */
  async probe(): Promise<void> {
    let result: CheckResult;
    try {
      result = await this.check('export default () => null;');
    } catch (e) {
      throw new ScriptsSandboxUnavailableError(`the script sandbox does not start: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (!result.ok) throw new ScriptsSandboxUnavailableError(`the script sandbox does not start: ${result.message}`);
  }

  /** Compiles `source` as a module in a child, without running it. */
  async check(source: string): Promise<CheckResult> {
    let answer: CheckResult | undefined;
    const session = this.start((m, s) => {
      if (m.t === 'ready') s.send({ t: 'check', source });
      else if (m.t === 'checked') answer = m.ok ? { ok: true } : { ok: false, message: m.message, ...(m.line ? { line: m.line } : {}) };
    });
    const timer = setTimeout(() => session.kill(), CHECK_TIMEOUT_MS);
    const exit = await session.done.finally(() => clearTimeout(timer));
    if (answer) return answer;
    throw new Error(`the sandbox process ended without an answer (${describeExit(exit)})`);
  }

  /** Runs `source`'s default export with `params`; every way it can end is a status, never a throw. */
  async run(source: string, params: unknown, query: ScriptQuery, signal?: AbortSignal): Promise<SandboxRun> {
    const started = Date.now();
    const queriesStop = new AbortController();
    let outcome: ChildOutcome | undefined;
    let killedFor: 'timeout' | 'output_too_large' | undefined;
    let queries = 0;
    const session = this.start(
      (m, s) => {
        if (m.t === 'ready') {
          s.send({
            t: 'run',
            source,
            params,
            limits: { memoryMb: this.memoryMb, timeoutMs: this.limits.timeoutMs, maxOutputBytes: this.limits.maxOutputBytes },
          });
        } else if (m.t === 'query') {
          queries++;
          void this.answer(m.id, m.sql, queries, query, queriesStop.signal).then((reply) => s.send(reply));
        } else if (m.t === 'done') outcome = m.outcome;
      },
      () => {
        killedFor = 'output_too_large';
      },
    );
    const timer = setTimeout(() => {
      killedFor ??= 'timeout';
      session.kill();
    }, this.limits.timeoutMs + KILL_GRACE_MS);
    const onAbort = () => {
      killedFor ??= 'timeout';
      session.kill();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const exit = await session.done;
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    queriesStop.abort();
    const base = { durationMs: Date.now() - started, queries };
    if (outcome) return { ...base, ...fromOutcome(outcome) };
    if (killedFor === 'timeout')
      return { ...base, status: 'timeout', message: `the script ran longer than ${this.limits.timeoutMs} ms; its process was killed`, logs: [] };
    if (killedFor === 'output_too_large') {
      return {
        ...base,
        status: 'output_too_large',
        message: `the script's output exceeded ${this.limits.maxOutputBytes} bytes; its process was killed`,
        logs: [],
      };
    }
    if (/heap out of memory|Allocation failed|memory limit/i.test(exit.stderr)) {
      return { ...base, status: 'memory', message: `the script ran out of memory (${this.memoryMb} MiB); its process ended`, logs: [] };
    }
    return { ...base, status: 'error', message: `the sandbox process ended unexpectedly (${describeExit(exit)})`, logs: [] };
  }

  private async answer(id: number, sql: string, n: number, query: ScriptQuery, signal: AbortSignal): Promise<HostMessage> {
    try {
      if (n > this.limits.maxQueries) throw new ScriptQueryLimitError(`a run may call query() at most ${this.limits.maxQueries} times`);
      return { t: 'rows', id, answer: await query(sql, signal) };
    } catch (e) {
      return { t: 'rows', id, error: failureOf(e) };
    }
  }

  /** Spawns a child and reads its lines; a line longer than the cap kills it (`onOverflow`). */
  private start(onMessage: (m: ChildMessage, s: Session) => void, onOverflow?: () => void): Session {
    const child = spawn(process.execPath, childArgs(this.files, this.memoryMb), {
      // Nothing of the host's environment (secrets, NODE_OPTIONS) reaches the child.
      env: {},
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    // Escaped JSON of a capped result, plus room for an answer's framing.
    const maxLine = this.limits.maxOutputBytes * 8 + 1024 * 1024;
    let buffered = '';
    let stderr = '';
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const session: Session = {
      child,
      kill,
      send(message) {
        if (child.stdin?.writable) child.stdin.write(`${JSON.stringify(message)}\n`);
      },
      done: new Promise((resolve) => {
        child.on('close', (code, signal) => resolve({ code, signal, stderr }));
      }),
    };
    child.stdin?.on('error', () => undefined); // the child exiting first is how a run ends
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (stderr.length < STDERR_KEEP) stderr += chunk.slice(0, STDERR_KEEP - stderr.length);
    });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let message: ChildMessage;
        try {
          message = JSON.parse(line) as ChildMessage;
        } catch {
          kill();
          return;
        }
        onMessage(message, session);
      }
      if (buffered.length > maxLine) {
        onOverflow?.();
        kill();
      }
    });
    child.on('error', () => kill());
    return session;
  }
}

function fromOutcome(o: ChildOutcome): Omit<SandboxRun, 'durationMs' | 'queries'> {
  if (o.status === 'ok') {
    try {
      return { status: 'ok', value: JSON.parse(o.value) as unknown, logs: o.logs };
    } catch {
      return { status: 'error', message: 'the script returned something that is not JSON', logs: o.logs };
    }
  }
  return { status: o.status, message: o.message, ...(o.line ? { line: o.line } : {}), logs: o.logs };
}

function failureOf(e: unknown): QueryFailure {
  if (e instanceof AidaError) return { code: e.code, status: e.status, message: e.message };
  return { code: 'ERROR', status: 500, message: e instanceof Error ? e.message : String(e) };
}

function describeExit(exit: { code: number | null; signal: string | null; stderr: string }): string {
  const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  const tail = exit.stderr.trim().split('\n').slice(-3).join(' | ');
  return tail ? `${how}: ${tail}` : how;
}
