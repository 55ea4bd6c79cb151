import type { HealthStatus, RouteDefinition, ServiceHealth } from '@aida/core';
import { healthSchema } from './health-schema.js';

export interface HealthSource {
  version: string;
  schemaVersion(): number;
  services(): Promise<Record<string, ServiceHealth>>;
  plugins(): { id: string; kind: string; status: string }[];
}

/** Worst of the parts: one unhealthy part makes the whole unhealthy, one degraded makes it degraded. */
export function overallStatus(parts: ServiceHealth[]): HealthStatus {
  if (parts.some((p) => p.status === 'unhealthy')) return 'unhealthy';
  if (parts.some((p) => p.status === 'degraded')) return 'degraded';
  return 'healthy';
}

export function healthRoute(source: HealthSource): RouteDefinition {
  return {
    method: 'GET',
    path: '/api/health',
    access: 'public',
    summary: 'Health of the host, its services and plugins',
    output: { body: healthSchema, errors: { 503: 'Unhealthy: the same body, with status `unhealthy`' } },
    async handler(ctx) {
      const services = await source.services();
      const status = overallStatus(Object.values(services));
      ctx.status = status === 'unhealthy' ? 503 : 200;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = {
        status,
        version: source.version,
        schema_version: source.schemaVersion(),
        timestamp: new Date().toISOString(),
        services,
        plugins: source.plugins(),
      };
    },
  };
}
