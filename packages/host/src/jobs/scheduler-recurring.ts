/**
 * Bookkeeping of recurring jobs: storing `every()` schedules (one row per name, or one per
 * unique key), converging on one row when instances race, dropping schedules that were
 * removed from config, and the marker that tells a recurring row from a one-off run.
 */
import { isDeepStrictEqual } from 'node:util';
import { Job, type Agenda, type JobParameters } from 'agenda';
import type pino from 'pino';

/**
 * Marks the rows `every(…, uniqueKey)` creates, so that a one-off run queued with the same
 * data (`now('keboola:sync', { source })`) is never mistaken for the recurring job.
 * Stripped from the data handlers see.
 */
const RECURRING_MARK = '_aidaRecurring';

/** The stored recurring jobs of one scheduler. */
export class RecurringJobs {
  /** Names given to `every()` without a unique key in this process (see `dropStaleSchedules`). */
  private readonly declaredSingles = new Set<string>();

  constructor(
    private readonly agenda: Agenda,
    private readonly log: pino.Logger,
  ) {}

  /** One recurring job per name (Agenda's `single` type); `interval` as Agenda stores it. */
  async everySingle(name: string, interval: string, data: Record<string, unknown>): Promise<void> {
    this.declaredSingles.add(name);
    const job = this.agenda.create(name, data);
    job.attrs.type = 'single';
    job.repeatEvery(interval);
    await job.save();
    await this.dedupe(name, (j) => j.type === 'single');
  }

  /** One recurring job per distinct `uniqueKey` (fields of `data`). */
  async everyUnique(name: string, interval: string, data: Record<string, unknown>, uniqueKey: Record<string, unknown>): Promise<void> {
    const keyFields = Object.fromEntries(Object.entries(uniqueKey).map(([k, v]) => [k.replace(/^data\./, ''), v]));
    const fullData: Record<string, unknown> = { ...data, ...keyFields, [RECURRING_MARK]: true };
    const unique = Object.fromEntries(Object.keys({ ...keyFields, [RECURRING_MARK]: true }).map((k) => [`data.${k}`, fullData[k]]));

    // insertOnly: an existing row keeps its nextRunAt (no immediate re-run on every restart) …
    const job = this.agenda.create(name, fullData);
    job.unique(unique, { insertOnly: true });
    job.repeatEvery(interval);
    await job.save();
    // … and a changed schedule or data is then applied to it explicitly.
    const stored = job.attrs._id ? await this.agenda.db.getJobById(String(job.attrs._id)) : null;
    if (stored && (String(stored.repeatInterval) !== interval || !isDeepStrictEqual(stored.data, fullData))) {
      const update = new Job(this.agenda, { ...stored, data: fullData });
      update.repeatEvery(interval);
      await update.save();
    }
    await this.dedupe(name, (j) => j.repeatInterval !== undefined && matchesKey(j.data, fullData, Object.keys(unique)));
  }

  /** Data of the recurring rows of `name` that were created with a unique key (marker stripped). */
  async uniqueSchedules(name: string): Promise<Record<string, unknown>[]> {
    const { jobs } = await this.agenda.queryJobs({ name });
    return jobs.filter((j) => j.repeatInterval !== undefined && isRecurringRow(j.data)).map((j) => handlerData(j.data));
  }

  /** Stops the recurring row of `name` whose data matches `uniqueKey`; one-off runs stay. */
  async cancelUnique(name: string, uniqueKey: Record<string, unknown>): Promise<number> {
    const { jobs } = await this.agenda.queryJobs({ name });
    const ids = jobs
      .filter(
        (j) =>
          j.repeatInterval !== undefined &&
          isRecurringRow(j.data) &&
          Object.entries(uniqueKey).every(([k, v]) => isDeepStrictEqual((j.data as Record<string, unknown>)[k], v)),
      )
      .map((j) => j._id);
    if (ids.length) await this.agenda.cancel({ ids });
    return ids.length;
  }

  /** A job whose configured schedule was removed must stop recurring; its one-off runs stay. */
  async dropStaleSchedules(name: string): Promise<void> {
    if (this.declaredSingles.has(name)) return;
    const { jobs } = await this.agenda.queryJobs({ name });
    const stale = jobs.filter((j) => j.type === 'single').map((j) => j._id);
    if (stale.length === 0) return;
    await this.agenda.cancel({ ids: stale });
    this.log.info({ job: name }, 'removed the schedule of a job that no longer has one');
  }

  /**
   * Backends upsert with a read-then-write (redis, and every backend for unique keys), so
   * two instances declaring the same recurring job at the same moment can both insert.
   * Each keeps the row with the smallest id and removes the rest, so they converge on one.
   */
  private async dedupe(name: string, same: (job: JobParameters) => boolean): Promise<void> {
    const { jobs } = await this.agenda.queryJobs({ name });
    const copies = jobs.filter(same).sort((a, b) => String(a._id).localeCompare(String(b._id)));
    if (copies.length < 2) return;
    const extra = copies.slice(1).map((j) => j._id);
    await this.agenda.cancel({ ids: extra });
    this.log.warn({ job: name, removed: extra.length }, 'removed duplicate recurring job rows');
  }
}

function isRecurringRow(data: unknown): boolean {
  return Boolean(data && typeof data === 'object' && (data as Record<string, unknown>)[RECURRING_MARK]);
}

/** The data a handler sees: the stored object without the scheduler's marker. */
export function handlerData(data: unknown): Record<string, unknown> {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return {};
  const { [RECURRING_MARK]: _mark, ...rest } = data as Record<string, unknown>;
  return rest;
}

function matchesKey(data: unknown, expected: Record<string, unknown>, uniquePaths: string[]): boolean {
  if (!data || typeof data !== 'object') return false;
  const d = data as Record<string, unknown>;
  return uniquePaths.every((p) => isDeepStrictEqual(d[p.slice('data.'.length)], expected[p.slice('data.'.length)]));
}
