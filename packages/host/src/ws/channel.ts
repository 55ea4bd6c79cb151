import type { DeliveryOutcome, Notification, NotificationChannel } from '@aida/core';
import type { WebSocketGateway } from './gateway.js';
import type { NotificationMessage } from './protocol.js';

/** What a notification looks like on the socket; `baseUrl` (instance.base_url) makes the chart link absolute. */
export function notificationMessage(n: Notification, baseUrl: string | undefined): NotificationMessage {
  return {
    type: 'notification',
    id: n.id,
    title: n.title,
    body: n.body,
    ...(n.chartUrl ? { chart_url: baseUrl ? `${baseUrl}${n.chartUrl}` : n.chartUrl } : {}),
    created_at: n.createdAt.toISOString(),
  };
}

/**
 * The hub's `ws` channel: a notification goes to every socket its user has open. Delivered
 * when at least one took it; skipped when the user has none (GET /api/notifications keeps it).
 */
export class WsChannel implements NotificationChannel {
  readonly id = 'ws';

  constructor(
    private readonly gateway: WebSocketGateway,
    private readonly baseUrl: string | undefined,
  ) {}

  async deliver(n: Notification): Promise<DeliveryOutcome> {
    if (!this.gateway.isConnected(n.userId)) return { status: 'skipped', detail: 'not connected' };
    const sockets = await this.gateway.sendToUser(n.userId, notificationMessage(n, this.baseUrl));
    if (!sockets) return { status: 'failed', detail: 'no open socket took it' };
    return { status: 'delivered', detail: `${sockets} socket${sockets === 1 ? '' : 's'}` };
  }
}
