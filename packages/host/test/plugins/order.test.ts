import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createToken, definePlugin, tokens, type AnyPlugin } from '@aida/core';
import { orderPlugins } from '../../src/plugins/order.js';

const hostTokens = new Set(Object.values(tokens).map((t) => t.symbol));
const clientToken = createToken<{ ping(): string }>('a.client');
const plug = (id: string, extra: Partial<Parameters<typeof definePlugin>[0]> = {}) => ({
  id,
  plugin: definePlugin({ id, kind: 'service', config: z.object({}), init() {}, ...extra } as never) as AnyPlugin,
});

describe('plugin init order', () => {
  it('puts a plugin after the one providing a token it needs, and after its dependsOn', () => {
    const order = orderPlugins(
      [plug('c', { dependsOn: ['b'] }), plug('b', { deps: { client: clientToken, logger: tokens.logger } }), plug('a', { provides: [clientToken] })],
      hostTokens,
    );
    expect(order.map((n) => n.id)).toEqual(['a', 'b', 'c']);
  });

  it('names the plugin and the missing dependency', () => {
    expect(() => orderPlugins([plug('b', { deps: { client: clientToken } })], hostTokens)).toThrow(/plugin 'b' needs 'a.client'/);
    expect(() => orderPlugins([plug('b', { dependsOn: ['ghost'] })], hostTokens)).toThrow(/depends on plugin 'ghost'/);
  });

  it('reports a cycle with the plugins on it', () => {
    expect(() => orderPlugins([plug('x', { dependsOn: ['y'] }), plug('y', { dependsOn: ['z'] }), plug('z', { dependsOn: ['x'] })], hostTokens)).toThrow(
      /cycle: x → y → z → x/,
    );
  });
});
