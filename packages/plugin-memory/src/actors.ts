import type { UserDirectory } from '@aida/core';

/** An audit row's actor, named for people. */
export interface NamedActor {
  /** The user's name, else their email; the stored id when the user no longer exists. */
  name: string;
  /** The user is gone (deleted): `name` is the id the audit kept. */
  gone: boolean;
}

/**
 * Names for the actors of audit rows, in one directory call. The audit keeps user ids (a user
 * may be renamed or deleted after acting); people read names. The system (null) has no entry.
 */
export async function actorNames(users: UserDirectory, entries: readonly { actor_id: string | null }[]): Promise<Map<string, NamedActor>> {
  const ids = [...new Set(entries.flatMap((e) => (e.actor_id === null ? [] : [e.actor_id])))];
  if (!ids.length) return new Map();
  const found = await users.findByIds(ids);
  return new Map(
    ids.map((id) => {
      const u = found.get(id);
      return [id, u ? { name: u.name ?? u.email, gone: false } : { name: id, gone: true }];
    }),
  );
}

/** Audit rows with `actor_name` beside `actor_id` (null for the system), as the API answers them. */
export async function withActorNames<T extends { actor_id: string | null }>(
  users: UserDirectory,
  entries: readonly T[],
): Promise<(T & { actor_name: string | null })[]> {
  const names = await actorNames(users, entries);
  return entries.map((e) => ({ ...e, actor_name: e.actor_id === null ? null : (names.get(e.actor_id)?.name ?? e.actor_id) }));
}
