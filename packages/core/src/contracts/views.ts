import type { RequestUser } from './request.js';
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
 * A box a plugin adds to the dashboard (`/dashboard`), below the host's own cards: a link to a
 * chat bot, a summary of the plugin's state for the signed-in user.
 */
export interface DashboardPanel {
  /**
   * The box's template, `<pluginId>/<file>.njk` from the plugin's view folder: a fragment (it
   * extends nothing), included in the dashboard. It sees what the dashboard sees (`user`,
   * `csrf` for forms, `base` for links) and `panel`, what `data` returned.
   */
  template: string;
  /** Minimum role that sees the box; everyone signed in when omitted. */
  role?: Role;
  /**
   * The box's data for the user looking at the dashboard. When it throws, the dashboard still
   * renders, with a one-line notice in place of the box.
   */
  data?: (user: RequestUser) => Promise<Record<string, unknown>> | Record<string, unknown>;
}

/**
 * Plugins contribute nunjucks templates, namespaced `<pluginId>/…`, navigation entries and
 * dashboard boxes. A page template extends `layout.njk` and fills `{% block content %}`; it
 * sees `user`, `isAdmin`, `csrf` (for forms), `base` (the mount prefix, for links) and its
 * route's data.
 */
export interface ViewRegistry {
  /** A folder of `.njk` templates, rendered as `<pluginId>/<file>`; the host's own folder wins on a clash. */
  addFolder(absolutePath: string): void;
  addNavigation(entry: NavigationEntry): void;
  /** A box on the dashboard; its template must be one of the plugin's own (`<pluginId>/…`). */
  addDashboardPanel(panel: DashboardPanel): void;
}
