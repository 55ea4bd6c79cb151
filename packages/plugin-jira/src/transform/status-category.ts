// Jira names a status category in the site's language ("Fertig", "Terminé"), but its `key` is
// fixed: new, indeterminate, done. The stored category is the English name chosen by key, so
// `status_category != 'Done'` (the SLA poll, analysts' queries) holds on every site.
import { textAt } from './json.js';

const BY_KEY: Readonly<Record<string, string>> = { new: 'To Do', indeterminate: 'In Progress', done: 'Done' };

/** The category of `status` (an issue's `fields.status`): by its key, else its name as Jira gave it. */
export function statusCategory(status: unknown): string | null {
  const key = textAt(status, 'statusCategory', 'key');
  return (key !== null ? BY_KEY[key] : undefined) ?? textAt(status, 'statusCategory', 'name');
}
