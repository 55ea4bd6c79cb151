// The fixed vocabulary of a Jira Cloud site as a new site has it: status categories (To Do 2,
// In Progress 4, Done 3), priorities Highest…Lowest (1–5), resolutions, issue types and the four
// default issue link types Blocks / Cloners / Duplicate / Relates
// (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-link-types/).
// Names the test invents get stable ids of their own.
import type { FakeUser, StatusCategoryKey, StoredStatus } from './fake-model.js';

export const STATUS_CATEGORIES: Record<StatusCategoryKey, { id: number; key: StatusCategoryKey; colorName: string; name: string }> = {
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
};

export interface LinkType {
  id: string;
  name: string;
  inward: string;
  outward: string;
}

const LINK_TYPES: LinkType[] = [
  { id: '10000', name: 'Blocks', inward: 'is blocked by', outward: 'blocks' },
  { id: '10001', name: 'Cloners', inward: 'is cloned by', outward: 'clones' },
  { id: '10002', name: 'Duplicate', inward: 'is duplicated by', outward: 'duplicates' },
  { id: '10003', name: 'Relates', inward: 'relates to', outward: 'relates to' },
];

const SEED_IDS: Record<'priority' | 'resolution' | 'issuetype' | 'status', Record<string, string>> = {
  priority: { Highest: '1', High: '2', Medium: '3', Low: '4', Lowest: '5' },
  resolution: { Done: '10000', "Won't Do": '10001', Duplicate: '10002', 'Cannot Reproduce': '10003' },
  issuetype: { Epic: '10000', Task: '10001', Subtask: '10002', Story: '10003', Bug: '10004', '[System] Service request': '10005' },
  status: { 'To Do': '10000', 'In Progress': '3', Done: '10001' },
};

/** People the fake uses when a test names none. */
export const FAKE_USERS = {
  reporter: {
    accountId: '712020:5d4f7a53-8b6e-4a8f-9d2e-1c3b5a7e9f01',
    displayName: 'Casey Customer',
    emailAddress: 'casey@example.com',
    timeZone: 'Europe/Prague',
  },
  agent: { accountId: '712020:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', displayName: 'Alex Agent', emailAddress: 'alex@example.com', timeZone: 'Europe/Prague' },
} satisfies Record<string, FakeUser>;

export const DEFAULT_STATUS: StoredStatus = { id: '10000', name: 'To Do', category: 'new' };

/** Ids of named things, the site defaults first, then stable new ids for invented names. */
export class Catalog {
  private readonly ids = new Map<string, string>();
  private next = 20000;
  private readonly linkTypes = new Map(LINK_TYPES.map((t) => [t.name.toLowerCase(), t]));

  idOf(kind: keyof typeof SEED_IDS, name: string): string {
    const seeded = SEED_IDS[kind][name];
    if (seeded) return seeded;
    const k = `${kind}:${name}`;
    let id = this.ids.get(k);
    if (!id) this.ids.set(k, (id = String(this.next++)));
    return id;
  }

  /** Statuses the site knows by lower-cased name (JQL rejects others). */
  readonly statuses = new Map<string, StoredStatus>([
    ['to do', DEFAULT_STATUS],
    ['in progress', { id: '3', name: 'In Progress', category: 'indeterminate' }],
    ['done', { id: '10001', name: 'Done', category: 'done' }],
  ]);

  status(name: string, category: StatusCategoryKey, id?: string): StoredStatus {
    const s = { id: id ?? this.idOf('status', name), name, category };
    this.statuses.set(name.toLowerCase(), s);
    return s;
  }

  linkType(name = 'Relates'): LinkType {
    let t = this.linkTypes.get(name.toLowerCase());
    if (!t) {
      t = { id: this.idOf('status', `link:${name}`), name, inward: name.toLowerCase(), outward: name.toLowerCase() };
      this.linkTypes.set(name.toLowerCase(), t);
    }
    return t;
  }
}
