// POST /webhooks/jira: authenticate the raw bytes, read what the event is about, queue the
// work and answer at once. The order of answers is the upstream's (fail closed): 503 without a
// secret, 401 for a bad or missing signature (even on an empty body), 400 for a body that names
// no issue, 200 once queued. The refetch runs behind the queue, so a Jira 429 never holds a
// delivery open.
import { readRawBody, UnavailableError, type RouteDefinition } from '@aida/core';
import { z } from 'zod';
import { JiraWebhookNotConfiguredError, JiraWebhookPayloadError, JiraWebhookSignatureError } from '../errors.js';
import { PayloadProblem, readWebhook, type WebhookRequest } from './payload.js';
import { validSignature } from './signature.js';

export interface WebhookRouteOptions {
  /** The shared secret; undefined or empty: every delivery is refused with 503. */
  secret: string | undefined;
  maxBodyBytes: number;
  /** Queues the work; false when the queue is full (503, Jira delivers again later). */
  accept: (request: WebhookRequest) => boolean;
}

const answer = z.object({
  status: z.literal('ok'),
  event: z.string(),
  issue: z.string().nullable().describe('The issue key the event named; null for link and attachment events, which name issues by id'),
});

export function webhookRoute(o: WebhookRouteOptions): RouteDefinition {
  return {
    method: 'POST',
    path: '/webhooks/jira',
    access: 'public',
    summary: 'Receive a Jira Cloud webhook (HMAC-SHA256 of the raw body in X-Hub-Signature-256 or X-Hub-Signature)',
    tags: ['webhooks'],
    input: { file: 'The webhook JSON exactly as Jira sent it (the signature covers these bytes)' },
    output: {
      body: answer,
      description: 'Queued: the issue is refetched and its rows rewritten shortly',
      throws: [JiraWebhookNotConfiguredError, JiraWebhookSignatureError, JiraWebhookPayloadError],
      errors: {
        400: 'Empty body, invalid JSON, or no valid issue key',
        401: 'Missing or invalid signature',
        413: 'Body larger than webhook.max_body',
        503: 'No webhook secret is configured, or the queue is full',
      },
    },
    async handler(ctx) {
      if (!o.secret) throw new JiraWebhookNotConfiguredError('Webhook secret not configured: set the variable named by webhook_secret_env');
      const raw = await readRawBody(ctx, o.maxBodyBytes);
      if (!validSignature(raw, ctx.headers, o.secret)) throw new JiraWebhookSignatureError('Invalid signature');
      let request: WebhookRequest;
      try {
        request = readWebhook(raw);
      } catch (e) {
        if (e instanceof PayloadProblem) throw new JiraWebhookPayloadError(e.message);
        throw e;
      }
      if (!o.accept(request)) {
        ctx.set('Retry-After', '30');
        throw new UnavailableError('Too many issues are waiting to be refetched; deliver again later');
      }
      ctx.body = { status: 'ok', event: request.event, issue: request.kind === 'issue' ? request.key : null };
    },
  };
}
