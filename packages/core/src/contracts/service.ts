export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface ServiceHealth {
  status: HealthStatus;
  detail?: string;
}

/** A background unit the host starts after every plugin has initialised and stops on shutdown. */
export interface Service {
  readonly id: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): Promise<ServiceHealth> | ServiceHealth;
}

export interface ServiceRegistry {
  register(service: Service): void;
  list(): readonly Service[];
}
