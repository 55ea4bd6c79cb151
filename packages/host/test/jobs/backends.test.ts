import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { DuckDbSystemDb, type SystemDb } from '../../src/state/system-db.js';
import { jobsConfigSchema, type JobsConfigInput } from '../../src/jobs/config.js';
import { createJobsBackend } from '../../src/jobs/backends.js';
import { JobScheduler } from '../../src/jobs/scheduler.js';

const logger = pino({ level: process.env.AIDA_TEST_LOG ?? 'silent' });

describe('createJobsBackend and startup failures', () => {
  let dir: string;
  let systemDb: SystemDb;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aida-jobs-backend-'));
    systemDb = await DuckDbSystemDb.open(join(dir, 'system.duckdb'));
  });

  afterEach(async () => {
    await systemDb.close();
    await rm(dir, { recursive: true, force: true });
  });

  const create = (config: JobsConfigInput) => JobScheduler.create({ config: jobsConfigSchema.parse(config), systemDb, logger, instanceName: 'test' });

  it('picks the engine named in config', async () => {
    expect((await createJobsBackend(jobsConfigSchema.parse({}), { systemDb, logger })).name).toBe('DuckDB');
    const pg = await createJobsBackend(jobsConfigSchema.parse({ backend: 'postgres', url: 'postgresql://u:p@127.0.0.1:1/x' }), { systemDb, logger });
    expect(pg.name).toBe('PostgreSQL');
    await pg.disconnect();
  });

  it('fails startup with a coded error when system.duckdb has not been migrated', async () => {
    await expect(create({})).rejects.toMatchObject({ code: 'AIDA_JOBS_BACKEND_UNAVAILABLE', message: expect.stringMatching(/no jobs table/) });
  });

  it('fails startup with a coded error naming the engine, password hidden, when postgres is unreachable', async () => {
    const err = await create({ backend: 'postgres', url: 'postgresql://aida:s3cret@127.0.0.1:1/aida' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AIDA_JOBS_BACKEND_UNAVAILABLE', message: expect.stringContaining('postgres job backend') });
    expect(String((err as Error).message)).not.toContain('s3cret');
  });

  it('fails startup the same way when mongo is unreachable', async () => {
    const err = await create({ backend: 'mongo', url: 'mongodb://127.0.0.1:1/aida?serverSelectionTimeoutMS=300' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AIDA_JOBS_BACKEND_UNAVAILABLE', message: expect.stringContaining('mongo job backend') });
  });
});
