// The Jira source as the host sees it: six tables, an extract that is the backfill, and the
// webhook that keeps them current between extractions.
import type { Connector, DiscoveredTable, ExtractReport, ExtractRequest, RouteDefinition, ServiceHealth } from '@aida/core';
import { SerialQueue } from '@aida/core';
import type { TableDefinition } from './transform/index.js';

export interface JiraConnectorOptions {
  source: string;
  tables: readonly TableDefinition[];
  routes: readonly RouteDefinition[];
  /** Runs one backfill pass; passes of one source never overlap. */
  backfill: (request: ExtractRequest) => Promise<ExtractReport>;
  health: () => ServiceHealth;
  /** Resolves when every webhook received so far is written. */
  idle: () => Promise<void>;
}

export class JiraConnector implements Connector {
  readonly sourceType = 'jira';
  readonly source: string;
  readonly routes: readonly RouteDefinition[];
  private readonly passes = new SerialQueue();

  constructor(private readonly o: JiraConnectorOptions) {
    this.source = o.source;
    this.routes = o.routes;
  }

  discover(): Promise<DiscoveredTable[]> {
    return Promise.resolve(
      this.o.tables.map((t) => ({
        name: t.name,
        description: t.description,
        bucket: 'jira',
        columns: t.columns.map((c) => ({ name: c.name, type: c.type })),
        primaryKey: [...t.primaryKey],
      })),
    );
  }

  /** The tables are written by pushes (the engine's single writer), not by this request's writer. */
  extract(request: ExtractRequest): Promise<ExtractReport> {
    return this.passes.run(() => this.o.backfill(request));
  }

  health(): ServiceHealth {
    return this.o.health();
  }

  /** Resolves when every webhook and job request received so far has been refetched and written (tests, benchmarks, shutdown). */
  idle(): Promise<void> {
    return this.o.idle();
  }
}
