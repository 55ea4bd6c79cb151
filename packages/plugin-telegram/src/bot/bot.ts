import { abortableSleep, backoffDelay, SerialQueue, type Service, type ServiceHealth, type tokens, type TokenType } from '@aida/core';
import { Bot, InputFile, type Composer, type Context } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import { classifyTelegramFailure, describeTelegramFailure } from './failures.js';
import { retryingCalls } from './retry.js';

type Logger = TokenType<typeof tokens.logger>;

export interface TelegramBotOptions {
  token: string;
  apiRoot: string | undefined;
  mode: 'polling' | 'webhook';
  pollTimeoutMs: number;
  /** Where Telegram posts updates in webhook mode; undefined when the instance has no public URL (set the webhook by hand). */
  webhookUrl: string | undefined;
  webhookSecret: string | undefined;
  commands: Composer<Context>;
  logger: Logger;
}

/** grammY's Node build types signals with the `abort-controller` polyfill; a native one works the same (it only listens for `abort`). */
type GrammySignal = NonNullable<Parameters<Bot['api']['getMe']>[0]>;
const forGrammy = (signal: AbortSignal) => signal as unknown as GrammySignal;

/** Backoff between failed getMe or getUpdates calls: from 1 s up to a minute. */
const RECONNECT = { baseDelayMs: 1_000, maxDelayMs: 60_000 };
const RECENT_UPDATES = 1_000;

/**
 * The bot as a host service: on start it reaches Telegram (getMe, retried with backoff, so a
 * host starts while Telegram is unreachable), then long-polls getUpdates, or registers the
 * webhook. Updates are handled one at a time, in order. Stop aborts the poll under way and
 * any wait, and resolves once the loop has ended.
 */
export class TelegramBot implements Service {
  readonly id = 'bot';
  private readonly bot: Bot;
  private readonly stopping = new AbortController();
  private readonly updates = new SerialQueue();
  private loop: Promise<void> | undefined;
  private me: UserFromGetMe | undefined;
  /** The last failure reaching Telegram, cleared by the next success (health). */
  private failure: { at: Date; detail: string; count: number } | undefined;
  /**
   * Ids of the updates handled lately: a webhook delivery Telegram repeats (it did not see our
   * answer) is handled once. A set, not the highest id: after a quiet week Telegram may start
   * its ids anywhere.
   */
  private readonly recent = new Set<number>();

  constructor(private readonly o: TelegramBotOptions) {
    this.bot = new Bot(o.token, { client: { ...(o.apiRoot ? { apiRoot: o.apiRoot } : {}) } });
    this.bot.api.config.use(retryingCalls(this.stopping.signal));
    this.bot.use(o.commands);
  }

  /** The bot's @username once it reached Telegram. */
  get username(): string | undefined {
    return this.me?.username;
  }

  get ready(): boolean {
    return this.me !== undefined;
  }

  async start(): Promise<void> {
    // In the background: an unreachable Telegram must not hold the host's start.
    this.loop = this.run(this.stopping.signal).catch((e: unknown) => {
      if (!this.stopping.signal.aborted) this.o.logger.error(`the Telegram bot stopped: ${this.describe(e)}`);
    });
  }

  async stop(): Promise<void> {
    this.stopping.abort(new Error('the host is stopping'));
    await this.loop;
    await this.updates.idle(); // let the updates under way finish
  }

  health(): ServiceHealth {
    if (this.failure) {
      const what = this.me ? `@${this.me.username}` : 'the bot';
      return {
        status: this.me ? 'degraded' : 'unhealthy',
        detail: `${what} cannot reach Telegram (${this.failure.count} failed ${this.failure.count === 1 ? 'call' : 'calls'} since ${this.failure.at.toISOString()}): ${this.failure.detail}`,
      };
    }
    if (!this.me) return { status: 'degraded', detail: 'connecting to Telegram' };
    return { status: 'healthy', detail: `@${this.me.username}, ${this.o.mode === 'polling' ? 'long polling' : 'webhook'}` };
  }

  /** Handles one update (from the poll or the webhook) after those before it; a failing handler is logged, never thrown. */
  handle(update: Update): Promise<void> {
    return this.updates.run(async () => {
      if (this.recent.has(update.update_id)) return;
      this.recent.add(update.update_id);
      if (this.recent.size > RECENT_UPDATES) this.recent.delete(this.recent.values().next().value!);
      try {
        await this.bot.handleUpdate(update);
      } catch (e) {
        const cause = (e as { error?: unknown }).error ?? e;
        this.o.logger.warn({ update_id: update.update_id }, `a Telegram update could not be handled: ${this.describe(cause)}`);
      }
    });
  }

  async sendText(chatId: string, text: string): Promise<void> {
    await this.bot.api.sendMessage(Number(chatId), text);
  }

  async sendPhoto(chatId: string, png: Uint8Array, caption: string | undefined): Promise<void> {
    await this.bot.api.sendPhoto(Number(chatId), new InputFile(png, 'chart.png'), caption ? { caption } : {});
  }

  /** A failure in words, without the token. */
  describe(e: unknown): string {
    return describeTelegramFailure(e, this.o.token);
  }

  private async run(signal: AbortSignal): Promise<void> {
    await this.connect(signal);
    if (this.o.mode === 'webhook') await this.registerWebhook(signal);
    else await this.poll(signal);
  }

  /** getMe until it answers: the bot's username for the dashboard, and what grammY needs to handle updates. */
  private async connect(signal: AbortSignal): Promise<void> {
    for (let attempt = 1; !this.me; attempt++) {
      try {
        // getMe itself rather than bot.init(), which retries network failures forever on its own and would hide them from health.
        const me = await this.bot.api.getMe(forGrammy(signal));
        this.bot.botInfo = me;
        this.me = me;
        this.failure = undefined;
        this.o.logger.info(`Telegram bot @${this.me.username} connected (${this.o.mode})`);
      } catch (e) {
        if (signal.aborted) throw e;
        await this.waitAfter(e, attempt, 'getMe', signal);
      }
    }
  }

  private async registerWebhook(signal: AbortSignal): Promise<void> {
    if (!this.o.webhookUrl) {
      this.o.logger.warn('instance.base_url is not set: register the webhook with Telegram yourself (setWebhook to <base>/webhooks/telegram with the secret)');
      return;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.bot.api.setWebhook(this.o.webhookUrl, { secret_token: this.o.webhookSecret, allowed_updates: ['message'] }, forGrammy(signal));
        this.failure = undefined;
        return;
      } catch (e) {
        if (signal.aborted) throw e;
        await this.waitAfter(e, attempt, 'setWebhook', signal);
      }
    }
  }

  /**
   * Long polling: each getUpdates confirms the updates before `offset` and waits up to
   * `pollTimeout` for new ones. A webhook left over from webhook mode would make every
   * getUpdates fail (409), so it is removed first, keeping the updates it holds.
   */
  private async poll(signal: AbortSignal): Promise<void> {
    let offset: number | undefined;
    let removedWebhook = false;
    for (let failures = 0; !signal.aborted;) {
      let batch: Update[];
      try {
        if (!removedWebhook) removedWebhook = await this.bot.api.deleteWebhook({ drop_pending_updates: false }, forGrammy(signal));
        batch = await this.bot.api.getUpdates({ offset, timeout: Math.round(this.o.pollTimeoutMs / 1000), allowed_updates: ['message'] }, forGrammy(signal));
        failures = 0;
        this.failure = undefined;
      } catch (e) {
        if (signal.aborted) return;
        await this.waitAfter(e, ++failures, 'getUpdates', signal);
        continue;
      }
      for (const update of batch) {
        offset = update.update_id + 1;
        await this.handle(update);
      }
    }
  }

  /** Records a failed call and waits: Telegram's retry_after when it gave one, else a growing backoff. Rejects on stop. */
  private async waitAfter(e: unknown, attempt: number, method: string, signal: AbortSignal): Promise<void> {
    const detail = this.describe(e);
    this.failure = { at: this.failure?.at ?? new Date(), detail, count: (this.failure?.count ?? 0) + 1 };
    const delay = classifyTelegramFailure(e).retryAfterMs ?? backoffDelay(attempt, RECONNECT);
    this.o.logger.warn({ method, attempt, retry_in_ms: delay }, `Telegram ${method} failed: ${detail}`);
    await abortableSleep(delay, signal);
  }
}
