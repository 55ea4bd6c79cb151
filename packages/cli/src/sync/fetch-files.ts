// The downloads of one sync, `parallel` at a time: small files with nothing to resume go
// BULK_FILES to a request (bulk-download.ts); what a bulk answer did not deliver, every file
// from a host without the bulk route and every larger file is fetched on its own
// (download.ts), with its retries. Each file is reported once, fetched or failed.
import { mapLimit } from '@aida/core/light';
import type { Api } from '../api.js';
import type { Workspace } from '../workspace.js';
import { BULK_FILES, downloadBulk } from './bulk-download.js';
import { downloadFile, partPath, SMALL_FILE, type Downloaded } from './download.js';
import type { FileJob } from './plan.js';
import type { Progress } from './progress.js';

export interface FetchOptions {
  parallel: number;
  /** Partial downloads this sync resumes (removeStaleParts). */
  resumable: ReadonlySet<string>;
  progress: Progress;
  /** The server answered a download (or one failed): the heavy modules may load now. */
  onAnswer: () => void;
  /** A file verified in its part file. */
  onFetched: (d: Downloaded) => void;
  onFailed: (job: FileJob, error: Error) => void;
}

export async function fetchFiles(api: Api, ws: Workspace, jobs: readonly FileJob[], o: FetchOptions): Promise<void> {
  const { progress } = o;
  const fetchOne = async (job: FileJob) => {
    const bar = progress.file(label(job), job.size);
    try {
      o.onFetched(
        await downloadFile(api, ws, job, {
          onAnswer: o.onAnswer,
          onBytes: (n) => bar.update(n),
          onRetry: (why) => progress.log(`warning: ${why}`),
          noPart: !o.resumable.has(partPath(ws, job)),
        }),
      );
    } catch (e) {
      o.onFailed(job, e as Error);
    } finally {
      o.onAnswer(); // a failed first download must not hold the views back
      bar.stop();
    }
  };
  let bulkRoute = true;
  const fetchBulk = async (batch: FileJob[]) => {
    const bars = new Map<FileJob, ReturnType<Progress['file']>>();
    const r = bulkRoute
      ? await downloadBulk(api, ws, batch, {
          onAnswer: o.onAnswer,
          onStart: (job) => bars.set(job, progress.file(label(job), job.size)),
          onBytes: (job, n) => bars.get(job)?.update(n),
          onEnd: (job, d) => {
            bars.get(job)?.stop();
            if (d) o.onFetched(d);
          },
        })
      : null;
    if (!r) bulkRoute = false;
    for (const job of r?.again ?? batch) await fetchOne(job);
  };
  const small = new Set(jobs.filter((j) => j.size <= SMALL_FILE && !o.resumable.has(partPath(ws, j))));
  const units = [
    ...chunk([...small], BULK_FILES).map((batch) => () => fetchBulk(batch)),
    ...jobs.filter((j) => !small.has(j)).map((job) => () => fetchOne(job)),
  ];
  await mapLimit(units, o.parallel, (unit) => unit());
}

/** A file as the progress bars name it. */
function label(job: FileJob): string {
  return job.part ? `${job.table} [${job.part}]` : job.table;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
