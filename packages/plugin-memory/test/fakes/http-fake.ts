import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

/** One request a fake received: parsed body (or the raw text when it is not JSON) and lower-cased headers. */
export interface LoggedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: any;
  /** `Date.now()` when it arrived. */
  at: number;
}

/** A step that waits `ms` before answering with `then`; every vendor fake has one. */
export interface DelayStep<S> {
  kind: 'delay';
  ms: number;
  then?: S;
}

/** What every fake answers with: a scripted step, taken from the queue first, then from `respond`. */
export interface ScriptedServer<S> {
  /** Every request received, in order. */
  readonly requests: LoggedRequest[];
  /** Answers to give, in order, one per request. */
  enqueue(...steps: S[]): void;
  /** The answer when the queue is empty (the default: a 500 saying nothing was scripted). */
  respond: ((request: LoggedRequest) => S) | undefined;
  /** Steps still queued. */
  readonly pending: number;
}

export function randomId(prefix: string, bytes = 12): string {
  return `${prefix}${randomBytes(bytes).toString('hex')}`;
}

/**
 * The HTTP part every vendor fake shares: a real server on 127.0.0.1 with an ephemeral port,
 * a request log, a queue of scripted steps, delays a client can give up on, and a `close` that
 * does not wait for them.
 */
export abstract class FakeHttpServer<S extends { kind: string }> implements ScriptedServer<S> {
  readonly requests: LoggedRequest[] = [];
  respond: ((request: LoggedRequest) => S) | undefined;
  private readonly queue: S[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: Server | undefined;
  private origin = '';

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return this.origin;
  }

  get pending(): number {
    return this.queue.length;
  }

  enqueue(...steps: S[]): void {
    this.queue.push(...steps);
  }

  /** The next step: queued first, then `respond`; undefined when neither has one. */
  protected next(request: LoggedRequest): S | undefined {
    return this.queue.shift() ?? this.respond?.(request);
  }

  /**
   * The step that answers `request`, with its delays waited out; `gone` when the client went away
   * during a delay (a client that timed out), and then nothing is answered and nothing more taken.
   * A delay answers with its `then`, else `respond`'s step, else `fallback`, never with a queued
   * step: the queue is in the order requests arrive, so a queued step belongs to a later request,
   * and a delayed handler taking it when its wait ends would answer a client that already gave up
   * with the step a later request (often a later test's) was scripted to get.
   */
  protected async stepFor(request: LoggedRequest, res: ServerResponse, fallback: S): Promise<Exclude<S, { kind: 'delay' }> | 'gone' | undefined> {
    let step = this.next(request);
    while (isDelay(step)) {
      await this.wait(step.ms);
      if (res.destroyed) return 'gone';
      step = step.then ?? this.respond?.(request) ?? fallback;
    }
    // The loop ends on a step that is not a delay; TypeScript cannot narrow a type parameter.
    return step as Exclude<S, { kind: 'delay' }> | undefined;
  }

  async listen(): Promise<this> {
    const server = createServer((req, res) => void this.receive(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Waits `ms` (cancelled by `close`). */
  protected wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  protected abstract handle(request: LoggedRequest, res: ServerResponse): Promise<void>;

  protected sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.destroyed || res.writableEnded) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  /** A 200 whose body claims to be JSON and is not (a proxy cut it, a server bug). */
  protected sendBroken(res: ServerResponse, text: string, headers: Record<string, string> = {}): void {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the raw text: the handler answers 400
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const logged: LoggedRequest = { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0], headers, body, at: Date.now() };
    this.requests.push(logged);
    try {
      await this.handle(logged, res);
    } catch (e) {
      this.sendJson(res, 500, { error: String(e) });
    }
  }
}

function isDelay<S extends { kind: string }>(step: S | undefined): step is S & DelayStep<S> {
  return step?.kind === 'delay';
}
