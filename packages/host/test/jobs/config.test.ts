import { describe, expect, it } from 'vitest';
import { jobsConfigSchema } from '../../src/jobs/config.js';
import { redactUrl } from '../../src/jobs/backends.js';

describe('jobsConfigSchema', () => {
  it('defaults to the embedded DuckDB backend', () => {
    expect(jobsConfigSchema.parse({})).toMatchObject({
      backend: 'duckdb',
      process_every: 5_000,
      default_lock_lifetime: 600_000,
      stop_timeout: 10_000,
      remove_on_complete: true,
      table: 'aida_jobs',
    });
  });

  it.each(['postgres', 'redis', 'mongo'] as const)('requires url for %s and says which backend needs it', (backend) => {
    const result = jobsConfigSchema.safeParse({ backend });
    expect(result.success).toBe(false);
    const issue = result.error!.issues[0]!;
    expect(issue.path).toEqual(['url']);
    expect(issue.message).toContain(`jobs.backend '${backend}' needs jobs.url`);
  });

  it('rejects bad durations, unknown keys and unsafe table names', () => {
    expect(jobsConfigSchema.safeParse({ process_every: 'often' }).success).toBe(false);
    expect(jobsConfigSchema.safeParse({ default_lock_lifetime: '0s' }).error?.issues[0]?.message).toBe('must be at least 1ms; got "0s"');
    expect(jobsConfigSchema.safeParse({ backnd: 'postgres' }).success).toBe(false);
    expect(jobsConfigSchema.safeParse({ backend: 'postgres', url: 'postgresql://x/y', table: 'Jobs"; DROP' }).success).toBe(false);
    expect(jobsConfigSchema.parse({ backend: 'redis', url: 'redis://h:6379', key_prefix: 'a:' }).key_prefix).toBe('a:');
  });
});

describe('redactUrl', () => {
  it('hides the password of a connection string', () => {
    expect(redactUrl('postgresql://aida:s3cret@db:5432/aida')).toBe('postgresql://aida:***@db:5432/aida');
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});
