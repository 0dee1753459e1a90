// PLACEHOLDER (being built): the Prometheus endpoint of a run.
import type { ObservedRun } from '../observed-run.js';

export interface MetricsOptions {
  /** Serve /metrics on this port (0: any free one). */
  readonly port?: number;
  readonly host: string;
  /** A Pushgateway URL to push to during and at the end of the run. */
  readonly push?: string;
}

export interface MetricsEndpoint {
  /** Where /metrics is served, once listening. */
  readonly url: string | undefined;
  /** A run whose counters the endpoint now shows (a worker's runs one after another). */
  observe(run: ObservedRun): void;
  /** The last push, and the server closed. */
  close(): Promise<void>;
}

export function startMetrics(_options: MetricsOptions): Promise<MetricsEndpoint> {
  return Promise.reject(new Error('metrics are not built yet'));
}
