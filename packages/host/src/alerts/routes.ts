import { z } from 'zod';
import { body, param, query, type RouteDefinition } from '@aida/core';
import {
  AlertChannelUnknownError,
  AlertColumnUnknownError,
  AlertLimitError,
  AlertNotFoundError,
  AlertScheduleInvalidError,
  AlertTemplateInvalidError,
} from '../errors.js';
import { pagedSchema, pageFrom, pageQuery } from '../http/paging.js';
import type { Evaluation } from './run.js';
import { createBody, historyJson, historySchema, idParams, ruleJson, ruleSchema, testAnswerSchema, updateBody } from './schema.js';
import type { AlertService, TestOutcome } from './service.js';
import type { AlertRule } from './store.js';

const analyst = { role: 'analyst' } as const;
const flag = z.enum(['true', 'false']).optional();
const listQuery = z.object({ all: flag.meta({ description: "true (admins only): every user's rules, not just yours" }) });
const testQuery = z.object({ deliver: flag.meta({ description: 'true: also send it when the condition holds (recorded in history as a test)' }) });
/** The same choice in the body, for clients that post one; an empty body is a dry run. */
const testBody = z.object({ deliver: z.boolean().optional() }).strict();
const historyQuery = pageQuery({ defaultLimit: 50, maxLimit: 500 });
const saveErrors = {
  400: 'A field is invalid: bad cron, condition, template, cooldown below alerts.min_cooldown, unknown channel or column, or SQL the sandbox refuses',
  403: 'The SQL reads a table the owner may not read',
};
const SAVE_THROWS = [AlertScheduleInvalidError, AlertChannelUnknownError, AlertColumnUnknownError, AlertTemplateInvalidError];

/** The rows shown by a test: enough to see why it fired. */
const TEST_ROWS = 20;

export function testJson(o: TestOutcome) {
  const e: Evaluation = o.evaluation;
  return {
    condition_met: e.met,
    row_count: e.rows.length,
    truncated: e.truncated,
    columns: e.columns,
    rows: e.rows.slice(0, TEST_ROWS),
    title: e.title,
    message: e.message,
    chart: e.chart ? { bytes: e.chart.byteLength } : null,
    chart_error: e.chartError,
    delivered: o.delivered ? { notification_id: o.delivered.notificationId, deliveries: o.delivered.deliveries } : null,
  };
}

/** `/api/alerts`: an analyst's rules on data (docs/notifications.md, Alerts). */
export function alertRoutes(service: AlertService): RouteDefinition[] {
  const json = (r: AlertRule) => ruleJson(r, service.ownerEmail(r));
  return [
    {
      method: 'POST',
      path: '/api/alerts',
      access: analyst,
      summary: 'Create an alert rule: SQL run on a schedule as you, a condition, and the message it sends you',
      input: { body: createBody },
      output: {
        status: 201,
        body: ruleSchema,
        errors: { ...saveErrors, 409: 'You already have alerts.max_rules_per_user rules' },
        throws: [...SAVE_THROWS, AlertLimitError],
      },
      async handler(ctx) {
        const rule = await service.create(ctx.state.user!, body(ctx, createBody));
        ctx.status = 201;
        ctx.body = json(rule);
      },
    },
    {
      method: 'GET',
      path: '/api/alerts',
      access: analyst,
      summary: "Your alert rules, by name (an admin may ask for everyone's with all=true)",
      input: { query: listQuery },
      output: { body: z.object({ alerts: z.array(ruleSchema) }), errors: { 403: 'all=true from someone who is not an admin' } },
      async handler(ctx) {
        const q = query(ctx, listQuery);
        ctx.body = { alerts: (await service.list(ctx.state.user!, q.all === 'true')).map(json) };
      },
    },
    {
      method: 'GET',
      path: '/api/alerts/:id',
      access: analyst,
      summary: 'One of your alert rules (any, for an admin)',
      input: { params: idParams },
      output: { body: ruleSchema, throws: [AlertNotFoundError] },
      async handler(ctx) {
        ctx.body = json(await service.visible(ctx.state.user!, param(ctx, idParams).id));
      },
    },
    {
      method: 'PUT',
      path: '/api/alerts/:id',
      access: analyst,
      summary: 'Change an alert rule: the fields sent replace theirs; it is checked again as its owner would run it',
      input: { params: idParams, body: updateBody },
      output: { body: ruleSchema, errors: saveErrors, throws: [...SAVE_THROWS, AlertNotFoundError] },
      async handler(ctx) {
        ctx.body = json(await service.update(ctx.state.user!, param(ctx, idParams).id, body(ctx, updateBody)));
      },
    },
    {
      method: 'DELETE',
      path: '/api/alerts/:id',
      access: analyst,
      summary: 'Delete an alert rule, its schedule and its history (the notifications it sent stay)',
      input: { params: idParams },
      output: { status: 204, throws: [AlertNotFoundError] },
      async handler(ctx) {
        await service.remove(ctx.state.user!, param(ctx, idParams).id);
        ctx.status = 204;
      },
    },
    {
      method: 'POST',
      path: '/api/alerts/:id/test',
      access: analyst,
      summary: 'Run an alert rule now and see what it would send; with deliver=true, send it too',
      input: { params: idParams, query: testQuery, body: testBody },
      output: {
        body: testAnswerSchema,
        errors: { 400: 'The SQL no longer runs', 403: 'The owner can no longer read a table it reads, or is deactivated' },
        throws: [AlertNotFoundError],
      },
      async handler(ctx) {
        const deliver = query(ctx, testQuery).deliver === 'true' || body(ctx, testBody).deliver === true;
        ctx.body = testJson(await service.test(ctx.state.user!, param(ctx, idParams).id, deliver));
      },
    },
    {
      method: 'GET',
      path: '/api/alerts/:id/history',
      access: analyst,
      summary: "An alert rule's runs that fired, were held back by the cooldown, or failed; newest first",
      input: { params: idParams, query: historyQuery },
      output: { body: pagedSchema('history', historySchema), throws: [AlertNotFoundError] },
      async handler(ctx) {
        const page = query(ctx, historyQuery);
        const { items, total } = await service.history(ctx.state.user!, param(ctx, idParams).id, page);
        ctx.body = pageFrom('history', items.map(historyJson), total, page);
      },
    },
  ];
}
