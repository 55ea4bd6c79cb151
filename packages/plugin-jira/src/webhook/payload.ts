// What a webhook delivery asks for, read from its (already authenticated) JSON body. Only the
// event name and which issue it is about matter: the issue itself is always refetched.
import { isIssueKey } from '../transform/index.js';

/** The events the connector acts on (Jira's `webhookEvent` names). */
export const JIRA_EVENTS = [
  'jira:issue_created',
  'jira:issue_updated',
  'jira:issue_deleted',
  'comment_created',
  'comment_updated',
  'comment_deleted',
  'attachment_created',
  'attachment_deleted',
  'issuelink_created',
  'issuelink_deleted',
] as const;

export type WebhookRequest =
  /** Refetch (or, for `jira:issue_deleted` only, delete) the issue `key`. */
  | { kind: 'issue'; event: string; key: string; delete: boolean }
  /** An issue link names its two ends by numeric id only: refetch both once their keys are known. */
  | { kind: 'link'; event: string; issueIds: string[] }
  /** An attachment event names no issue: found by the stored attachment id, or by the issue_updated Jira sends with it. */
  | { kind: 'attachment'; event: string; attachmentId: string | null };

/** A body that cannot be acted on: the webhook answers 400 with `message`. */
export class PayloadProblem extends Error {}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const idText = (v: unknown): string | null =>
  (typeof v === 'number' && Number.isInteger(v) && v > 0) || (typeof v === 'string' && /^\d{1,20}$/.test(v)) ? String(v) : null;

export function readWebhook(raw: Buffer): WebhookRequest {
  if (raw.length === 0) throw new PayloadProblem('Empty payload');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new PayloadProblem('Invalid JSON payload');
  }
  const body = obj(parsed);
  if (!body || Object.keys(body).length === 0) throw new PayloadProblem('The payload is not a non-empty JSON object');
  const event = typeof body.webhookEvent === 'string' ? body.webhookEvent.slice(0, 64) : '';
  if (!event) throw new PayloadProblem('The payload has no webhookEvent');

  if (event.startsWith('issuelink_')) {
    const link = obj(body.issueLink);
    const ids = [idText(link?.sourceIssueId), idText(link?.destinationIssueId)].filter((x): x is string => x !== null);
    if (ids.length === 0) throw new PayloadProblem('Malformed or missing issue ids in issueLink');
    return { kind: 'link', event, issueIds: [...new Set(ids)] };
  }
  // An issue key wins wherever the event has one; `"issue": null` is tolerated (top-level issue_key).
  const key = obj(body.issue)?.key ?? body.issue_key;
  if (event.startsWith('attachment_') && key === undefined) return { kind: 'attachment', event, attachmentId: idText(obj(body.attachment)?.id) };
  if (!isIssueKey(key)) throw new PayloadProblem('Malformed or missing issue key');
  // Exact name only: comment_deleted or attachment_deleted must not delete the issue (upstream 0.83.88).
  return { kind: 'issue', event, key, delete: event === 'jira:issue_deleted' || event === 'issue_deleted' };
}
