// Questions for people at a terminal. Without one (scripts, agents, CI) `da` never waits for
// an answer: it fails at once with a usage error that names the flag or variable to use.
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { usageError } from './errors.js';

export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

export async function ask(question: string, o: { hidden?: boolean; instead: string }): Promise<string> {
  if (!canPrompt()) throw usageError(`${question.replace(/:\s*$/, '')} is needed and there is no terminal to ask on`, o.instead);
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    return await new Promise<string>((resolve) => {
      rl.question(question, (answer) => resolve(answer.trim()));
      muted = Boolean(o.hidden);
    });
  } finally {
    rl.close();
    if (o.hidden) process.stderr.write('\n');
  }
}

/** Everything on stdin (for --password-stdin and `da query -`). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}
