// The connector's engine: webhooks and jobs name issues, the queue refetches each one (one
// operation per issue at a time, several issues at once), the batcher writes what came back
// in one push per burst. Backfill, SLA poll and consistency check all go through the same
// queue, so they never race a webhook on the same issue.
import type { Logger } from 'pino';
import type { JiraApi } from '../client/types.js';
import type { StoreOp } from '../store/types.js';
import { issueRows } from '../transform/index.js';
import type { WebhookRequest } from '../webhook/payload.js';
import { IssueQueue, type IssueOp } from './issue-queue.js';
import { refetchIssue } from './refetch.js';
import { WriteBatcher, type OpOutcome } from './write-batcher.js';
import type { StoreAccess } from './store-access.js';

export interface JiraSyncOptions {
  api: JiraApi;
  store: StoreAccess;
  siteUrl: string;
  refreshFields: Readonly<Record<string, string>>;
  /** Where attachment bytes go; undefined: metadata only. */
  attachmentsDir: string | undefined;
  maxAttachmentBytes: number;
  concurrency: number;
  maxPending: number;
  batch: { maxWaitMs: number; maxOps: number };
  /** A failed refetch is retried this many times (after `retryDelayMs`, doubling) before the consistency check is left to heal it. */
  retries: number;
  retryDelayMs: number;
  logger: Logger;
}

/** Counts since start, for the jobs' outcomes and the benchmark. */
export interface SyncCounters {
  received: number;
  written: number;
  stale: number;
  deleted: number;
  notFound: number;
  failed: number;
}

export class JiraSync {
  readonly counters: SyncCounters = { received: 0, written: 0, stale: 0, deleted: 0, notFound: 0, failed: 0 };
  private readonly queue: IssueQueue;
  private readonly batcher: WriteBatcher;
  private readonly stopping = new AbortController();
  private readonly attempts = new Map<string, number>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /**
   * Each key's last write not yet committed. A key's next operation may start before it lands
   * (its refetch runs while the batch commits) because writes reach the batcher in the order the
   * queue ran them, and the batcher applies them in that order: what the key sees stays ordered,
   * and the refetch slots are not held for a whole commit (that would cap a batch at `concurrency`).
   */
  private readonly unwritten = new Map<string, Promise<unknown>>();
  /** Link and attachment events whose issues are being looked up: idle() waits for them too. */
  private readonly resolving = new Set<Promise<void>>();

  constructor(private readonly o: JiraSyncOptions) {
    this.batcher = new WriteBatcher({ apply: (ops) => o.store.apply(ops), ...o.batch });
    this.queue = new IssueQueue({
      concurrency: o.concurrency,
      maxPending: o.maxPending,
      run: (key, op) => this.run(key, op),
      onError: (key, op, e) => this.failed(key, op, e),
    });
  }

  /** A webhook's request, queued; false when the queue is full. */
  receive(request: WebhookRequest): boolean {
    this.counters.received++;
    if (request.kind === 'issue') return this.queue.enqueue(request.key, request.delete ? 'delete' : 'refetch');
    // Ends named by id (links) or not at all (attachments): resolved in the background.
    const lookup = this.resolveAndQueue(request)
      .catch((e: unknown) => this.o.logger.warn({ err: e, event: request.event }, 'could not find the issues a Jira event is about'))
      .finally(() => this.resolving.delete(lookup));
    this.resolving.add(lookup);
    return true;
  }

  /** Queues a refetch of `key` (jobs, backfill); false when the queue is full. */
  refetch(key: string): boolean {
    return this.queue.enqueue(key, 'refetch');
  }

  /** Resolves when the key's queued work is done and written. */
  async settled(key: string): Promise<void> {
    await this.queue.settled(key);
    await this.unwritten.get(key);
  }

  /** Resolves when every queued issue is written. */
  async idle(): Promise<void> {
    while (this.resolving.size) await Promise.all(this.resolving);
    await this.queue.idle();
    await this.batcher.drain();
  }

  get pending(): { pending: number; running: number } {
    return this.queue.size;
  }

  /** Stops refetching (in-flight calls are aborted) and writes what was already fetched. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('the host is stopping'));
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    await Promise.all(this.resolving);
    await this.queue.idle();
    await this.batcher.drain();
  }

  private async run(key: string, op: IssueOp): Promise<void> {
    if (this.stopping.signal.aborted) return;
    if (op === 'delete') {
      this.write(key, op, { kind: 'delete', key });
    } else {
      const doc = await refetchIssue(
        this.o.api,
        key,
        {
          attachmentsDir: this.o.attachmentsDir,
          maxAttachmentBytes: this.o.maxAttachmentBytes,
          onSkippedAttachment: (k, id, reason) => this.o.logger.info({ issue: k, attachment: id }, `attachment not downloaded: ${reason}`),
        },
        this.stopping.signal,
      );
      if (doc === null) {
        // Deleted at Jira or out of the token's reach: nothing to write. Only jira:issue_deleted deletes rows.
        this.counters.notFound++;
        this.o.logger.info({ issue: key }, 'Jira answered 404 for the issue; nothing written');
        this.attempts.delete(key);
        return;
      }
      this.write(key, op, { kind: 'upsert', key, rows: issueRows(doc, { siteUrl: this.o.siteUrl, refreshFields: this.o.refreshFields }) });
    }
  }

  /** Hands the write to the batcher without waiting for its commit; a failed commit is retried like a failed refetch. */
  private write(key: string, op: IssueOp, storeOp: StoreOp): void {
    const done = this.batcher.submit(storeOp).then(
      (outcome: OpOutcome) => {
        this.attempts.delete(key);
        this.counters[outcome]++;
      },
      (e: unknown) => this.failed(key, op, e),
    );
    this.unwritten.set(key, done);
    void done.finally(() => {
      if (this.unwritten.get(key) === done) this.unwritten.delete(key);
    });
  }

  private failed(key: string, op: IssueOp, e: unknown): void {
    if (this.stopping.signal.aborted) return;
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    if (attempt > this.o.retries) {
      this.attempts.delete(key);
      this.counters.failed++;
      this.o.logger.error({ err: e, issue: key, op, attempts: attempt }, `giving up on ${op} of ${key}; the consistency check will heal it`);
      return;
    }
    this.attempts.set(key, attempt);
    const delay = this.o.retryDelayMs * 2 ** (attempt - 1);
    this.o.logger.warn({ err: e, issue: key, op, attempt, delay_ms: delay }, `${op} of ${key} failed; retrying`);
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.queue.enqueue(key, op);
    }, delay);
    this.retryTimers.add(timer);
  }

  private async resolveAndQueue(request: Exclude<WebhookRequest, { kind: 'issue' }>): Promise<void> {
    if (request.kind === 'attachment') {
      // attachment_created comes with a jira:issue_updated that refetches the issue; a deletion is found by its stored row.
      if (!request.attachmentId) return;
      const keys = await this.o.store.issueKeysOfAttachments([request.attachmentId]);
      for (const key of keys) this.queue.enqueue(key, 'refetch');
      return;
    }
    const known = await this.o.store.issueKeysByIds(request.issueIds);
    for (const id of request.issueIds) {
      const key = known.get(id) ?? (await this.keyOf(id));
      if (key) this.queue.enqueue(key, 'refetch');
    }
  }

  /** The key of an issue known only by id (a link to an issue never stored). */
  private async keyOf(id: string): Promise<string | undefined> {
    return (await this.o.api.getIssueFields(id, ['updated'], this.stopping.signal))?.key;
  }
}
