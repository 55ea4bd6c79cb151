import { asDate, ts, type MemoryDb, type SqlStatements } from './db.js';

/** How the extraction left a user's note: done, failed (tried again next run), or skipped (nothing to extract). */
export type NoteStatus = 'processed' | 'failed' | 'skipped';

/** The extraction's change detection: the last version of each user's note it looked at. */
export interface NoteState {
  user_id: string;
  sha256: string;
  processed_at: Date;
  status: NoteStatus;
  error: string | null;
}

/** The extraction's record of which note versions it has processed. */
export class MemoryNoteState {
  constructor(
    private readonly db: MemoryDb,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** What the extraction last recorded for `userId`'s note, if anything. */
  async noteState(userId: string): Promise<NoteState | undefined> {
    const [r] = await this.db.all('SELECT user_id, sha256, processed_at, status, error FROM memory_note_state WHERE user_id = ?', [userId]);
    if (!r) return undefined;
    return {
      user_id: String(r.user_id),
      sha256: String(r.sha256),
      processed_at: asDate(r.processed_at),
      status: String(r.status) as NoteStatus,
      error: r.error === null ? null : String(r.error),
    };
  }

  /** Records the outcome for one version of a note, replacing the previous record. */
  async markNote(userId: string, sha256: string, status: NoteStatus, error?: string): Promise<void> {
    await writeNoteState(this.db, { userId, sha256, status, error, at: this.now() });
  }
}

export interface NoteMark {
  userId: string;
  sha256: string;
  status: NoteStatus;
  error?: string;
  at: Date;
}

/** Records the outcome for one version of a note through `tx`, so it can commit with the note's items. */
export async function writeNoteState(tx: SqlStatements, m: NoteMark): Promise<void> {
  await tx.run(
    `INSERT INTO memory_note_state (user_id, sha256, processed_at, status, error) VALUES (?, ?, ?::TIMESTAMP, ?, ?)
     ON CONFLICT (user_id) DO UPDATE SET sha256 = excluded.sha256, processed_at = excluded.processed_at, status = excluded.status, error = excluded.error`,
    [m.userId, m.sha256, ts(m.at), m.status, m.error ?? null],
  );
}
