// Progress for `da sync` on a terminal: a bar per file in flight and an overall one (bytes).
// Off the terminal (pipes, CI, agents, --json) nothing is drawn.
import { formatBytes } from '@aida/core/light';

export interface Progress {
  file(name: string, total: number): { update(done: number): void; stop(): void };
  /** A line above the bars (or on stderr without them). */
  log(message: string): void;
  stop(): void;
}

function quiet(stream: NodeJS.WritableStream): Progress {
  return { file: () => ({ update() {}, stop() {} }), log: (m) => void stream.write(`${m}\n`), stop() {} };
}

export async function syncProgress(enabled: boolean, stream: NodeJS.WritableStream, totalBytes: number, files: number): Promise<Progress> {
  if (!enabled || files === 0) return quiet(stream);
  const { default: cliProgress } = await import('cli-progress');
  const multi = new cliProgress.MultiBar(
    {
      stream: stream as NodeJS.WriteStream,
      clearOnComplete: false,
      hideCursor: true,
      format: ' {bar} {percentage}% | {name} | {size}',
      formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? formatBytes(v) : String(v)),
    },
    cliProgress.Presets.shades_classic,
  );
  const overall = multi.create(totalBytes, 0, { name: `all ${files} file(s)`, size: formatBytes(totalBytes) });
  let doneBytes = 0;
  return {
    file(name, total) {
      const bar = multi.create(total, 0, { name, size: formatBytes(total) });
      let last = 0;
      return {
        update(done) {
          doneBytes += done - last;
          last = done;
          bar.update(done);
          overall.update(doneBytes);
        },
        stop() {
          multi.remove(bar);
        },
      };
    },
    log(message) {
      multi.log(`${message}\n`);
    },
    stop() {
      multi.update(); // draw the final numbers before the bars freeze
      multi.stop();
    },
  };
}
