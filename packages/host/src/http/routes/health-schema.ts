import { z } from 'zod';
import { isoTimestamp } from '@aida/core';

const part = z.object({ status: z.enum(['healthy', 'degraded', 'unhealthy']), detail: z.string().optional() });

/** The answer of `GET /api/health`, for /api/openapi.json. */
export const healthSchema = z.object({
  status: part.shape.status.meta({ description: 'The worst of the parts; `unhealthy` answers with status 503' }),
  version: z.string(),
  schema_version: z.number().int(),
  timestamp: isoTimestamp,
  services: z.record(z.string(), part),
  plugins: z.array(z.object({ id: z.string(), kind: z.string(), status: z.string() })),
});
