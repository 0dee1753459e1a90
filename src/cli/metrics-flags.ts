// The metrics flags `run` and `worker` share (`--metrics-port`, `--metrics-host`, `--metrics-push`), checked with
// messages that name the flag.

import { InputError } from '../job/input-error.js';
import type { MetricsOptions } from '../observe/metrics/metrics-endpoint.js';

export interface MetricsFlags {
  readonly metricsPort?: string | number;
  readonly metricsHost?: string;
  readonly metricsPush?: string;
}

/** The metrics flags, checked, and the options without them. */
export function metricsOptions<T extends MetricsFlags>(
  flags: T,
): { metrics: MetricsOptions | undefined; rest: Omit<T, keyof MetricsFlags> } {
  const { metricsPort, metricsHost, metricsPush, ...rest } = flags;
  if (metricsPort === undefined && metricsPush === undefined) return { metrics: undefined, rest };
  const port = metricsPort === undefined ? undefined : Number(metricsPort);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new InputError(`Expected \`--metrics-port\` to be a port number (0 to 65535), got ${String(metricsPort)}`);
  }
  if (metricsPush !== undefined && !/^https?:\/\/./.test(metricsPush)) {
    throw new InputError(`Expected \`--metrics-push\` to be a Pushgateway URL (http://host:9091), got ${metricsPush}`);
  }
  return {
    metrics: {
      ...(port === undefined ? {} : { port }),
      host: metricsHost ?? '127.0.0.1',
      ...(metricsPush === undefined ? {} : { push: metricsPush }),
    },
    rest,
  };
}
