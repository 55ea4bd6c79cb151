// Bad config is reported at boot, every problem at once, each with its path and what to write.
import { startTestHost } from '@aida/host/testing';
import { describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { templateConfigSchema } from '../src/config.js';
import { TOKEN, TOKEN_ENV } from './helpers.js';

const problems = (value: unknown) =>
  templateConfigSchema
    .safeParse(value)
    .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    .join('\n') ?? '';

describe('the template config', () => {
  it('fills the defaults, as durations in milliseconds, and resolves the token from its variable', () => {
    const c = templateConfigSchema.parse({ base_url: 'https://api.example.com/', token_env: TOKEN_ENV });
    expect(c).toEqual({
      source: 'template',
      base_url: 'https://api.example.com',
      token_env: TOKEN,
      timeout: 30_000,
      retries: { max: 4, base_delay: 500, max_retry_after: 120_000 },
      incremental_overlap: 300_000,
    });
    expect(templateConfigSchema.parse({ base_url: 'http://127.0.0.1:9', token_env: TOKEN_ENV, timeout: '2.5s', retries: { max: 0 } })).toMatchObject({
      timeout: 2500,
      retries: { max: 0, base_delay: 500 },
    });
  });

  it('reports each bad field with its path and what to write instead', () => {
    const all = problems({
      source: '9lives',
      base_url: 'api.example.com',
      token_env: 'AIDA_TEST_TEMPLATE_UNSET',
      timeout: 'soon',
      retries: { max: 50 },
      surprise: true,
    });
    expect(all).toMatch(/^source: must be a valid identifier/m);
    expect(all).toMatch(/^base_url: must be an absolute http\(s\) URL such as https:\/\/api.example.com/m);
    expect(all).toMatch(/^token_env: environment variable AIDA_TEST_TEMPLATE_UNSET is not set \(it must hold the API token of the source\)/m);
    expect(all).toMatch(/^timeout: must be a duration such as 500ms, 30s, 5m, 1h or 1d .*; got "soon"/m);
    expect(all).toMatch(/^retries\.max: .*10/m);
    expect(all).toMatch(/surprise/);
    expect(problems({ base_url: 'https://user:pw@api.example.com', token_env: TOKEN_ENV })).toMatch(/^base_url: .*without credentials/m);
    expect(problems({ base_url: 'https://api.example.com', token_env: TOKEN_ENV, timeout: '10m' })).toMatch(
      /^timeout: must be between 100ms and 5m; got "10m"/m,
    );
  });

  it('a host refuses to start with bad config, naming every problem of the plugin at once', async () => {
    const failure = await startTestHost({ plugins: [{ plugin, config: { base_url: 'nowhere', token_env: 'AIDA_TEST_TEMPLATE_UNSET' } }] }).then(
      async (t) => {
        await t.stop();
        return undefined;
      },
      (e: unknown) => e as Error,
    );
    expect(failure?.message).toMatch(/config\.base_url: must be an absolute http\(s\) URL/);
    expect(failure?.message).toMatch(/config\.token_env: environment variable AIDA_TEST_TEMPLATE_UNSET is not set/);
  });
});
