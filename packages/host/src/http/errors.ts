import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { InputError, InternalError, type AidaError, isAidaError, mountPrefix, NotFoundError, PayloadTooLargeError, RateLimitedError } from '@aida/core';
import { BadRequestError, MethodNotAllowedError } from '../errors.js';
import type { PageRender } from './router.js';

export interface ErrorBody {
  code: string;
  message: string;
  detail: unknown;
}

type Ctx = Parameters<Middleware>[0];

/**
 * The one place errors become HTTP: typed AIDA errors keep their status, code and detail;
 * anything else is a 500 whose message hides internals (the log has the stack). A browser on
 * a page path gets the same answer as an HTML page in the layout when `render` is given.
 */
export function errorMiddleware(logger: Logger, render?: PageRender): Middleware {
  const sendError = async (ctx: Ctx, status: number, body: ErrorBody): Promise<void> => {
    if (render && wantsHtml(ctx)) {
      try {
        await render(ctx, 'error.njk', {
          title: PAGE_HEADINGS[status] ?? `Error ${status}`,
          heading: PAGE_HEADINGS[status] ?? `Error ${status}`,
          status,
          message: pageMessage(ctx, status, body),
          issues: inputIssues(body.detail),
        });
        // Rendering set a 200; the page answers with the error's status.
        ctx.status = status;
        return;
      } catch (e) {
        logger.error({ err: e, request_id: ctx.state.requestId }, 'error page failed to render; answering JSON');
      }
    }
    sendJson(ctx, status, body);
  };
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        await sendError(ctx, 404, { code: NotFoundError.code, message: `No route for ${ctx.method} ${ctx.path}`, detail: null });
      }
    } catch (e) {
      if (isAidaError(e)) {
        if (e.status === 401 && wantsPage(ctx)) {
          // A browser on a page without a session is sent to sign in, not shown JSON.
          ctx.redirect(`${mountPrefix(ctx)}/login?next=${encodeURIComponent(ctx.originalUrl)}`);
          return;
        }
        if (e instanceof RateLimitedError) ctx.set('Retry-After', String(Math.ceil(e.retryAfterSeconds)));
        if (e.status >= 500) logger.error({ err: e, request_id: ctx.state.requestId }, e.message);
        await sendError(ctx, e.status, { code: e.code, message: e.message, detail: e.detail });
        return;
      }
      const bad = fromRequestError(e);
      if (bad) {
        await sendError(ctx, bad.status, bad.body);
        return;
      }
      logger.error({ err: e, request_id: ctx.state.requestId }, 'unhandled error');
      await sendError(ctx, 500, {
        code: InternalError.code,
        message: `Internal error; quote request id ${ctx.state.requestId} when reporting it`,
        detail: null,
      });
    }
  };
}

/**
 * Errors koa and its body parser throw for a bad request, as our answers: a body that is not
 * JSON is bad input like any other (400 `AIDA_INPUT_INVALID`), not an internal error. Other
 * 4xx keep the status the parser gave (415, 411, …) under `AIDA_BAD_REQUEST`.
 */
function fromRequestError(e: unknown): { status: number; body: ErrorBody } | null {
  const status = (e as { status?: unknown }).status;
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  const answer = (err: AidaError) => ({ status: err.status, body: { code: err.code, message: err.message, detail: err.detail } });
  // co-body marks a JSON.parse failure with status 400 but not `expose`.
  if (e instanceof SyntaxError && status === 400) return answer(new InputError(`The request body is not valid JSON: ${jsonProblem(e.message)}`));
  if (!(e as { expose?: unknown }).expose) return null;
  const message = (e as Error).message;
  if (status === 400) return answer(new InputError(message));
  if (status === 413) return answer(new PayloadTooLargeError(`The request body is too large (${message})`));
  return { status, body: { code: status === 405 ? MethodNotAllowedError.code : BadRequestError.code, message, detail: null } };
}

/**
 * V8's message without the body text it quotes ("Unexpected token 'x', "{…}" is not valid
 * JSON"): that text can hold a password and would reach logs and the audit trail.
 */
function jsonProblem(message: string): string {
  if (/only supports object and array/.test(message)) return 'it must be a JSON object or an array';
  return message.replace(/, (".*"|\.\.\.".*"|".*"\.\.\.) is not valid JSON$/s, '').replace(/ in JSON at position/, ' at position');
}

const PAGE_HEADINGS: Record<number, string> = {
  400: 'Please check what you entered',
  403: 'Not allowed',
  404: 'Page not found',
  409: 'That cannot be done now',
  413: 'Too large',
  429: 'Too many requests',
  500: 'Something went wrong',
  503: 'Not available right now',
};

/**
 * A browser on a page path, or a browser's HTML form posted to /auth (sign-out, setting a
 * password): the person sees a page, not JSON. API calls (/api, /webhooks, JSON to /auth)
 * always answer JSON.
 */
function wantsHtml(ctx: Ctx): boolean {
  if (ctx.accepts('json', 'html') !== 'html') return false;
  if (/^\/auth\//.test(ctx.path)) return ctx.method === 'POST' && Boolean(ctx.is('urlencoded'));
  return !/^\/(api|webhooks)(\/|$)/.test(ctx.path);
}

/** A browser navigating to a page without a session, who should be sent to sign in. */
function wantsPage(ctx: Ctx): boolean {
  return ctx.method === 'GET' && wantsHtml(ctx) && !ctx.get('authorization');
}

/** The error's message, except an unmatched path, which reads better as a sentence than as a route. */
function pageMessage(ctx: Ctx, status: number, body: ErrorBody): string {
  return status === 404 && body.code === NotFoundError.code && body.message.startsWith('No route') ? `There is no page at ${ctx.path}.` : body.message;
}

/** The per-field problems of bad input (`detail.issues`), listed under the message. */
function inputIssues(detail: unknown): { field: string; message: string }[] {
  const issues = (detail as { issues?: unknown } | null)?.issues;
  return Array.isArray(issues) ? issues.filter((i): i is { field: string; message: string } => typeof i?.message === 'string') : [];
}

function sendJson(ctx: Ctx, status: number, body: ErrorBody): void {
  ctx.status = status;
  ctx.type = 'application/json';
  ctx.body = body;
}
