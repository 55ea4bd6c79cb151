import type { Role } from './routes.js';

export interface NavigationEntry {
  label: string;
  href: string;
  /** Minimum role that sees the entry; everyone when omitted. */
  role?: Role;
}

/** Plugins contribute nunjucks templates, namespaced `<pluginId>/…`, and navigation entries. */
export interface ViewRegistry {
  /** A folder of `.njk` templates, rendered as `<pluginId>/<file>`; the host's own folder wins on a clash. */
  addFolder(absolutePath: string): void;
  addNavigation(entry: NavigationEntry): void;
}
