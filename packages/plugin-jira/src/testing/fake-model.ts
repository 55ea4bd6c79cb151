// The fake Jira's data model: what a test gives (`*Spec`) and what the store keeps (`Stored*`).
// Field names follow the Jira Cloud REST API v3 issue shape
// (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-get);
// descriptions and comment bodies are Atlassian Document Format
// (https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/).

/** An Atlassian Document Format node. */
export interface AdfNode {
  type: string;
  text?: string;
  attrs?: Record<string, unknown>;
  marks?: { type: string; attrs?: Record<string, unknown> }[];
  content?: AdfNode[];
}

/** An ADF document, the body of a v3 description or comment. */
export interface AdfDoc extends AdfNode {
  type: 'doc';
  version: 1;
  content: AdfNode[];
}

/** Jira's three fixed status categories (ids 2, 4 and 3 in every Cloud site). */
export type StatusCategoryKey = 'new' | 'indeterminate' | 'done';

/** A time as a test gives it: ISO-8601 text, a Date or epoch milliseconds. */
export type TimeInput = string | number | Date;

export interface FakeUser {
  accountId: string;
  displayName: string;
  emailAddress?: string;
  timeZone?: string;
  active?: boolean;
}

export interface FakeStatusSpec {
  name: string;
  category: StatusCategoryKey;
  id?: string;
}

export interface FakeCommentSpec {
  id?: string;
  /** ADF, or plain text turned into one paragraph per line. */
  body?: AdfDoc | string;
  author?: FakeUser;
  updateAuthor?: FakeUser;
  created?: TimeInput;
  updated?: TimeInput;
  /** Jira Service Management: whether the customer sees the comment (false = internal note). */
  jsdPublic?: boolean;
}

export interface FakeAttachmentSpec {
  id?: string;
  filename: string;
  mimeType?: string;
  /** The bytes served at the attachment's `content` URL. */
  content: Buffer | string;
  author?: FakeUser;
  created?: TimeInput;
}

/** One link of this issue. `outward`: this issue → `key` ("SUP-1 blocks SUP-2"); `inward`: `key` → this issue. */
export interface FakeLinkSpec {
  direction: 'outward' | 'inward';
  key: string;
  /** A Jira default link type name (Blocks, Cloners, Duplicate, Relates) or any other name. */
  type?: string;
  id?: string;
  /** Shown for a linked issue that is not in the store (another site's project the test does not model). */
  summary?: string;
  status?: FakeStatusSpec;
}

export interface FakeChangeItem {
  field: string;
  fieldtype?: string;
  fieldId?: string;
  from?: string | null;
  fromString?: string | null;
  to?: string | null;
  toString?: string | null;
}

export interface FakeHistorySpec {
  id?: string;
  author?: FakeUser;
  created?: TimeInput;
  items: FakeChangeItem[];
}

export interface FakeRemoteLinkSpec {
  id?: number;
  globalId?: string;
  url: string;
  title: string;
  summary?: string;
  relationship?: string;
  application?: { type?: string; name?: string };
  resolved?: boolean;
}

/** An issue as a test describes it; the project is the key's prefix. */
export interface FakeIssueSpec {
  key: string;
  id?: string;
  projectName?: string;
  summary?: string;
  description?: AdfDoc | string | null;
  issuetype?: string;
  status?: FakeStatusSpec;
  priority?: string | null;
  resolution?: string | null;
  creator?: FakeUser;
  reporter?: FakeUser | null;
  assignee?: FakeUser | null;
  created?: TimeInput;
  updated?: TimeInput;
  resolutiondate?: TimeInput | null;
  /** A date without time, `yyyy-mm-dd`. */
  duedate?: string | null;
  labels?: string[];
  /** `customfield_NNNNN` → value, returned as given (e.g. an SLA object from `slaField`). */
  customFields?: Record<string, unknown>;
  attachments?: FakeAttachmentSpec[];
  /** Replaces every link that touches this issue. */
  links?: FakeLinkSpec[];
  comments?: FakeCommentSpec[];
  histories?: FakeHistorySpec[];
  remoteLinks?: FakeRemoteLinkSpec[];
}

/** The fields `update()` can change; each change is recorded as a changelog history. */
export type FakeIssuePatch = Partial<
  Pick<FakeIssueSpec, 'summary' | 'description' | 'status' | 'priority' | 'resolution' | 'assignee' | 'labels' | 'duedate' | 'customFields'>
>;

export interface StoredComment {
  id: string;
  body: AdfDoc;
  author: FakeUser;
  updateAuthor: FakeUser;
  created: number;
  updated: number;
  jsdPublic: boolean;
}

export interface StoredAttachment {
  id: string;
  filename: string;
  mimeType: string;
  bytes: Buffer;
  author: FakeUser;
  created: number;
}

export interface StoredChangeItem {
  field: string;
  fieldtype: string;
  fieldId?: string;
  from: string | null;
  fromString: string | null;
  to: string | null;
  toString: string | null;
}

export interface StoredHistory {
  id: string;
  author: FakeUser;
  created: number;
  items: StoredChangeItem[];
}

export interface StoredRemoteLink {
  id: number;
  globalId?: string;
  url: string;
  title: string;
  summary?: string;
  relationship?: string;
  application?: { type?: string; name?: string };
  resolved?: boolean;
}

export interface StoredStatus {
  id: string;
  name: string;
  category: StatusCategoryKey;
}

/** A link between two issues: the source's outward description applies to the destination. */
export interface StoredLink {
  id: string;
  type: string;
  sourceKey: string;
  destinationKey: string;
  /** What to show for an end that is not in the store. */
  external?: { id: string; summary: string; status: StoredStatus };
}

export interface StoredIssue {
  id: string;
  key: string;
  projectKey: string;
  summary: string;
  description: AdfDoc | null;
  issuetype: string;
  status: StoredStatus;
  priority: string | null;
  resolution: string | null;
  creator: FakeUser;
  reporter: FakeUser | null;
  assignee: FakeUser | null;
  created: number;
  updated: number;
  resolutiondate: number | null;
  duedate: string | null;
  labels: string[];
  customFields: Record<string, unknown>;
  /** Oldest first, as Jira keeps them. */
  comments: StoredComment[];
  attachments: StoredAttachment[];
  /** Oldest first. */
  histories: StoredHistory[];
  remoteLinks: StoredRemoteLink[];
}

export interface StoredProject {
  id: string;
  key: string;
  name: string;
}

/** One request the fake received, for tests to assert what was called and with which credentials. */
export interface RecordedRequest {
  method: string;
  /** Path without the query. */
  path: string;
  /** Query parameters; a repeated parameter is joined with commas, as Jira reads `fields`. */
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Epoch milliseconds when the request arrived. */
  at: number;
  /** The status answered (undefined while in flight or when the request hung). */
  status?: number;
}
