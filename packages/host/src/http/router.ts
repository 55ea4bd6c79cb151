import Router from '@koa/router';
import { type RouteDefinition, validateInput } from '@aida/core';
import type { Contributions } from '../plugins/registries.js';
import { createRenderer } from '../views/renderer.js';
import { guard, roleRank } from './guard.js';

/** One router holding the host's routes and every plugin's, each behind its access guard. */
export function buildRouterFrom(
  core: readonly RouteDefinition[],
  contributions: Contributions,
  views: { hostViews: string; overrideDir?: string; instanceName: string },
): Router {
  const renderer = createRenderer({
    hostViews: views.hostViews,
    overrideDir: views.overrideDir,
    pluginFolders: contributions.viewFolders,
    cache: process.env.NODE_ENV === 'production',
  });
  const router = new Router();
  router.use(async (ctx, next) => {
    ctx.render = async (view, data = {}) => {
      const navigation = contributions.navigation.filter((n) => !n.role || (ctx.state.user && roleRank(ctx.state.user.role) >= roleRank(n.role)));
      ctx.type = 'text/html';
      ctx.body = await renderer.render(view, { instanceName: views.instanceName, navigation, user: ctx.state.user, ...data });
    };
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
