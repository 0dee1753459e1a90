// The Prometheus metrics of a run (`llmap run --metrics-port/--metrics-push`) or of a worker's runs (`llmap worker`):
// a /metrics endpoint, pushes to a Pushgateway, or both. Runs are read at scrape or push time (run-collector.ts), so
// the per-row path pays nothing for being watched.

import { redactUrl } from '../../job/secret.js';
import type { ObservedRun } from '../observed-run.js';
import { startPushing, type MetricsPusher, type PushGroup } from './metrics-push.js';
import { serveMetrics, type MetricsServer } from './metrics-server.js';
import { registryOf } from './prometheus-registry.js';
import { RunCollector, type ObservedHandle } from './run-collector.js';

export interface MetricsOptions {
  /** Serve /metrics on this port (0: any free one). */
  readonly port?: number;
  readonly host: string;
  /** A Pushgateway URL to push to during and at the end of the run. */
  readonly push?: string;
  /** Grouping labels of the pushes (a worker: its name); default: the job's name, `llmap_job`. */
  readonly pushGroup?: Readonly<Record<string, string>>;
}

export interface MetricsDeps {
  readonly now?: () => number;
  /** Seconds between pushes. @default 10 */
  readonly pushEveryMs?: number;
  /** A push that failed, or works again. @default a line on stderr */
  readonly warn?: (message: string) => void;
}

export interface MetricsEndpoint {
  /** Where /metrics is served, once listening. */
  readonly url: string | undefined;
  /** A run whose counters the endpoint now shows (a worker's runs one after another); `name` replaces the job's
   * name taken from its output. End it when the run is over to free its gauges (its counters stay). */
  observe(run: ObservedRun, name?: string): ObservedHandle;
  /** The text a scrape would get now. */
  scrape(): Promise<string>;
  /** The last push, and the server closed. */
  close(): Promise<void>;
}

/** The Pushgateway's `job` label: llmap's pushes, grouped under it by job (or worker). */
export const PUSH_JOB = 'llmap';
const PUSH_EVERY_MS = 10_000;

export async function startMetrics(options: MetricsOptions, deps: MetricsDeps = {}): Promise<MetricsEndpoint> {
  const collector = new RunCollector(deps.now ?? Date.now);
  const registry = () => registryOf(collector.samples());
  const server: MetricsServer | undefined =
    options.port === undefined
      ? undefined
      : await serveMetrics(options.host, options.port, async () => {
          const current = registry();
          return { contentType: current.contentType, body: await current.metrics() };
        });
  const group = (): PushGroup | undefined => {
    if (options.pushGroup) return { job: PUSH_JOB, labels: options.pushGroup };
    const labels = collector.firstLabels;
    return labels && { job: PUSH_JOB, labels: { llmap_job: labels.llmap_job } };
  };
  const pusher: MetricsPusher | undefined =
    options.push === undefined
      ? undefined
      : startPushing({
          url: options.push,
          everyMs: deps.pushEveryMs ?? PUSH_EVERY_MS,
          group,
          registry,
          warn: deps.warn ?? ((message) => process.stderr.write(`llmap: ${message}\n`)),
        });
  return {
    url: server?.url,
    observe: (run, name) => collector.observe(run, name),
    scrape: () => registry().metrics(),
    async close() {
      await Promise.all([pusher?.close(), server?.close()]);
    },
  };
}

/** Where the metrics go, as a line for whoever watches (no password of a push URL). */
export function describeMetrics(endpoint: MetricsEndpoint, options: MetricsOptions): string {
  return [endpoint.url, options.push && `pushed to ${redactUrl(options.push)}`].filter(Boolean).join(', ');
}
