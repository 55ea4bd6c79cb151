import { describe, expect, it } from 'vitest';
import { PayloadProblem, readWebhook } from '../../src/webhook/payload.js';

const read = (v: unknown) => readWebhook(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)));

describe('reading a webhook body', () => {
  it('names the issue of issue and comment events; only jira:issue_deleted deletes', () => {
    expect(read({ webhookEvent: 'jira:issue_updated', issue: { key: 'SUP-12' } })).toEqual({
      kind: 'issue',
      event: 'jira:issue_updated',
      key: 'SUP-12',
      delete: false,
    });
    expect(read({ webhookEvent: 'jira:issue_deleted', issue: { key: 'SUP-12' } })).toMatchObject({ delete: true });
    for (const event of ['comment_deleted', 'attachment_deleted', 'worklog_deleted', 'issue_deleted_later']) {
      const r = read({ webhookEvent: event, issue: { key: 'SUP-12' } });
      expect(r.kind === 'issue' && r.delete).toBe(false);
    }
  });

  it('falls back to a top-level issue_key and tolerates "issue": null', () => {
    expect(read({ webhookEvent: 'jira:issue_updated', issue: null, issue_key: 'ENG-7' })).toMatchObject({ key: 'ENG-7' });
  });

  it('reads the two ends of an issue link by id, and an attachment event by attachment id', () => {
    expect(read({ webhookEvent: 'issuelink_created', issueLink: { id: 5, sourceIssueId: 10001, destinationIssueId: '10002' } })).toEqual({
      kind: 'link',
      event: 'issuelink_created',
      issueIds: ['10001', '10002'],
    });
    expect(read({ webhookEvent: 'attachment_deleted', attachment: { id: 20003 } })).toEqual({
      kind: 'attachment',
      event: 'attachment_deleted',
      attachmentId: '20003',
    });
  });

  it.each([
    ['', 'Empty payload'],
    ['{not json', 'Invalid JSON payload'],
    ['[]', 'not a non-empty JSON object'],
    ['{}', 'not a non-empty JSON object'],
    [JSON.stringify({ issue: { key: 'SUP-1' } }), 'no webhookEvent'],
    [JSON.stringify({ webhookEvent: 'jira:issue_updated' }), 'Malformed or missing issue key'],
    [JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { key: '../../etc/passwd' } }), 'Malformed or missing issue key'],
    [JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { key: 'sup-1' } }), 'Malformed or missing issue key'],
    [JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { key: `SUP-${'1'.repeat(13)}` } }), 'Malformed or missing issue key'],
    [JSON.stringify({ webhookEvent: 'issuelink_created', issueLink: { sourceIssueId: 'x' } }), 'Malformed or missing issue ids'],
  ])('refuses %j: %s', (body, message) => {
    expect(() => read(body)).toThrow(PayloadProblem);
    expect(() => read(body)).toThrow(message);
  });
});
