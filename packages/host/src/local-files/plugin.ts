import { definePlugin, tokens } from '@aida/core';
import { localFilesConfigSchema } from './config.js';
import { LocalFilesConnector } from './connector.js';
import { uploadRoute } from './upload.js';

/** Built-in connector: each configured folder of CSV, Parquet and JSON files becomes a source. */
export const localFilesPlugin = definePlugin({
  id: 'local-files',
  kind: 'connector',
  description: 'Folders of CSV, Parquet and JSON files',
  config: localFilesConfigSchema,
  deps: { connectors: tokens.connectors, routes: tokens.routes, jobs: tokens.jobs },
  init({ connectors, routes, jobs }, { config }) {
    for (const s of config.sources) connectors.register(new LocalFilesConnector(s.name, s.path));
    routes.add(uploadRoute(config, jobs));
  },
});

export default localFilesPlugin;
