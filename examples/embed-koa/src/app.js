// An existing Koa app that mounts AIDA under /data. The app keeps its own middleware and
// routes; AIDA only sees requests below its prefix.
import Koa from 'koa';
import mount from 'koa-mount';
import { createHost, localFilesPlugin } from '@aida/host';

/** Builds the app; `folder` is a directory of CSV/Parquet/JSON files served as source `files`. */
export async function buildApp({ dataDir, folder, logger }) {
  const app = new Koa();
  app.use(async (ctx, next) => {
    if (ctx.path === '/') {
      ctx.body = { app: 'my existing service', aida: '/data' };
      return;
    }
    await next();
  });
  const host = await createHost({
    dataDir,
    logger,
    plugins: [{ plugin: localFilesPlugin, config: { sources: [{ name: 'files', path: folder }] } }],
  });
  app.use(mount('/data', host.koa));
  await host.start(); // migrations, plugin init in dependency order, jobs
  return { app, host };
}
