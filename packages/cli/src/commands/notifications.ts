// da notifications: your recent notifications (alerts, scripts, plugins) from the server, or
// with --follow each one as it arrives over the server's WebSocket gateway (and, with --sync,
// the syncs of tables you can read), until Ctrl-C.
import type { Command } from 'commander';
import { action } from '../command.js';
import type { Context } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { follow, type GatewayMessage } from '../notifications/follow.js';
import { renderTable } from '../render.js';

interface NotificationRow {
  id: string;
  title: string;
  body: string;
  origin: string;
  chart_url: string | null;
  created_at: string;
  deliveries?: Record<string, { status: string; detail?: string }>;
}

interface Options {
  follow?: boolean;
  sync?: boolean;
  limit?: string;
  json?: boolean;
}

const DEFAULT_LIMIT = 20;
/** Notifications read back after a reconnect, to print what arrived while the socket was down. */
const CATCH_UP_LIMIT = 100;

export function registerNotifications(program: Command): void {
  program
    .command('notifications')
    .description('Your recent notifications; --follow prints each new one as it arrives (Ctrl-C stops)')
    .option('--limit <n>', `how many recent ones to list (default: ${DEFAULT_LIMIT})`)
    .option('-f, --follow', 'stay connected and print notifications as they arrive; reconnects when the connection drops')
    .option('--sync', 'with --follow: also print syncs of tables you can read')
    .action(action<Options>(notifications));
}

async function notifications(ctx: Context, o: Options): Promise<void> {
  if (o.sync && !o.follow) throw usageError('--sync needs --follow', 'da notifications --follow --sync');
  if (o.follow) return followNotifications(ctx, o);
  const limit = o.limit === undefined ? DEFAULT_LIMIT : Number(o.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw usageError(`--limit must be a whole number from 1 to 500, not '${o.limit}'`);
  const page = await ctx.api().json<{ notifications: NotificationRow[]; total: number }>(`/api/notifications?limit=${limit}`);
  ctx.out.result(page, () =>
    page.notifications.length
      ? `${renderTable(
          ['time', 'title', 'body', 'chart'],
          page.notifications.map((n) => [localTime(n.created_at), n.title, n.body.replace(/\s+/g, ' '), n.chart_url ? absolute(ctx, n.chart_url) : '']),
        )}\n${page.notifications.length} of ${page.total}`
      : 'No notifications yet.',
  );
}

async function followNotifications(ctx: Context, o: Options): Promise<void> {
  if (o.limit !== undefined) throw usageError('--limit lists recent notifications; it does not go with --follow');
  const api = ctx.api();
  const token = ctx.connection.token!;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = new Date().toISOString();
  const printed = new Set<string>();
  const print = (m: GatewayMessage) => {
    if (m.type === 'notification') {
      if (printed.has(String(m.id))) return;
      printed.add(String(m.id));
    } else if (m.type !== 'sync' || !o.sync) return;
    if (ctx.out.json) ctx.out.raw(`${JSON.stringify(m)}\n`);
    else ctx.out.raw(human(ctx, m));
  };
  try {
    await follow({
      server: api.server,
      token,
      signal: stop.signal,
      backoffMs: ctx.envNumber('DA_BACKOFF_MS', 1) ?? 1000,
      onMessage: print,
      async onReady(userId, reconnected) {
        if (ctx.out.json) ctx.out.raw(`${JSON.stringify({ type: 'ready', user_id: userId })}\n`);
        else ctx.out.info(reconnected ? 'Reconnected.' : `Following notifications on ${api.server} (Ctrl-C to stop)…`);
        if (!reconnected) return;
        // What arrived while the socket was down is in the server's list; printed oldest first.
        const page = await api.json<{ notifications: NotificationRow[] }>(`/api/notifications?limit=${CATCH_UP_LIMIT}`);
        for (const n of page.notifications.filter((x) => x.created_at >= started && !printed.has(x.id)).reverse()) {
          print({ type: 'notification', id: n.id, title: n.title, body: n.body, ...(n.chart_url ? { chart_url: n.chart_url } : {}), created_at: n.created_at });
        }
      },
      onDrop(why, retryInMs) {
        ctx.out.warn(`${why}; reconnecting in ${(retryInMs / 1000).toFixed(1)} s`);
      },
    });
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError('network', `Following notifications failed: ${(e as Error).message}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function human(ctx: Context, m: GatewayMessage): string {
  if (m.type === 'sync') {
    const tables = (m.tables as string[]).join(', ');
    return `${localTime(new Date().toISOString())}  sync ${String(m.source)} ${m.status === 'ok' ? 'updated' : 'FAILED'}: ${tables}\n`;
  }
  const lines = [`${localTime(String(m.created_at))}  ${String(m.title)}`];
  if (m.body)
    lines.push(
      ...String(m.body)
        .split('\n')
        .map((l) => `  ${l}`),
    );
  if (m.chart_url) lines.push(`  chart: ${absolute(ctx, String(m.chart_url))}`);
  return `${lines.join('\n')}\n`;
}

/** A host path (no instance.base_url set on the server) made a link on the server in effect. */
function absolute(ctx: Context, url: string): string {
  return url.startsWith('/') && ctx.connection.server ? `${ctx.connection.server}${url}` : url;
}

/** `2025-03-01 14:05:09` in this machine's time zone. */
function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
