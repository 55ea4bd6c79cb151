import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export const HOST_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
/** The host's own templates (`layout.njk`, `home.njk`), shipped beside `dist/`. */
export const HOST_VIEWS_DIR = join(packageRoot, 'views');
