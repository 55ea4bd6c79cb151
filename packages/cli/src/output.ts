// How `da` talks back: with --json every command prints one JSON document on stdout (errors
// too) and nothing else there; otherwise people get readable text. Chatter goes to stderr.
import { CliError } from './errors.js';

export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; rows?: number } = process.stdout,
    private readonly stderr: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
  ) {}

  /** Whether live progress can be drawn (a terminal, and not --json). */
  get interactive(): boolean {
    return !this.json && Boolean(this.stderr.isTTY);
  }

  /**
   * The height of the terminal that results are printed on (0 when it does not say);
   * undefined when they go to a pipe or a file, or with --json.
   */
  get screenRows(): number | undefined {
    return !this.json && this.stdout.isTTY ? (this.stdout.rows ?? 0) : undefined;
  }

  get errStream(): NodeJS.WritableStream {
    return this.stderr;
  }

  /** The command's result: the JSON document, or its human rendering. */
  result(data: unknown, human: () => string): void {
    const text = this.json ? JSON.stringify(data, jsonReplacer, 2) : human();
    if (text) this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Raw text on stdout (query results already formatted as CSV or JSON). */
  raw(text: string): void {
    this.stdout.write(text);
  }

  /** Progress and notes for people; silent with --json. */
  info(message: string): void {
    if (!this.json) this.stderr.write(`${message}\n`);
  }

  warn(message: string): void {
    this.stderr.write(`warning: ${message}\n`);
  }

  /** Something agents should know as much as people (stderr, with --json too). */
  note(message: string): void {
    this.stderr.write(`note: ${message}\n`);
  }

  error(e: CliError | Error): void {
    if (this.json) {
      this.stdout.write(`${JSON.stringify({ error: errorBody(e) })}\n`);
      return;
    }
    const hint = e instanceof CliError && e.details.hint ? `\n  hint: ${e.details.hint}` : '';
    this.stderr.write(`error: ${e.message}${hint}\n`);
  }
}

/** What `{"error": …}` holds: kind, message, and status, code, hint and the server's detail when known. */
export function errorBody(e: CliError | Error): { kind: string; message: string; status?: number; code?: string; hint?: string; detail?: unknown } {
  if (!(e instanceof CliError)) return { kind: 'crash', message: e.message };
  const { reported: _reported, ...details } = e.details;
  return { kind: e.kind, message: e.message, ...details };
}

/** BIGINTs become numbers when they fit and decimal strings otherwise. */
export function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  return v;
}
