// One bench run in a process of its own (see inOwnProcess in lib.mjs): imports `module`, calls
// its export `name` with `{ report, ...options }`, and sends the reported rows to the parent.
import { report, reportedRows } from './lib.mjs';

const [module, name, options] = process.argv.slice(2);
await (await import(module))[name]({ report, ...JSON.parse(options) });
process.send({ rows: reportedRows() });
process.disconnect();
