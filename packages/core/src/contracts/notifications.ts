/** A message for one user, as it is stored and as every channel receives it. */
export interface Notification {
  id: string;
  userId: string;
  title: string;
  body: string;
  /**
   * The host path of the chart image (`/api/notifications/<id>/chart`) when the notification
   * has one; put the instance's base URL in front for links sent outside.
   */
  chartUrl?: string;
  /** What produced it: `alert:<id>`, `script:<id>`, or the sending plugin's id. */
  origin: string;
  createdAt: Date;
}

/** A chart rendered for a notification: a PNG the channels attach (Telegram) or link (WebSocket). */
export interface NotificationChart {
  png: Uint8Array;
  /** Text for readers that cannot see the image. */
  alt?: string;
}

/** What a channel did with one notification. */
export interface DeliveryOutcome {
  /** `skipped`: the user cannot be reached on this channel (no linked chat, not connected). */
  status: 'delivered' | 'skipped' | 'failed';
  detail?: string;
}

/**
 * A way to reach users: the host's WebSocket gateway (`ws`), a plugin's Telegram bot
 * (`telegram`). Registered with `Notifications.registerChannel`.
 */
export interface NotificationChannel {
  /** The id rules and scripts name in `channels` (`ws`, `telegram`). */
  readonly id: string;
  /** Delivers one notification. A rejection is recorded as `failed` with its message. */
  deliver(notification: Notification, chart: NotificationChart | undefined): Promise<DeliveryOutcome>;
}

export interface NotificationRequest {
  userId: string;
  title: string;
  body: string;
  chart?: NotificationChart;
  /** What produced it (see Notification.origin). */
  origin: string;
  /** Channel ids to deliver on; every registered channel when omitted. */
  channels?: readonly string[];
}

export interface SentNotification {
  notification: Notification;
  /** Outcome per requested channel id; a channel no plugin registered is `skipped` ("not installed"). */
  deliveries: Record<string, DeliveryOutcome>;
}

/**
 * The host's notification hub: it records every notification (a user lists theirs with
 * GET /api/notifications) and hands it to the channels. Channels never see another user's.
 */
export interface Notifications {
  registerChannel(channel: NotificationChannel): void;
  /** Records the notification, then delivers it on each channel (in parallel; one failing does not stop the others). */
  send(request: NotificationRequest): Promise<SentNotification>;
}

/** How current the data a user can read is: for a chat's `/status` or a digest. */
export interface TableFreshness {
  /** Table id as the catalog shows it (`sales.orders`). */
  table: string;
  source: string;
  /** When its data last changed here; null when never synced. */
  lastSyncAt: Date | null;
  rows: number | null;
  /** The last sync's outcome (`ok`, `error`, `never`). */
  status: string;
}

export interface DataFreshness {
  /** The tables `userId` may read, with their last sync; empty for an unknown or deactivated user. */
  forUser(userId: string): Promise<TableFreshness[]>;
}
