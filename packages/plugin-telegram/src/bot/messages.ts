import { formatNumber, formatRelativeTime, type TableFreshness } from '@aida/core';
import { formatLinkCode } from '../codes.js';

// What the bot says. Plain text (no parse_mode): nothing a table name or a notification holds
// can be read as markup, so nothing needs escaping.

/** Telegram's limit on one message's text. */
export const MAX_MESSAGE_CHARS = 4096;
/** Telegram's limit on a photo's caption. */
export const MAX_CAPTION_CHARS = 1024;
/** Tables listed by /status; the rest are counted. */
const STATUS_TABLES = 25;

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function linkCodeMessage(code: string, ttlMs: number, dashboardUrl: string | undefined, alreadyLinked: boolean): string {
  const now = new Date();
  return [
    `Your AIDA link code: ${formatLinkCode(code)}`,
    '',
    `Enter it in the Telegram box of the AIDA dashboard${dashboardUrl ? ` (${dashboardUrl})` : ''}, or send it to POST /api/telegram/verify.`,
    `It expires ${formatRelativeTime(new Date(now.getTime() + ttlMs), now)} and works once.`,
    ...(alreadyLinked ? ['', 'This chat is linked already: the code moves it to the account that enters it.'] : []),
  ].join('\n');
}

export const NOT_LINKED_MESSAGE = 'This chat is not linked to an AIDA account yet. Send /start for a link code, then enter it on the AIDA dashboard.';

export const HELP_MESSAGE = [
  'AIDA sends your notifications and alerts here.',
  '',
  '/start – a link code that connects this chat to your AIDA account',
  '/status – how current the data you can read is',
  '/help – this message',
].join('\n');

export function linkedMessage(email: string): string {
  return `This chat is now linked to the AIDA account ${email}. Your notifications will arrive here. Send /status to see how current your data is.`;
}

/** `/status`: the tables the linked user may read, oldest sync first (what is most likely stale comes first). */
export function statusMessage(email: string, tables: readonly TableFreshness[], now = new Date()): string {
  if (!tables.length) return `${email} cannot read any table yet.`;
  const sorted = [...tables].sort((a, b) => (a.lastSyncAt?.getTime() ?? 0) - (b.lastSyncAt?.getTime() ?? 0) || a.table.localeCompare(b.table));
  const lines = sorted.slice(0, STATUS_TABLES).map((t) => {
    const when = t.lastSyncAt ? `synced ${formatRelativeTime(t.lastSyncAt, now)}` : 'never synced';
    const rows = t.rows === null ? '' : `, ${formatNumber(t.rows)} rows`;
    const failed = t.status !== 'ok' && t.status !== 'never' ? ` – last sync: ${t.status}` : '';
    return `• ${t.table} (${t.source}): ${when}${rows}${failed}`;
  });
  const more = sorted.length > STATUS_TABLES ? [`…and ${sorted.length - STATUS_TABLES} more`] : [];
  return clip([`Data ${email} can read (${tables.length} ${tables.length === 1 ? 'table' : 'tables'}):`, ...lines, ...more].join('\n'), MAX_MESSAGE_CHARS);
}

/** A notification as one message: the title, a blank line, the body. */
export function notificationText(title: string, body: string): string {
  return clip(body.trim() ? `${title}\n\n${body}` : title, MAX_MESSAGE_CHARS);
}
