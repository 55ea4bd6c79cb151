import Router from '@koa/router';
import type { Context } from 'koa';
import { mountPrefix, type RouteDefinition, validateInput } from '@aida/core';
import type { Contributions } from '../plugins/registries.js';
import { createRenderer } from '../views/renderer.js';
import { guard, roleRank } from './guard.js';

/** Renders a template in the layout into the response; the error pages use it too. */
export type PageRender = (ctx: Context, view: string, data?: Record<string, unknown>) => Promise<void>;

/**
 * What every page gets besides its own data: the instance name, the navigation the caller's
 * role may see, the signed-in user, the CSRF token for the layout's forms and the asset
 * version that makes `/assets/portal.css` cacheable for a year.
 */
export function createPageRender(
  contributions: Contributions,
  views: {
    hostViews: string;
    overrideDir?: string;
    instanceName: string;
    assetVersion: string;
    csrf: (ctx: Context) => string | undefined;
    /** Values every template sees (the admin sections for the admin sub-navigation). */
    globals?: Record<string, unknown>;
  },
): PageRender {
  const renderer = createRenderer({
    hostViews: views.hostViews,
    overrideDir: views.overrideDir,
    pluginFolders: contributions.viewFolders,
    cache: process.env.NODE_ENV === 'production',
  });
  return async (ctx, view, data = {}) => {
    const user = ctx.state.user;
    const navigation = contributions.navigation.filter((n) => !n.role || (user && roleRank(user.role) >= roleRank(n.role)));
    const html = await renderer.render(view, {
      ...views.globals,
      instanceName: views.instanceName,
      // Links and form actions start with it: the host may be mounted under a path in another Koa app.
      base: mountPrefix(ctx),
      path: ctx.path,
      navigation,
      user,
      isAdmin: user?.role === 'admin',
      csrf: views.csrf(ctx),
      assetVersion: views.assetVersion,
      ...data,
    });
    ctx.type = 'text/html';
    ctx.body = html;
  };
}

/** One router holding the host's routes and every plugin's, each behind its access guard. */
export function buildRouterFrom(core: readonly RouteDefinition[], contributions: Contributions, render: PageRender): Router {
  const router = new Router();
  router.use(async (ctx, next) => {
    ctx.render = (view, data) => render(ctx, view, data);
    await next();
  });
  const all = [...core, ...contributions.routes.map((r) => r.route)];
  for (const route of all) {
    router.register(
      route.path,
      [route.method],
      [
        guard(route.access),
        async (ctx) => {
          validateInput(ctx as never, route.input);
          await route.handler(ctx as never);
        },
      ],
    );
  }
  return router;
}
