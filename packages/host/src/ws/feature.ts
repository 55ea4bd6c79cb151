import type { FeatureDeps, HostFeature } from '../features.js';
import { verifyBearer } from '../identity/sessions.js';
import { WsChannel } from './channel.js';
import { WebSocketGateway } from './gateway.js';
import { SyncEvents, type SyncEvent } from './sync-events.js';

/** The path part of `instance.base_url` (`https://x.example/data` → `/data`): where an embedding app mounts the host. */
export function mountPathOf(baseUrl: string | undefined): string {
  return baseUrl ? new URL(baseUrl).pathname.replace(/\/+$/, '') : '';
}

/**
 * The WebSocket gateway at `<mount>/ws` (docs/notifications.md#websocket-gateway): the hub's
 * `ws` channel, and sync events for the tables each connected user may read.
 */
export function wsFeature(d: FeatureDeps): HostFeature {
  const c = d.config.ws;
  if (!c.enabled) return { id: 'ws', routes: () => [] };
  const { users, pats, tokens } = d.identity;
  const logger = d.logger.child({ component: 'ws' });
  const gateway = new WebSocketGateway({
    path: `${mountPathOf(d.config.instance.base_url)}/ws`,
    authTimeoutMs: c.auth_timeout,
    pingIntervalMs: c.ping_interval,
    maxMissedPongs: c.max_missed_pongs,
    maxConnectionsPerUser: c.max_connections_per_user,
    maxPayload: c.max_payload,
    recheckIntervalMs: c.recheck_interval,
    // The same check every HTTP request gets: one place decides what a token is worth.
    verify: (token, ip) => verifyBearer(token, ip, users, pats, tokens),
    logger,
  });
  d.hub.registerChannel(new WsChannel(gateway, d.config.instance.base_url?.replace(/\/+$/, '')));

  /** Each connected user gets the event with the tables they may read now, or nothing. */
  const publish = (e: SyncEvent) => {
    for (const u of gateway.connectedUsers()) {
      const current = users.get(u.id);
      if (!current?.active) continue;
      const tables = e.tables.filter((t) => d.data.access.canRead(current, t));
      if (tables.length) void gateway.sendToUser(u.id, { type: 'sync', source: e.source, status: e.status, tables });
    }
  };
  const sync = new SyncEvents({ sync: d.data.sync, orchestrator: d.data.orchestrator, logger, publish });
  // Failed extractions trigger no rebuild: they are looked up on a timer.
  let failures: NodeJS.Timeout | undefined;

  return {
    id: 'ws',
    routes: () => [],
    async start() {
      await sync.start();
      gateway.start();
      failures = setInterval(() => void sync.check(), c.recheck_interval);
      failures.unref();
    },
    attach: (server, { mountPath }) => gateway.attach(server, mountPath === undefined ? undefined : `${mountPath.replace(/\/+$/, '')}/ws`),
    async stop() {
      clearInterval(failures);
      await sync.stop();
      await gateway.stop();
    },
  };
}
