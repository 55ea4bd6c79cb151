import type { Context } from 'koa';
import { z } from 'zod';
import { body, formatDuration, isAidaError, param, type RequestUser, type RouteDefinition } from '@aida/core';
import { noticeFrom, redirectWithNotice } from '../portal/notice.js';
import { bodyFromForm, conditionText, formFromRule, ruleForm, type RuleForm } from './form.js';
import { testJson } from './routes.js';
import { historyJson, idParams, ruleJson } from './schema.js';
import type { AlertService } from './service.js';

const analyst = { role: 'analyst' } as const;
const NOTICES = { created: 'Alert rule created: it runs on its schedule.', saved: 'Alert rule saved.', deleted: 'Alert rule deleted.' };
const testForm = z.object({ deliver: z.string().optional() });
/** History entries shown under each rule; the API pages through the rest. */
const RECENT = 5;
const NEW_RULE: RuleForm = {
  name: '',
  sql: '',
  condition: 'rows > 0',
  message: '{{row_count}} rows',
  schedule: '0 * * * *',
  cooldown: '1h',
  channels: [],
  chart_type: '',
  chart_x: '',
  chart_y: '',
  enabled: 'on',
};

/** What the page shows beside the rules: the form being filled, an error, a test's outcome. */
interface PageState {
  form?: RuleForm;
  editing?: string;
  error?: string;
  test?: ReturnType<typeof testJson> & { rule_id: string };
}

/** `/alerts`: the signed-in user's alert rules, their recent history, test, create, edit, delete. */
export function alertPages(service: AlertService, channelIds: () => string[]): RouteDefinition[] {
  const render = async (ctx: Context, state: PageState) => {
    const user = ctx.state.user!;
    const rules = await service.list(user, false);
    const views = await Promise.all(
      rules.map(async (r) => ({
        ...ruleJson(r, undefined),
        condition_text: conditionText(r.condition),
        history: (await service.history(user, r.id, { limit: RECENT, offset: 0 })).items.map(historyJson),
      })),
    );
    const editing = state.editing ?? (typeof ctx.query.edit === 'string' ? ctx.query.edit : undefined);
    const edited = editing && !state.form ? rules.find((r) => r.id === editing) : undefined;
    await ctx.render('alerts.njk', {
      title: 'Alerts',
      notice: noticeFrom(ctx, NOTICES),
      rules: views,
      channels: channelIds(),
      form: state.form ?? (edited ? formFromRule(edited, formatDuration(edited.cooldownMs)) : NEW_RULE),
      editing: edited || state.form ? editing : undefined,
      error: state.error,
      test: state.test,
    });
  };
  // A refused form comes back with what was typed and why, at the status the API would answer.
  const orError = async (ctx: Context, state: PageState, work: () => Promise<void>) => {
    try {
      await work();
    } catch (e) {
      if (!isAidaError(e) || e.status >= 500) throw e;
      await render(ctx, { ...state, error: e.message });
      ctx.status = e.status;
    }
  };
  const owned = (user: RequestUser, id: string) => service.visible(user, id);

  return [
    {
      method: 'GET',
      path: '/alerts',
      access: analyst,
      summary: 'Alerts page: your alert rules with their recent runs; create, edit, test, delete',
      output: { media: ['text/html'] },
      async handler(ctx) {
        await render(ctx, {});
      },
    },
    {
      method: 'POST',
      path: '/alerts',
      access: analyst,
      summary: 'Alerts form: create a rule',
      input: { body: ruleForm, bodyTypes: ['form'] },
      output: { status: 303, description: 'Back to /alerts with a notice; the page again with the reason when refused' },
      async handler(ctx) {
        const form = body(ctx, ruleForm);
        await orError(ctx, { form }, async () => {
          await service.create(ctx.state.user!, bodyFromForm(form));
          redirectWithNotice(ctx, '/alerts', 'created');
        });
      },
    },
    {
      method: 'POST',
      path: '/alerts/:id',
      access: analyst,
      summary: 'Alerts form: save changes to a rule',
      input: { params: idParams, body: ruleForm, bodyTypes: ['form'] },
      output: {
        status: 303,
        description: 'Back to /alerts with a notice; the page again with the reason when refused',
        errors: { 404: 'No such rule of yours' },
      },
      async handler(ctx) {
        const { id } = param(ctx, idParams);
        const form = body(ctx, ruleForm);
        await owned(ctx.state.user!, id);
        await orError(ctx, { form, editing: id }, async () => {
          await service.update(ctx.state.user!, id, bodyFromForm(form));
          redirectWithNotice(ctx, '/alerts', 'saved');
        });
      },
    },
    {
      method: 'POST',
      path: '/alerts/:id/delete',
      access: analyst,
      summary: 'Alerts page: delete a rule',
      input: { params: idParams },
      output: { status: 303, description: 'Back to /alerts with a notice', errors: { 404: 'No such rule of yours' } },
      async handler(ctx) {
        await service.remove(ctx.state.user!, param(ctx, idParams).id);
        redirectWithNotice(ctx, '/alerts', 'deleted');
      },
    },
    {
      method: 'POST',
      path: '/alerts/:id/test',
      access: analyst,
      summary: 'Alerts page: run a rule now and show what it would send (and send it, with deliver)',
      input: { params: idParams, body: testForm, bodyTypes: ['form'] },
      output: { media: ['text/html'], errors: { 404: 'No such rule of yours' } },
      async handler(ctx) {
        const { id } = param(ctx, idParams);
        const deliver = body(ctx, testForm).deliver === 'true';
        await owned(ctx.state.user!, id);
        await orError(ctx, {}, async () => {
          const outcome = await service.test(ctx.state.user!, id, deliver);
          await render(ctx, { test: { ...testJson(outcome), rule_id: id } });
        });
      },
    },
  ];
}
