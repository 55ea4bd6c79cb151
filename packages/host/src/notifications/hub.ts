import type { Logger } from 'pino';
import type { DeliveryOutcome, NotificationChannel, NotificationRequest, Notifications, SentNotification } from '@aida/core';
import { InputError } from '@aida/core';
import type { NotificationStore } from './store.js';

/** Longest title and body kept; longer text is cut with an ellipsis (Telegram takes 4096 characters). */
export const MAX_TITLE_CHARS = 200;
export const MAX_BODY_CHARS = 3500;
/** A channel that has not answered in this long is recorded as failed; the others are not held up. */
const DELIVERY_TIMEOUT_MS = 60_000;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The host's notification hub (core's `Notifications`): records each notification, then
 * hands it to the channels asked for. A channel failing or hanging never stops the others.
 */
export class NotificationHub implements Notifications {
  private readonly channels = new Map<string, NotificationChannel>();

  constructor(
    private readonly store: NotificationStore,
    private readonly logger: Logger,
  ) {}

  registerChannel(channel: NotificationChannel): void {
    if (this.channels.has(channel.id)) throw new Error(`a notification channel '${channel.id}' is already registered`);
    this.channels.set(channel.id, channel);
  }

  /** Ids of the registered channels, for validating a rule's `channels`. */
  channelIds(): string[] {
    return [...this.channels.keys()].sort();
  }

  async send(request: NotificationRequest): Promise<SentNotification> {
    const title = request.title.trim();
    if (!title) throw new InputError('A notification needs a title');
    const notification = await this.store.insert({
      userId: request.userId,
      title: clip(title, MAX_TITLE_CHARS),
      body: clip(request.body, MAX_BODY_CHARS),
      origin: request.origin,
      chart: request.chart,
    });
    const wanted = request.channels ?? this.channelIds();
    const outcomes = await Promise.all(
      wanted.map(async (id): Promise<[string, DeliveryOutcome]> => {
        const channel = this.channels.get(id);
        if (!channel) return [id, { status: 'skipped', detail: 'not installed' }];
        try {
          return [id, await withTimeout(channel.deliver(notification, request.chart), DELIVERY_TIMEOUT_MS)];
        } catch (e) {
          const detail = e instanceof Error ? e.message : String(e);
          this.logger.warn({ channel: id, notification: notification.id, err: e }, `notification channel ${id} failed: ${detail}`);
          return [id, { status: 'failed', detail }];
        }
      }),
    );
    const deliveries = Object.fromEntries(outcomes);
    await this.store.recordDeliveries(notification.id, deliveries);
    return { notification, deliveries };
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
