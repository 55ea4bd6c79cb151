// The issues a fake Jira site holds, which the test controls: create and update issues, add and
// remove comments, attachments, links and remote links, and record changelog histories the way
// Jira does (every edit through `update()` becomes one history with one item per changed field,
// and bumps `updated`). Deleted entities are kept aside so a webhook can still describe them, as
// Jira's own `*_deleted` deliveries do.
// Shapes: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/
import { adf, adfToText } from './fake-adf.js';
import { Catalog, DEFAULT_STATUS, FAKE_USERS } from './fake-catalog.js';
import type {
  AdfDoc,
  FakeAttachmentSpec,
  FakeChangeItem,
  FakeCommentSpec,
  FakeHistorySpec,
  FakeIssuePatch,
  FakeIssueSpec,
  FakeLinkSpec,
  FakeRemoteLinkSpec,
  FakeUser,
  StoredAttachment,
  StoredChangeItem,
  StoredComment,
  StoredHistory,
  StoredIssue,
  StoredLink,
  StoredProject,
  StoredRemoteLink,
  TimeInput,
} from './fake-model.js';
import { toMillis } from './fake-time.js';

export interface SeedOptions {
  project?: string;
  projectName?: string;
  commentsPerIssue?: number;
  /** Every Nth issue is resolved (Done), with a status-change history. 0 = none. */
  doneEvery?: number;
  /** Creation time of the first issue; the others follow `stepMinutes` apart. */
  start?: TimeInput;
  stepMinutes?: number;
}

/** Not found in the store: the fake answers Jira's 404. */
export class NotFound extends Error {}

const toBody = (b: AdfDoc | string | null | undefined): AdfDoc | null => (b == null ? null : typeof b === 'string' ? adf(b) : b);

export class FakeJiraStore {
  readonly issues = new Map<string, StoredIssue>();
  readonly projects = new Map<string, StoredProject>();
  readonly links = new Map<string, StoredLink>();
  readonly catalog = new Catalog();
  /** What was deleted, so `*_deleted` webhooks can still describe it. */
  readonly removed = {
    issues: new Map<string, StoredIssue>(),
    comments: new Map<string, { issueKey: string; comment: StoredComment }>(),
    attachments: new Map<string, { issueKey: string; attachment: StoredAttachment }>(),
    links: new Map<string, StoredLink>(),
  };
  /** Every custom field id an issue has used: `*all` lists them on every issue (null where unset), as Jira does. */
  readonly customFieldIds = new Set<string>();
  /** Bumped on every change; search results are cached per version. */
  version = 0;

  private readonly keyById = new Map<string, string>();
  private readonly linksByKey = new Map<string, Set<string>>();
  private readonly attachmentIssue = new Map<string, string>();
  private readonly seq = { issue: 10000, comment: 10000, attachment: 10000, history: 10000, link: 10000, remote: 10000, project: 10000 };

  constructor(projects: { key: string; name?: string; id?: string }[] = []) {
    for (const p of projects) this.project(p.key, p.name, p.id);
  }

  /** The project with this key, created on first use. */
  project(key: string, name?: string, id?: string): StoredProject {
    let p = this.projects.get(key);
    if (!p) this.projects.set(key, (p = { id: id ?? String(this.seq.project++), key, name: name ?? `${key} project` }));
    else if (name) p.name = name;
    return p;
  }

  /** By key (case-insensitive, as Jira's URLs are) or numeric id. */
  get(idOrKey: string): StoredIssue | undefined {
    return this.issues.get(idOrKey) ?? this.issues.get(idOrKey.toUpperCase()) ?? this.issues.get(this.keyById.get(idOrKey) ?? '');
  }

  require(idOrKey: string): StoredIssue {
    const i = this.get(idOrKey);
    if (!i) throw new NotFound(`fake jira: no issue ${idOrKey}`);
    return i;
  }

  /** Creates the issue, or updates the fields the spec names (lists given replace the old ones). */
  put(spec: FakeIssueSpec): StoredIssue {
    const old = this.issues.get(spec.key);
    if (old && spec.id && spec.id !== old.id) throw new Error(`fake jira: ${spec.key} already has id ${old.id}`);
    const projectKey = spec.key.replace(/-\d+$/, '');
    if (projectKey === spec.key) throw new Error(`fake jira: issue key must look like PROJ-123, got ${spec.key}`);
    this.project(projectKey, spec.projectName);
    const now = Date.now();
    const created = spec.created !== undefined ? toMillis(spec.created) : (old?.created ?? now);
    const issue: StoredIssue = old ?? {
      id: spec.id ?? String(this.seq.issue++),
      key: spec.key,
      projectKey,
      summary: '',
      description: null,
      issuetype: 'Task',
      status: DEFAULT_STATUS,
      priority: 'Medium',
      resolution: null,
      creator: spec.reporter ?? FAKE_USERS.reporter,
      reporter: FAKE_USERS.reporter,
      assignee: null,
      created,
      updated: created,
      resolutiondate: null,
      duedate: null,
      labels: [],
      customFields: {},
      comments: [],
      attachments: [],
      histories: [],
      remoteLinks: [],
    };
    if (spec.id && Number(spec.id) >= this.seq.issue) this.seq.issue = Number(spec.id) + 1;
    issue.created = created;
    if (spec.summary !== undefined) issue.summary = spec.summary;
    if (spec.description !== undefined) issue.description = toBody(spec.description);
    if (spec.issuetype !== undefined) issue.issuetype = spec.issuetype;
    if (spec.status) issue.status = this.catalog.status(spec.status.name, spec.status.category, spec.status.id);
    if (spec.priority !== undefined) issue.priority = spec.priority;
    if (spec.resolution !== undefined) issue.resolution = spec.resolution;
    if (spec.creator) issue.creator = spec.creator;
    if (spec.reporter !== undefined) issue.reporter = spec.reporter;
    if (spec.assignee !== undefined) issue.assignee = spec.assignee;
    if (spec.resolutiondate !== undefined) issue.resolutiondate = spec.resolutiondate === null ? null : toMillis(spec.resolutiondate);
    if (spec.duedate !== undefined) issue.duedate = spec.duedate;
    if (spec.labels) issue.labels = [...spec.labels];
    if (spec.customFields) issue.customFields = { ...issue.customFields, ...spec.customFields };
    for (const id of Object.keys(issue.customFields)) this.customFieldIds.add(id);
    if (spec.comments) {
      for (const c of issue.comments) this.removed.comments.set(c.id, { issueKey: issue.key, comment: c });
      issue.comments = spec.comments.map((c) => this.newComment(c, created)).sort((a, b) => a.created - b.created);
    }
    if (spec.attachments) {
      for (const a of issue.attachments) this.attachmentIssue.delete(a.id);
      issue.attachments = spec.attachments.map((a) => this.newAttachment(issue.key, a, created));
    }
    if (spec.histories) issue.histories = spec.histories.map((h) => this.newHistory(h, created)).sort((a, b) => a.created - b.created);
    if (spec.remoteLinks) issue.remoteLinks = spec.remoteLinks.map((r) => this.newRemoteLink(r));
    issue.updated = spec.updated !== undefined ? toMillis(spec.updated) : old ? issue.updated : Math.max(created, ...issue.comments.map((c) => c.updated));
    this.issues.set(issue.key, issue);
    this.keyById.set(issue.id, issue.key);
    this.removed.issues.delete(issue.key);
    if (spec.links) {
      for (const id of [...(this.linksByKey.get(issue.key) ?? [])]) this.dropLink(id);
      for (const l of spec.links) this.addLinkFromSpec(issue.key, l);
    }
    this.version++;
    return issue;
  }

  /** Edits fields as a user would: one changelog history for the edit, `updated` set to its time. Nothing changed: no history. */
  update(key: string, patch: FakeIssuePatch, by: { author?: FakeUser; at?: TimeInput } = {}): StoredHistory | undefined {
    const issue = this.require(key);
    const at = by.at !== undefined ? toMillis(by.at) : Date.now();
    const items: FakeChangeItem[] = [];
    const change = (field: string, fieldId: string, from: string | null, fromString: string | null, to: string | null, toString: string | null): void => {
      if (from !== to || fromString !== toString)
        items.push({ field, fieldtype: fieldId.startsWith('customfield_') ? 'custom' : 'jira', fieldId, from, fromString, to, toString });
    };
    if (patch.summary !== undefined) change('summary', 'summary', null, issue.summary, null, patch.summary);
    if (patch.description !== undefined) change('description', 'description', null, adfToText(issue.description), null, adfToText(toBody(patch.description)));
    if (patch.status) {
      const next = this.catalog.status(patch.status.name, patch.status.category, patch.status.id);
      change('status', 'status', issue.status.id, issue.status.name, next.id, next.name);
      issue.status = next;
    }
    if (patch.priority !== undefined) {
      const id = (p: string | null): string | null => (p === null ? null : this.catalog.idOf('priority', p));
      change('priority', 'priority', id(issue.priority), issue.priority, id(patch.priority), patch.priority);
    }
    if (patch.resolution !== undefined) {
      const id = (r: string | null): string | null => (r === null ? null : this.catalog.idOf('resolution', r));
      change('resolution', 'resolution', id(issue.resolution), issue.resolution, id(patch.resolution), patch.resolution);
      issue.resolutiondate = patch.resolution === null ? null : (issue.resolutiondate ?? at);
    }
    if (patch.assignee !== undefined) {
      const a = patch.assignee;
      change('assignee', 'assignee', issue.assignee?.accountId ?? null, issue.assignee?.displayName ?? null, a?.accountId ?? null, a?.displayName ?? null);
    }
    if (patch.labels) change('labels', 'labels', null, issue.labels.join(' '), null, patch.labels.join(' '));
    if (patch.duedate !== undefined) change('duedate', 'duedate', issue.duedate, issue.duedate, patch.duedate, patch.duedate);
    for (const [id, v] of Object.entries(patch.customFields ?? {}))
      change(id, id, null, JSON.stringify(issue.customFields[id] ?? null), null, JSON.stringify(v));
    if (patch.summary !== undefined) issue.summary = patch.summary;
    if (patch.description !== undefined) issue.description = toBody(patch.description);
    if (patch.priority !== undefined) issue.priority = patch.priority;
    if (patch.resolution !== undefined) issue.resolution = patch.resolution;
    if (patch.assignee !== undefined) issue.assignee = patch.assignee;
    if (patch.labels) issue.labels = [...patch.labels];
    if (patch.duedate !== undefined) issue.duedate = patch.duedate;
    if (patch.customFields) issue.customFields = { ...issue.customFields, ...patch.customFields };
    for (const id of Object.keys(issue.customFields)) this.customFieldIds.add(id);
    if (items.length === 0) return undefined;
    return this.addHistory(key, { author: by.author, created: at, items });
  }

  addHistory(key: string, spec: FakeHistorySpec): StoredHistory {
    const issue = this.require(key);
    const h = this.newHistory(spec, Date.now());
    issue.histories.push(h);
    issue.histories.sort((a, b) => a.created - b.created);
    this.touch(issue, h.created);
    return h;
  }

  addComment(key: string, spec: FakeCommentSpec = {}): StoredComment {
    const issue = this.require(key);
    const c = this.newComment(spec, Date.now());
    issue.comments.push(c);
    issue.comments.sort((a, b) => a.created - b.created);
    this.touch(issue, c.updated);
    return c;
  }

  updateComment(key: string, id: string, spec: FakeCommentSpec): StoredComment {
    const issue = this.require(key);
    const c = issue.comments.find((x) => x.id === id);
    if (!c) throw new NotFound(`fake jira: no comment ${id} on ${key}`);
    if (spec.body !== undefined) c.body = toBody(spec.body)!;
    if (spec.updateAuthor) c.updateAuthor = spec.updateAuthor;
    if (spec.jsdPublic !== undefined) c.jsdPublic = spec.jsdPublic;
    c.updated = spec.updated !== undefined ? toMillis(spec.updated) : Date.now();
    this.touch(issue, c.updated);
    return c;
  }

  deleteComment(key: string, id: string): StoredComment {
    const issue = this.require(key);
    const i = issue.comments.findIndex((x) => x.id === id);
    if (i < 0) throw new NotFound(`fake jira: no comment ${id} on ${key}`);
    const [c] = issue.comments.splice(i, 1);
    this.removed.comments.set(c.id, { issueKey: key, comment: c });
    this.touch(issue, Date.now());
    return c;
  }

  addAttachment(key: string, spec: FakeAttachmentSpec): StoredAttachment {
    const issue = this.require(key);
    const a = this.newAttachment(key, spec, Date.now());
    issue.attachments.push(a);
    this.touch(issue, a.created);
    return a;
  }

  deleteAttachment(key: string, id: string): StoredAttachment {
    const issue = this.require(key);
    const i = issue.attachments.findIndex((x) => x.id === id);
    if (i < 0) throw new NotFound(`fake jira: no attachment ${id} on ${key}`);
    const [a] = issue.attachments.splice(i, 1);
    this.attachmentIssue.delete(a.id);
    this.removed.attachments.set(a.id, { issueKey: key, attachment: a });
    this.touch(issue, Date.now());
    return a;
  }

  /** The attachment and its issue, for the content download. */
  attachment(id: string): { issue: StoredIssue; attachment: StoredAttachment } | undefined {
    const issue = this.get(this.attachmentIssue.get(id) ?? '');
    const attachment = issue?.attachments.find((a) => a.id === id);
    return issue && attachment ? { issue, attachment } : undefined;
  }

  addRemoteLink(key: string, spec: FakeRemoteLinkSpec): StoredRemoteLink {
    const issue = this.require(key);
    const r = this.newRemoteLink(spec);
    issue.remoteLinks.push(r);
    this.touch(issue, Date.now());
    return r;
  }

  /** Links `sourceKey` to `destinationKey` ("SUP-1 blocks SUP-2": source SUP-1). */
  link(sourceKey: string, destinationKey: string, type = 'Relates', id?: string): StoredLink {
    return this.addLinkFromSpec(sourceKey, { direction: 'outward', key: destinationKey, type, id });
  }

  unlink(id: string): StoredLink {
    const l = this.links.get(id);
    if (!l) throw new NotFound(`fake jira: no issue link ${id}`);
    this.dropLink(id);
    for (const k of [l.sourceKey, l.destinationKey]) {
      const i = this.get(k);
      if (i) this.touch(i, Date.now());
    }
    return l;
  }

  linksOf(key: string): StoredLink[] {
    return [...(this.linksByKey.get(key) ?? [])].map((id) => this.links.get(id)!);
  }

  /** Removes the issue and its links, as deleting it in Jira does. */
  delete(key: string): StoredIssue {
    const issue = this.require(key);
    this.issues.delete(issue.key);
    this.keyById.delete(issue.id);
    for (const a of issue.attachments) this.attachmentIssue.delete(a.id);
    for (const id of [...(this.linksByKey.get(issue.key) ?? [])]) this.dropLink(id);
    this.removed.issues.set(issue.key, issue);
    this.version++;
    return issue;
  }

  setUpdated(key: string, t: TimeInput): void {
    this.require(key).updated = toMillis(t);
    this.version++;
  }

  /** `n` issues with a few comments each, cheap enough for a 10,000-issue backfill benchmark. */
  seed(n: number, o: SeedOptions = {}): string[] {
    const projectKey = o.project ?? 'SUP';
    this.project(projectKey, o.projectName);
    let number = 0;
    for (const k of this.issues.keys()) if (k.startsWith(`${projectKey}-`)) number = Math.max(number, Number(k.slice(projectKey.length + 1)));
    const start = toMillis(o.start ?? '2024-01-01T08:00:00.000Z');
    const step = (o.stepMinutes ?? 60) * 60_000;
    const perIssue = o.commentsPerIssue ?? 3;
    const done = this.catalog.status('Done', 'done');
    const keys: string[] = [];
    for (let i = 0; i < n; i++) {
      const key = `${projectKey}-${++number}`;
      const created = start + i * step;
      const comments: StoredComment[] = [];
      for (let c = 0; c < perIssue; c++) {
        const at = created + (c + 1) * 600_000;
        const author = c % 2 === 0 ? FAKE_USERS.agent : FAKE_USERS.reporter;
        comments.push({
          id: String(this.seq.comment++),
          body: adf(`Comment ${c + 1} on ${key}`),
          author,
          updateAuthor: author,
          created: at,
          updated: at,
          jsdPublic: c % 3 !== 2,
        });
      }
      const resolved = o.doneEvery ? (i + 1) % o.doneEvery === 0 : false;
      const last = comments.length ? comments[comments.length - 1].updated : created;
      const resolvedAt = last + 600_000;
      const issue: StoredIssue = {
        id: String(this.seq.issue++),
        key,
        projectKey,
        summary: `Seeded issue ${number}`,
        description: adf(`Description of ${key}.`),
        issuetype: '[System] Service request',
        status: resolved ? done : DEFAULT_STATUS,
        priority: 'Medium',
        resolution: resolved ? 'Done' : null,
        creator: FAKE_USERS.reporter,
        reporter: FAKE_USERS.reporter,
        assignee: FAKE_USERS.agent,
        created,
        updated: resolved ? resolvedAt : last,
        resolutiondate: resolved ? resolvedAt : null,
        duedate: null,
        labels: [],
        customFields: {},
        comments,
        attachments: [],
        histories: resolved ? [this.statusHistory(DEFAULT_STATUS.id, DEFAULT_STATUS.name, done.id, done.name, resolvedAt)] : [],
        remoteLinks: [],
      };
      this.issues.set(key, issue);
      this.keyById.set(issue.id, key);
      keys.push(key);
    }
    this.version++;
    return keys;
  }

  private statusHistory(fromId: string, fromName: string, toId: string, toName: string, at: number): StoredHistory {
    const items: StoredChangeItem[] = [
      { field: 'status', fieldtype: 'jira', fieldId: 'status', from: fromId, fromString: fromName, to: toId, toString: toName },
      { field: 'resolution', fieldtype: 'jira', fieldId: 'resolution', from: null, fromString: null, to: '10000', toString: 'Done' },
    ];
    return { id: String(this.seq.history++), author: FAKE_USERS.agent, created: at, items };
  }

  private touch(issue: StoredIssue, at: number): void {
    issue.updated = Math.max(issue.updated, at);
    this.version++;
  }

  private newComment(s: FakeCommentSpec, now: number): StoredComment {
    const created = s.created !== undefined ? toMillis(s.created) : now;
    const author = s.author ?? FAKE_USERS.agent;
    return {
      id: s.id ?? String(this.seq.comment++),
      body: toBody(s.body ?? 'A comment.')!,
      author,
      updateAuthor: s.updateAuthor ?? author,
      created,
      updated: s.updated !== undefined ? toMillis(s.updated) : created,
      jsdPublic: s.jsdPublic ?? true,
    };
  }

  private newAttachment(issueKey: string, s: FakeAttachmentSpec, now: number): StoredAttachment {
    const a: StoredAttachment = {
      id: s.id ?? String(this.seq.attachment++),
      filename: s.filename,
      mimeType: s.mimeType ?? 'application/octet-stream',
      bytes: Buffer.isBuffer(s.content) ? s.content : Buffer.from(s.content),
      author: s.author ?? FAKE_USERS.reporter,
      created: s.created !== undefined ? toMillis(s.created) : now,
    };
    this.attachmentIssue.set(a.id, issueKey);
    return a;
  }

  private newHistory(s: FakeHistorySpec, now: number): StoredHistory {
    return {
      id: s.id ?? String(this.seq.history++),
      author: s.author ?? FAKE_USERS.agent,
      created: s.created !== undefined ? toMillis(s.created) : now,
      // `toString` is also Object.prototype's method: read only an own property.
      items: s.items.map((i) => ({
        field: i.field,
        fieldtype: i.fieldtype ?? (i.field.startsWith('customfield_') ? 'custom' : 'jira'),
        ...(i.fieldId ? { fieldId: i.fieldId } : {}),
        from: i.from ?? null,
        fromString: i.fromString ?? null,
        to: i.to ?? null,
        toString: Object.hasOwn(i, 'toString') ? (i.toString ?? null) : null,
      })),
    };
  }

  private newRemoteLink(s: FakeRemoteLinkSpec): StoredRemoteLink {
    return { ...s, id: s.id ?? this.seq.remote++ };
  }

  private addLinkFromSpec(key: string, l: FakeLinkSpec): StoredLink {
    const [sourceKey, destinationKey] = l.direction === 'outward' ? [key, l.key] : [l.key, key];
    const other = this.get(l.key);
    const link: StoredLink = {
      id: l.id ?? String(this.seq.link++),
      type: this.catalog.linkType(l.type).name,
      sourceKey,
      destinationKey,
      ...(other
        ? {}
        : {
            external: {
              id: String(this.seq.issue++),
              summary: l.summary ?? '',
              status: l.status ? this.catalog.status(l.status.name, l.status.category, l.status.id) : DEFAULT_STATUS,
            },
          }),
    };
    this.links.set(link.id, link);
    for (const k of [sourceKey, destinationKey]) {
      let set = this.linksByKey.get(k);
      if (!set) this.linksByKey.set(k, (set = new Set()));
      set.add(link.id);
    }
    this.removed.links.delete(link.id);
    this.version++;
    return link;
  }

  private dropLink(id: string): void {
    const l = this.links.get(id);
    if (!l) return;
    this.links.delete(id);
    this.linksByKey.get(l.sourceKey)?.delete(id);
    this.linksByKey.get(l.destinationKey)?.delete(id);
    this.removed.links.set(id, l);
    this.version++;
  }
}
