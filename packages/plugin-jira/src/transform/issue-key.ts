// The one shape an issue key may have before it reaches a path, a lock name or a row
// (upstream connectors/jira/validation.py).

export const ISSUE_KEY = /^[A-Z][A-Z0-9]{0,31}-[0-9]{1,12}$/;

/** True for a Jira issue key such as `OPS-12`. */
export function isIssueKey(value: unknown): value is string {
  return typeof value === 'string' && ISSUE_KEY.test(value);
}
