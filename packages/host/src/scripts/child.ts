// The sandbox child: its own Node process, started by the host for one script run (or one
// syntax check) under Node's permission model (no fs writes, no child processes, no workers,
// reads of this folder and isolated-vm only). The script itself runs in an isolated-vm
// isolate inside it, which has no Node APIs at all: only JavaScript's built-ins, `console`
// and `query(sql)`, which asks the host over stdout/stdin. Only Node built-ins are imported
// here, so the permission grants stay this small.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import type { IsolatedVm, IvmIsolate, IvmReference } from './ivm.js';
import { SCRIPT_FILENAME, type ChildLimits, type ChildMessage, type ChildOutcome, type HostMessage, type QueryAnswer, type QueryFailure } from './protocol.js';

/** Runs inside the isolate before the script: captures what it needs before the script can touch globals. */
const BOOTSTRAP = `
'use strict';
const hostQuery = $query, hostLog = $log, stringify = JSON.stringify, parse = JSON.parse, freeze = Object.freeze;
delete globalThis.$query;
delete globalThis.$log;
const text = (v) => { if (typeof v === 'string') return v; try { const s = stringify(v); return s === undefined ? String(v) : s; } catch { return String(v); } };
const say = (level) => (...args) => hostLog(level, args.map(text).join(' '));
globalThis.console = freeze({ log: say('log'), info: say('info'), warn: say('warn'), error: say('error'), debug: say('debug') });
async function query(sql) {
  if (typeof sql !== 'string') throw new TypeError('query(sql) takes one SQL string');
  const reply = parse(await hostQuery.apply(undefined, [sql], { result: { promise: true, copy: true } }));
  if (reply.error) {
    const e = new Error('query failed (' + reply.error.status + ' ' + reply.error.code + '): ' + reply.error.message);
    e.code = reply.error.code;
    e.status = reply.error.status;
    throw e;
  }
  const answer = reply.answer;
  const names = answer.columns.map((c) => c.name);
  const rows = answer.rows.map((r) => { const o = {}; names.forEach((n, i) => { o[n] = r[i]; }); return o; });
  return freeze({ columns: answer.columns, rows, truncated: answer.truncated });
}
globalThis.$run = async (fn, paramsJson) => {
  if (typeof fn !== 'function') throw new TypeError('the module must have a default export: export default async function run({ query, params }) { ... }');
  const value = await fn(freeze({ query, params: parse(paramsJson), console: globalThis.console }));
  return stringify(value === undefined ? null : value) ?? 'null';
};
`;

const require = createRequire(import.meta.url);
const ivmPath = process.argv[2];
if (!ivmPath) throw new Error('usage: child.js <path of isolated-vm>');
const ivm = require(ivmPath) as IsolatedVm;

function send(message: ChildMessage): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

const pendingQueries = new Map<number, (answer: { answer?: QueryAnswer; error?: QueryFailure }) => void>();
let nextQuery = 1;

function lineOf(e: unknown): number | undefined {
  const text = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
  const m = new RegExp(`${SCRIPT_FILENAME.replace('.', '\\.')}:(\\d+)`).exec(text);
  return m ? Number(m[1]) : undefined;
}

function messageOf(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  return e.name && e.name !== 'Error' && !e.message.startsWith(e.name) ? `${e.name}: ${e.message}` : e.message;
}

/** Compiles a module without running it: a syntax error or an import is reported with its line. */
async function check(source: string): Promise<void> {
  const isolate = new ivm.Isolate({ memoryLimit: 32 });
  try {
    const module = await isolate.compileModule(source, { filename: SCRIPT_FILENAME });
    const imports = module.dependencySpecifiers;
    if (imports.length) {
      send({ t: 'checked', ok: false, message: `scripts cannot import anything (found: ${imports.map((s) => `'${s}'`).join(', ')}); use query(sql) for data` });
    } else send({ t: 'checked', ok: true });
  } catch (e) {
    send({ t: 'checked', ok: false, message: messageOf(e), line: lineOf(e) });
  } finally {
    isolate.dispose();
  }
}

async function run(source: string, params: unknown, limits: ChildLimits): Promise<ChildOutcome> {
  const logs: string[] = [];
  let outputBytes = 0;
  let stopped: 'timeout' | 'output_too_large' | undefined;
  const isolate: IvmIsolate = new ivm.Isolate({
    memoryLimit: limits.memoryMb,
    onCatastrophicError: (message) => {
      process.stderr.write(`isolate catastrophic error: ${message}\n`);
      process.exit(70);
    },
  });
  const stop = (why: 'timeout' | 'output_too_large') => {
    stopped ??= why;
    if (!isolate.isDisposed) isolate.dispose();
  };
  // The isolate runs on its own thread: this timer fires even while the script spins.
  const timer = setTimeout(() => stop('timeout'), limits.timeoutMs);
  try {
    const context = await isolate.createContext();
    const jail = context.global;
    await jail.set(
      '$log',
      new ivm.Callback((level: string, text: string) => {
        const line = level === 'log' ? String(text) : `[${String(level)}] ${String(text)}`;
        outputBytes += Buffer.byteLength(line) + 1;
        if (outputBytes > limits.maxOutputBytes) {
          // Marked now (the throw may end the run first); disposed once the callback returns.
          stopped ??= 'output_too_large';
          setImmediate(() => stop('output_too_large'));
          throw new Error('output limit reached');
        }
        logs.push(line);
      }),
    );
    await jail.set(
      '$query',
      new ivm.Reference(
        (sql: string) =>
          new Promise<string>((resolve) => {
            const id = nextQuery++;
            pendingQueries.set(id, (a) => resolve(JSON.stringify(a)));
            send({ t: 'query', id, sql: String(sql) });
          }),
      ),
    );
    await context.eval(BOOTSTRAP, { filename: 'aida-bootstrap.js' });
    const runner = await jail.get('$run', { reference: true });
    await jail.delete('$run');
    const module = await isolate.compileModule(source, { filename: SCRIPT_FILENAME });
    await module.instantiate(context, (specifier) => {
      throw new Error(`scripts cannot import '${specifier}'; use query(sql) for data`);
    });
    await module.evaluate({ timeout: limits.timeoutMs });
    const fn: IvmReference = await module.namespace.get('default', { reference: true });
    const value = await runner.apply(undefined, [fn.derefInto(), JSON.stringify(params ?? {})], {
      timeout: limits.timeoutMs,
      result: { promise: true, copy: true },
    });
    if (stopped) return failed(stopped, logs, limits);
    const json = typeof value === 'string' ? value : 'null';
    if (outputBytes + Buffer.byteLength(json) > limits.maxOutputBytes) return failed('output_too_large', logs, limits);
    return { status: 'ok', value: json, logs };
  } catch (e) {
    if (stopped) return failed(stopped, logs, limits);
    const text = messageOf(e);
    if (/memory limit|allocation failed/i.test(text)) return failed('memory', logs, limits);
    if (/execution timed out/i.test(text)) return failed('timeout', logs, limits);
    return { status: 'error', message: text, line: lineOf(e), logs };
  } finally {
    clearTimeout(timer);
    if (!isolate.isDisposed) isolate.dispose();
  }
}

function failed(status: 'timeout' | 'memory' | 'output_too_large', logs: string[], limits: ChildLimits): ChildOutcome {
  const message =
    status === 'timeout'
      ? `the script ran longer than ${limits.timeoutMs} ms and was stopped`
      : status === 'memory'
        ? `the script used more than ${limits.memoryMb} MiB and was stopped`
        : `the script's output (logs and result) exceeded ${limits.maxOutputBytes} bytes and was stopped`;
  return { status, message, logs };
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const message = JSON.parse(line) as HostMessage;
  if (message.t === 'rows') {
    const resolve = pendingQueries.get(message.id);
    pendingQueries.delete(message.id);
    resolve?.({ answer: message.answer, error: message.error });
  } else if (message.t === 'check') {
    void check(message.source).then(() => process.exit(0));
  } else {
    void run(message.source, message.params, message.limits).then((outcome) => {
      send({ t: 'done', outcome });
      process.exit(0);
    });
  }
});
// The host closing the pipe means it gave up on this run.
lines.on('close', () => process.exit(0));
send({ t: 'ready' });
