import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { buildApp } from './app.js';

const folder = process.env.FILES_DIR ?? './files';
if (!existsSync(folder)) {
  mkdirSync(folder, { recursive: true });
  writeFileSync(`${folder}/greetings.csv`, 'id,text\n1,hello\n2,world\n');
}
const { app, host } = await buildApp({ dataDir: process.env.AIDA_DATA_DIR ?? './data', folder });
await host.syncSource('files');
const server = app.listen(Number(process.env.PORT ?? 3000), () => console.log(`listening on http://localhost:${server.address().port} (AIDA under /data)`));
// The WebSocket gateway (notifications, sync events) at /data/ws on the app's own server.
host.attach(server, { mountPath: '/data' });
const stop = async () => {
  server.close();
  await host.stop();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
