// A local Telegram Bot API server for the tests, after https://core.telegram.org/bots/api:
// requests go to `<root>/bot<token>/<METHOD_NAME>` (method names case-insensitive), parameters
// come as a query string, application/x-www-form-urlencoded, application/json or
// multipart/form-data (files: a part of its own, named by the field or by `attach://<name>`);
// every answer is `{ok: true, result}` or `{ok: false, error_code, description, parameters?}`
// with the HTTP status of error_code, and flood control carries `parameters.retry_after`
// (seconds). getUpdates long-polls: it waits up to `timeout` seconds for an update, returns the
// updates from `offset` on, and confirms (forgets) those before it; it fails with 409 while a
// webhook is set. Tests inject what users send and the failures Telegram answers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUser {
  id: number;
  first_name: string;
  username?: string;
}

/** A call the bot made, as the fake read it. */
export interface RecordedCall {
  method: string;
  /** ms since the epoch, when the request arrived. */
  at: number;
  params: Record<string, unknown>;
  /** Uploaded files by field (`photo`), for sendPhoto. */
  files: Record<string, { filename: string; bytes: Buffer }>;
}

/** A message the bot sent (sendMessage or sendPhoto), as Telegram stored it. */
export interface SentMessage {
  message_id: number;
  method: 'sendMessage' | 'sendPhoto';
  chat_id: number;
  text?: string;
  caption?: string;
  photo?: Buffer;
  at: number;
}

export interface InjectedFailure {
  error_code: number;
  description: string;
  retry_after?: number;
}

interface Waiter {
  resolve: () => void;
}

const BOT = {
  id: 7_000_000_001,
  is_bot: true,
  first_name: 'AIDA',
  username: 'aida_test_bot',
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
};

export class FakeTelegram {
  readonly token: string;
  readonly calls: RecordedCall[] = [];
  readonly sent: SentMessage[] = [];
  webhook: { url: string; secret_token?: string } | null = null;
  private server!: Server;
  private root = '';
  private updates: Record<string, unknown>[] = [];
  private nextUpdateId = 100_000;
  private nextMessageId = 1;
  private readonly waiters = new Set<Waiter>();
  private readonly failures = new Map<string, InjectedFailure[]>();
  private readonly blocked = new Set<number>();
  private readonly sentListeners = new Set<() => void>();

  private constructor(token: string) {
    this.token = token;
  }

  static async start(token = '123456789:AAFakeTokenForTestsOnly_abcdefghijk'): Promise<FakeTelegram> {
    const fake = new FakeTelegram(token);
    fake.server = createServer((req, res) => void fake.serve(req, res));
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.root = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** What `api_root` points at. */
  get apiRoot(): string {
    return this.root;
  }

  get botUsername(): string {
    return BOT.username;
  }

  async stop(): Promise<void> {
    for (const w of this.waiters) w.resolve();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** `user` writes `text` to the bot in their private chat (chat id = user id); a leading `/word` is a bot_command entity. */
  userSends(user: FakeUser, text: string): number {
    const command = /^\/[a-z_]+(@\w+)?/i.exec(text);
    const update = {
      update_id: this.nextUpdateId++,
      message: {
        message_id: this.nextMessageId++,
        from: { id: user.id, is_bot: false, first_name: user.first_name, ...(user.username ? { username: user.username } : {}) },
        chat: { id: user.id, type: 'private', first_name: user.first_name, ...(user.username ? { username: user.username } : {}) },
        date: Math.floor(Date.now() / 1000),
        text,
        ...(command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}),
      },
    };
    this.updates.push(update);
    for (const w of this.waiters) w.resolve();
    return update.update_id;
  }

  /** An update as Telegram would post it to a webhook (not queued for getUpdates). */
  updateFor(user: FakeUser, text: string): Record<string, unknown> {
    const id = this.userSends(user, text);
    const update = this.updates.find((u) => u.update_id === id)!;
    this.updates = this.updates.filter((u) => u !== update);
    return update;
  }

  /** The next calls of `method` fail with these answers, one each, in order. */
  failNext(method: string, ...failures: InjectedFailure[]): void {
    const key = method.toLowerCase();
    this.failures.set(key, [...(this.failures.get(key) ?? []), ...failures]);
  }

  /** The user blocked the bot: sending to their chat answers 403. */
  block(chatId: number): void {
    this.blocked.add(chatId);
  }

  unblock(chatId: number): void {
    this.blocked.delete(chatId);
  }

  /**
   * Resolves with the first message sent to `chatId` that `match` accepts, among those from
   * index `from` of `sent` on (take `sent.length` before acting, so only what follows counts).
   */
  async waitForSent(
    chatId: number,
    match: (m: SentMessage) => boolean = () => true,
    options: { from?: number; timeoutMs?: number } = {},
  ): Promise<SentMessage> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    const find = () => this.sent.slice(options.from ?? 0).find((m) => m.chat_id === chatId && match(m));
    for (;;) {
      const found = find();
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(
          `no matching message to chat ${chatId} within the time; sent: ${JSON.stringify(this.sent.map((m) => ({ chat: m.chat_id, text: m.text ?? m.caption })))}`,
        );
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.sentListeners.delete(done);
          resolve();
        };
        const timer = setTimeout(done, 100);
        this.sentListeners.add(done);
      });
    }
  }

  /** Calls of `method` so far. */
  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method.toLowerCase() === method.toLowerCase());
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.root);
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!m) return answer(res, { ok: false, error_code: 404, description: 'Not Found' });
    if (m[1] !== this.token) return answer(res, { ok: false, error_code: 401, description: 'Unauthorized' });
    let call: RecordedCall;
    try {
      const { params, files } = await readParams(req, url);
      call = { method: m[2], at: Date.now(), params, files };
    } catch (e) {
      return answer(res, { ok: false, error_code: 400, description: `Bad Request: ${(e as Error).message}` });
    }
    this.calls.push(call);
    const method = call.method.toLowerCase();
    const injected = this.failures.get(method)?.shift();
    if (injected) {
      return answer(res, {
        ok: false,
        error_code: injected.error_code,
        description: injected.description,
        ...(injected.retry_after !== undefined ? { parameters: { retry_after: injected.retry_after } } : {}),
      });
    }
    const handler = this.methods[method];
    if (!handler) return answer(res, { ok: false, error_code: 404, description: 'Not Found' });
    try {
      answer(res, await handler(call, res));
    } catch (e) {
      answer(res, { ok: false, error_code: 500, description: `Internal Server Error: ${(e as Error).message}` });
    }
  }

  private readonly methods: Record<string, (call: RecordedCall, res: ServerResponse) => Promise<Answer> | Answer> = {
    getme: () => ({ ok: true, result: BOT }),
    setwebhook: ({ params }) => {
      if (typeof params.url !== 'string') return { ok: false, error_code: 400, description: 'Bad Request: bad webhook: URL must be provided' };
      this.webhook = { url: params.url, ...(typeof params.secret_token === 'string' ? { secret_token: params.secret_token } : {}) };
      return { ok: true, result: true, description: 'Webhook was set' };
    },
    deletewebhook: ({ params }) => {
      this.webhook = null;
      if (isTrue(params.drop_pending_updates)) this.updates = [];
      return { ok: true, result: true, description: 'Webhook was deleted' };
    },
    getupdates: (call, res) => this.getUpdates(call, res),
    sendmessage: ({ params, at }) => {
      const chatId = Number(params.chat_id);
      if (!Number.isFinite(chatId)) return { ok: false, error_code: 400, description: 'Bad Request: chat not found' };
      const text = typeof params.text === 'string' ? params.text : '';
      if (!text.trim()) return { ok: false, error_code: 400, description: 'Bad Request: message text is empty' };
      if ([...text].length > 4096) return { ok: false, error_code: 400, description: 'Bad Request: message is too long' };
      if (this.blocked.has(chatId)) return { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' };
      return { ok: true, result: this.record({ method: 'sendMessage', chat_id: chatId, text, at }) };
    },
    sendphoto: ({ params, files, at }) => {
      const chatId = Number(params.chat_id);
      if (!Number.isFinite(chatId)) return { ok: false, error_code: 400, description: 'Bad Request: chat not found' };
      const ref = typeof params.photo === 'string' ? params.photo : undefined;
      const file = ref?.startsWith('attach://') ? files[ref.slice('attach://'.length)] : files.photo;
      if (!file) return { ok: false, error_code: 400, description: 'Bad Request: there is no photo in the request' };
      const caption = typeof params.caption === 'string' ? params.caption : undefined;
      if (caption && [...caption].length > 1024) return { ok: false, error_code: 400, description: 'Bad Request: message caption is too long' };
      if (this.blocked.has(chatId)) return { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' };
      return { ok: true, result: this.record({ method: 'sendPhoto', chat_id: chatId, caption, photo: file.bytes, at }) };
    },
  };

  private record(m: Omit<SentMessage, 'message_id'>): Record<string, unknown> {
    const sent: SentMessage = { message_id: this.nextMessageId++, ...m };
    this.sent.push(sent);
    for (const l of [...this.sentListeners]) l();
    return {
      message_id: sent.message_id,
      from: { id: BOT.id, is_bot: true, first_name: BOT.first_name, username: BOT.username },
      chat: { id: sent.chat_id, type: 'private', first_name: 'User' },
      date: Math.floor(m.at / 1000),
      ...(m.text !== undefined ? { text: m.text } : {}),
      ...(m.photo
        ? { photo: [{ file_id: `photo-${sent.message_id}`, file_unique_id: `u${sent.message_id}`, width: 640, height: 480, file_size: m.photo.length }] }
        : {}),
      ...(m.caption !== undefined ? { caption: m.caption } : {}),
    };
  }

  /** Long polling as the docs describe it: confirm below `offset`, wait up to `timeout` seconds for something to return. */
  private async getUpdates({ params }: RecordedCall, res: ServerResponse): Promise<Answer> {
    if (this.webhook) {
      return {
        ok: false,
        error_code: 409,
        description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      };
    }
    const offset = params.offset === undefined ? undefined : Number(params.offset);
    const limit = Math.min(100, Math.max(1, Number(params.limit ?? 100)));
    const timeout = Math.max(0, Number(params.timeout ?? 0));
    if (offset !== undefined && offset > 0) this.updates = this.updates.filter((u) => (u.update_id as number) >= offset);
    if (offset !== undefined && offset < 0) this.updates = this.updates.slice(offset);
    if (!this.updates.length && timeout > 0) {
      await new Promise<void>((resolve) => {
        const waiter: Waiter = {
          resolve: () => {
            clearTimeout(timer);
            this.waiters.delete(waiter);
            res.off('close', waiter.resolve);
            resolve();
          },
        };
        const timer = setTimeout(waiter.resolve, timeout * 1000);
        this.waiters.add(waiter);
        // The bot gave up on this poll (it is stopping): nothing to answer. The response's
        // close, not the request's: a request closes once its body is read.
        res.once('close', waiter.resolve);
      });
    }
    return { ok: true, result: this.updates.slice(0, limit) };
  }
}

type Answer =
  { ok: true; result: unknown; description?: string } | { ok: false; error_code: number; description: string; parameters?: { retry_after?: number } };

function answer(res: ServerResponse, body: Answer): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(body.ok ? 200 : body.error_code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function isTrue(v: unknown): boolean {
  return v === true || v === 'true';
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The call's parameters from the query string and the body, whichever of the four ways it came. */
async function readParams(req: IncomingMessage, url: URL): Promise<{ params: Record<string, unknown>; files: RecordedCall['files'] }> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const files: RecordedCall['files'] = {};
  const raw = await readBody(req);
  const type = req.headers['content-type'] ?? '';
  if (!raw.length) return { params, files };
  if (type.startsWith('application/json')) Object.assign(params, JSON.parse(raw.toString('utf8')) as Record<string, unknown>);
  else if (type.startsWith('application/x-www-form-urlencoded')) Object.assign(params, Object.fromEntries(new URLSearchParams(raw.toString('utf8'))));
  else if (type.startsWith('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(type);
    if (!boundary) throw new Error('multipart body without a boundary');
    for (const part of parseMultipart(raw, boundary[1] ?? boundary[2])) {
      if (part.filename !== undefined) files[part.name] = { filename: part.filename, bytes: part.body };
      else params[part.name] = part.body.toString('utf8');
    }
  } else throw new Error(`unsupported content type ${type}`);
  return { params, files };
}

interface Part {
  name: string;
  filename?: string;
  body: Buffer;
}

/**
 * multipart/form-data (RFC 7578): parts between `--boundary` lines, each headers, a blank
 * line, then the bytes. Header names are case-insensitive and parameter values may come
 * quoted or not (grammY sends `content-disposition:form-data;name="x";filename=chart.png`).
 */
function parseMultipart(raw: Buffer, boundary: string): Part[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let start = raw.indexOf(delimiter);
  if (start < 0) throw new Error('multipart body without its boundary');
  for (;;) {
    start += delimiter.length;
    if (raw.subarray(start, start + 2).toString() === '--') break; // the closing delimiter
    start += 2; // CRLF after the delimiter
    const next = raw.indexOf(delimiter, start);
    if (next < 0) throw new Error('multipart body not closed');
    const chunk = raw.subarray(start, next - 2); // without the CRLF before the next delimiter
    const headerEnd = chunk.indexOf('\r\n\r\n');
    if (headerEnd < 0) throw new Error('multipart part without headers');
    const headers = chunk.subarray(0, headerEnd).toString('utf8').split('\r\n');
    const disposition = headers.find((h) => /^content-disposition\s*:/i.test(h));
    if (!disposition) throw new Error('multipart part without content-disposition');
    const param = (key: string) => new RegExp(`;\\s*${key}=(?:"([^"]*)"|([^;]*))`, 'i').exec(disposition);
    const name = param('name');
    if (!name) throw new Error('multipart part without a name');
    const filename = param('filename');
    parts.push({
      name: name[1] ?? name[2].trim(),
      ...(filename ? { filename: filename[1] ?? filename[2].trim() } : {}),
      body: Buffer.from(chunk.subarray(headerEnd + 4)),
    });
    start = next;
  }
  return parts;
}
