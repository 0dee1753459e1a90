// Pushes to a Prometheus Pushgateway, for a job too short to be scraped: every `everyMs` while the run goes, and once
// more at the end with its final values. Each push replaces the group (PUT), so the gateway holds the run's state as
// last pushed. A failed push does not stop the run: it is said once, and again when pushes work again.

import { Pushgateway, type Registry } from 'prom-client';
import { redactArgs, redactUrl } from '../../job/secret.js';

/** Where a push goes on the gateway: `/metrics/job/<job>/<label>/<value>…`. */
export interface PushGroup {
  readonly job: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface MetricsPusher {
  /** The last push, once any push under way is done. */
  close(): Promise<void>;
}

export interface PushSettings {
  readonly url: string;
  readonly everyMs: number;
  /** The group to push to; undefined: nothing to push yet (no run observed). */
  readonly group: () => PushGroup | undefined;
  readonly registry: () => Registry;
  readonly warn: (message: string) => void;
  readonly timeoutMs?: number;
}

export function startPushing(settings: PushSettings): MetricsPusher {
  let pushing: Promise<void> | undefined;
  let failing = false;
  const shown = redactUrl(settings.url);
  const pushOnce = async () => {
    const group = settings.group();
    if (!group) return;
    const gateway = new Pushgateway(settings.url, { timeout: settings.timeoutMs ?? 5000 }, settings.registry());
    try {
      await gateway.push({ jobName: group.job, groupings: { ...group.labels } });
      if (failing) settings.warn(`metrics pushed to ${shown} again`);
      failing = false;
    } catch (error) {
      if (!failing)
        settings.warn(`cannot push metrics to ${shown}: ${redactArgs([(error as Error).message]).join('')}`);
      failing = true;
    }
  };
  const push = () => (pushing ??= pushOnce().finally(() => (pushing = undefined)));
  const timer = setInterval(() => void push(), settings.everyMs);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await pushing;
      await push();
    },
  };
}
