export { FakeKeboola, FAKE_SECRETS, csvLine, type FakeRow, type FakeTable, type Injection, type RecordedRequest } from './fake-keboola.js';
