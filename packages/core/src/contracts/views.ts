import type { Role } from './routes.js';

/** An entry of the portal's main navigation, usually to one of the plugin's pages (`/<pluginId>`). */
export interface NavigationEntry {
  label: string;
  /** A path on the host (`/memory`); the host puts its mount prefix in front. */
  href: string;
  /** Minimum role that sees the entry; everyone when omitted. */
  role?: Role;
}

/**
 * Plugins contribute nunjucks templates, namespaced `<pluginId>/…`, and navigation entries.
 * A page template extends `layout.njk` and fills `{% block content %}`; it sees `user`,
 * `isAdmin`, `csrf` (for forms), `base` (the mount prefix, for links) and its route's data.
 */
export interface ViewRegistry {
  /** A folder of `.njk` templates, rendered as `<pluginId>/<file>`; the host's own folder wins on a clash. */
  addFolder(absolutePath: string): void;
  addNavigation(entry: NavigationEntry): void;
}
