import type { Server } from 'node:http';
import type Koa from 'koa';
import type { Connector, ExtractReport } from './connector.js';
import type { Orchestrator, RebuildResult } from './orchestrator.js';
import type { Token } from '../tokens.js';

export interface SyncResult {
  source: string;
  report: ExtractReport;
  /** Set when the whole extraction failed (then the previous extract was kept). */
  error?: string;
  rebuild?: RebuildResult;
}

/** What `createHost()` returns; the contract `@aida/core/testing` drives hosts through. */
export interface AidaHost {
  readonly koa: Koa;
  /**
   * The value the root provides for `token` (a host service, a plugin's provided value or a
   * test override). The DI container itself stays inside the host.
   */
  resolve<T>(token: Token<T>): T;
  readonly dataDir: string;
  readonly orchestrator: Orchestrator;
  /** Migrations, plugin init in dependency order, services and jobs. */
  start(): Promise<void>;
  /** Stops jobs and services, closes databases; safe to call twice. */
  stop(): Promise<void>;
  /** Starts an HTTP server for this host (the embedding app may mount `koa` instead). */
  listen(port?: number, hostname?: string): Promise<{ url: string; port: number; close(): Promise<void> }>;
  /**
   * Serves what is not plain HTTP (the WebSocket gateway at `<mountPath>/ws`) on a server the
   * embedding app created; `listen` does this itself. Call it after `start`. `mountPath` is
   * where the app mounted `koa` (`/data`); the path of `instance.base_url` when omitted.
   */
  attach(server: Server, options?: { mountPath?: string }): void;
  /** The connector that provides a source, once the host has started. */
  connector(source: string): Connector | undefined;
  /** Extracts one source (all its tables, or the listed ones) and rebuilds the analytics database. */
  syncSource(source: string, tables?: readonly string[]): Promise<SyncResult>;
}
