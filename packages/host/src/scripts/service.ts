// Scripts as the routes and the scheduler use them: deploy (checked in the sandbox, scheduled
// as an Agenda job), run (in the sandbox, with the owner's permissions at run time), deliver
// what a run says to the owner's channels, and record every run.
import type { Logger } from 'pino';
import { InputError, NotAllowedError, RateLimitedError, type NotificationChart } from '@aida/core';
import { ScriptInvalidError, ScriptNotFoundError, ScriptsBusyError } from '../errors.js';
import type { UsersRepository } from '../identity/users.js';
import type { JobScheduler } from '../jobs/scheduler.js';
import { ConcurrencyLimiter } from '../data/query/limiter.js';
import { renderChartPng } from '../notifications/chart.js';
import type { NotificationHub } from '../notifications/hub.js';
import type { OwnerQueries } from '../notifications/owner-query.js';
import { readResult } from './result.js';
import type { RunStatus, ScriptSandbox } from './sandbox.js';
import type { ScriptInput, ScriptRunRecord, ScriptStore, StoredScript } from './store.js';

/** The recurring job of scheduled scripts, one per script (keyed by `script_id`). */
export const SCRIPT_JOB = 'aida:script';

export interface ScriptsLimits {
  timeoutMs: number;
  maxRows: number;
  maxConcurrent: number;
}

/** What one run did, as the API answers it. */
export interface RunResult {
  status: RunStatus;
  message?: string;
  line?: number;
  chart?: { type: 'line' | 'bar'; x: string; y: string; title?: string; url?: string };
  logs: string[];
  duration_ms: number;
  queries: number;
  /** The notification the run sent, with what each channel did. */
  notification?: { id: string; deliveries: Record<string, { status: string; detail?: string }> };
}

interface Deps {
  store: ScriptStore;
  sandbox: ScriptSandbox;
  hub: NotificationHub;
  owners: OwnerQueries;
  users: UsersRepository;
  jobs: () => JobScheduler | undefined;
  limits: ScriptsLimits;
  logger: Logger;
}

export class ScriptService {
  private readonly slots: ConcurrencyLimiter;

  constructor(private readonly d: Deps) {
    // A run waiting for a slot waits at most as long as two runs take.
    this.slots = new ConcurrencyLimiter(d.limits.maxConcurrent, d.limits.maxConcurrent * 8, d.limits.timeoutMs * 2);
  }

  list(): Promise<StoredScript[]> {
    return this.d.store.list();
  }

  async require(id: string): Promise<StoredScript> {
    const script = await this.d.store.get(id);
    if (!script) throw new ScriptNotFoundError(`No script ${id}; GET /api/scripts lists them`);
    return script;
  }

  /** Checks everything about a script before it is stored; throws the first problem. */
  async validate(input: ScriptInput): Promise<void> {
    const owner = this.d.users.get(input.ownerId);
    if (!owner?.active) throw new InputError(`The owner ${input.ownerId} is not an active user`, { field: 'owner' });
    if (input.schedule !== null) this.d.jobs()?.validateSchedule(SCRIPT_JOB, input.schedule);
    if (input.channels) {
      const known = this.d.hub.channelIds();
      const unknown = input.channels.filter((c) => !known.includes(c));
      if (unknown.length) {
        throw new InputError(`No notification channel ${unknown.join(', ')}; registered: ${known.join(', ') || 'none'}`, { field: 'channels' });
      }
    }
    const checked = await this.d.sandbox.check(input.source);
    if (!checked.ok) {
      const where = checked.line ? `line ${checked.line}: ` : '';
      throw new ScriptInvalidError(`The script does not compile: ${where}${checked.message}`, {
        field: 'source',
        detail: checked.line ? { line: checked.line } : {},
      });
    }
  }

  async deploy(input: ScriptInput, by: string): Promise<{ script: StoredScript; created: boolean }> {
    await this.validate(input);
    const deployed = await this.d.store.deploy({ ...input, by });
    await this.schedule(deployed.script);
    return deployed;
  }

  async remove(id: string): Promise<void> {
    await this.require(id);
    await this.d.jobs()?.cancelEvery(SCRIPT_JOB, { script_id: id });
    await this.d.store.delete(id);
  }

  runs(id: string, page: { limit: number; offset: number }): Promise<{ items: ScriptRunRecord[]; total: number }> {
    return this.d.store.runs(id, page);
  }

  lastRuns(): Promise<Map<string, ScriptRunRecord>> {
    return this.d.store.lastRuns();
  }

  /** Runs a stored script, delivers what it says and records the run. */
  async runStored(script: StoredScript, trigger: 'manual' | 'schedule', signal?: AbortSignal): Promise<RunResult> {
    const startedAt = new Date();
    const result = await this.execute(
      { source: script.source, params: script.params, ownerId: script.ownerId, name: script.name, channels: script.channels, origin: `script:${script.id}` },
      true,
      signal,
    );
    await this.d.store.recordRun({
      scriptId: script.id,
      trigger,
      status: result.status,
      message: result.message ?? null,
      line: result.line ?? null,
      logs: result.logs,
      queries: result.queries,
      durationMs: result.duration_ms,
      notificationId: result.notification?.id ?? null,
      startedAt,
    });
    return result;
  }

  /** Runs source that is not stored, as `ownerId`; delivers only when asked to. */
  runAdHoc(input: { source: string; params: Record<string, unknown>; ownerId: string; deliver: boolean; channels: string[] | null }): Promise<RunResult> {
    if (!this.d.users.get(input.ownerId)?.active) throw new InputError(`The owner ${input.ownerId} is not an active user`, { field: 'owner' });
    return this.execute({ ...input, name: 'Ad hoc script', origin: 'script:adhoc' }, input.deliver);
  }

  /** The scheduled job: a failed run is reported to the owner and fails the job. */
  async runScheduled(scriptId: string, signal: AbortSignal): Promise<void> {
    const script = await this.d.store.get(scriptId);
    if (!script) {
      await this.d.jobs()?.cancelEvery(SCRIPT_JOB, { script_id: scriptId });
      return;
    }
    const result = await this.runStored(script, 'schedule', signal);
    if (result.status === 'ok') return;
    const why = `${result.status}: ${result.message ?? 'no message'}`;
    await this.d.hub
      .send({
        userId: script.ownerId,
        title: `Script ${script.name} failed`,
        body: why,
        origin: `script:${script.id}`,
        ...(script.channels ? { channels: script.channels } : {}),
      })
      .catch((e: unknown) => this.d.logger.warn({ err: e, script: script.id }, 'telling the owner a script failed did not work'));
    throw new Error(`script ${script.name} ${why}`);
  }

  /** Keeps one recurring run per scheduled script and drops those of scripts gone or unscheduled. */
  async reconcile(): Promise<void> {
    const jobs = this.d.jobs();
    if (!jobs) return;
    const scripts = await this.d.store.list();
    const scheduled = new Set(scripts.filter((s) => s.schedule).map((s) => s.id));
    for (const data of await jobs.recurringSchedules(SCRIPT_JOB)) {
      const id = typeof data.script_id === 'string' ? data.script_id : undefined;
      if (id && !scheduled.has(id)) await jobs.cancelEvery(SCRIPT_JOB, { script_id: id });
    }
    for (const s of scripts) await this.schedule(s);
  }

  private async schedule(script: StoredScript): Promise<void> {
    const jobs = this.d.jobs();
    if (!jobs) return;
    if (!script.schedule) await jobs.cancelEvery(SCRIPT_JOB, { script_id: script.id });
    else await jobs.every(SCRIPT_JOB, script.schedule, { script_id: script.id }, { script_id: script.id });
  }

  private async execute(
    s: { source: string; params: Record<string, unknown>; ownerId: string; name: string; channels: string[] | null; origin: string },
    deliver: boolean,
    signal?: AbortSignal,
  ): Promise<RunResult> {
    const release = await this.slots.acquire().catch((e: unknown) => {
      if (e instanceof RateLimitedError) {
        throw new ScriptsBusyError(`${this.d.limits.maxConcurrent} scripts are running and others wait; retry in a moment`, 5, { cause: e });
      }
      throw e;
    });
    let run;
    try {
      run = await this.d.sandbox.run(
        s.source,
        s.params,
        (sql, querySignal) => this.d.owners.rows(s.ownerId, sql, { limit: this.d.limits.maxRows, signal: querySignal }),
        signal,
      );
    } finally {
      release();
    }
    const base = { logs: run.logs, duration_ms: run.durationMs, queries: run.queries };
    if (run.status !== 'ok') return { status: run.status, ...base, ...(run.message ? { message: run.message } : {}), ...(run.line ? { line: run.line } : {}) };
    const read = readResult(run.value);
    if (!read.ok) return { status: 'error', message: read.reason, ...base };
    if (!read.message) return { status: 'ok', ...base };
    const { message, title, chart } = read.message;
    let png: NotificationChart | undefined;
    if (chart) {
      try {
        png = {
          png: await renderChartPng({ ...chart.spec, title: chart.spec.title ?? title ?? s.name }, chart.data),
          alt: `${chart.spec.type} chart of ${chart.spec.y} by ${chart.spec.x}`,
        };
      } catch (e) {
        return { status: 'error', message: `the chart cannot be drawn: ${e instanceof Error ? e.message : String(e)}`, ...base };
      }
    }
    const chartInfo = chart ? { ...chart.spec } : undefined;
    if (!deliver) return { status: 'ok', message, ...(chartInfo ? { chart: chartInfo } : {}), ...base };
    try {
      const sent = await this.d.hub.send({
        userId: s.ownerId,
        title: title ?? s.name,
        body: message,
        origin: s.origin,
        ...(png ? { chart: png } : {}),
        ...(s.channels ? { channels: s.channels } : {}),
      });
      const url = sent.notification.chartUrl;
      return {
        status: 'ok',
        message,
        ...(chartInfo ? { chart: { ...chartInfo, ...(url ? { url } : {}) } } : {}),
        ...base,
        notification: { id: sent.notification.id, deliveries: sent.deliveries },
      };
    } catch (e) {
      if (e instanceof NotAllowedError) return { status: 'error', message: e.message, ...base };
      throw e;
    }
  }
}
