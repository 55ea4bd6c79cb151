// The connector contract every source passes, run on the Jira plugin: its extract is the
// backfill over the fake's issues, and a Jira that answers 500 to every search breaks it.
import { describeConnectorContract } from '@aida/core/testing';
import { startFakeJira } from '../../src/testing/index.js';
import { startJiraHost } from './helpers.js';

describeConnectorContract('jira', async () => {
  const fake = await startFakeJira({ projects: [{ key: 'SUP' }, { key: 'ENG' }] });
  fake.seed(30, { project: 'SUP', commentsPerIssue: 3, doneEvery: 4, start: '2026-01-05T09:00:00Z', stepMinutes: 60 * 24 * 5 });
  const j = await startJiraHost({ fake });
  let failure: ReturnType<typeof fake.fail> | undefined;
  return {
    host: j.t,
    source: 'jira',
    breakSource: async () => {
      failure = fake.fail({ path: '/search/jql', status: 500, times: 1000 });
    },
    repairSource: async () => {
      if (failure) failure.remaining = 0;
    },
    cleanup: () => fake.close(),
  };
});
