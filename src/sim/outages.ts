// Provider outages on a schedule (`outages`, counted from the first provider request) or on demand (`down`): the
// endpoint refuses connections, as a crashed server or a dead load balancer does, or answers every provider request
// with 503 (529 `overloaded_error` for Anthropic), as an overloaded one does.

import type { Server } from 'node:http';
import type { SimOutage } from './sim-options.js';

export interface Outages {
  /** Called with each provider request: starts the schedule's clock on the first. */
  noteRequest(): void;
  /** The kind of outage under way, if any. */
  readonly current: 'refuse' | '503' | undefined;
  /** Starts an outage now for `ms` milliseconds. */
  down(ms: number, kind: 'refuse' | '503'): void;
  /** Outages started so far, scheduled or on demand. */
  readonly started: number;
  close(): void;
}

export function createOutages(
  schedule: readonly Required<SimOutage>[],
  server: Server,
  listen: () => Promise<void>,
): Outages {
  const timers = new Set<NodeJS.Timeout>();
  let current: 'refuse' | '503' | undefined;
  let clockStarted = false;
  let started = 0;
  let closed = false;
  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closed) run();
    }, ms);
    timers.add(timer);
  };
  const down = (ms: number, kind: 'refuse' | '503') => {
    started++;
    current = kind;
    if (kind === 'refuse') {
      server.close();
      server.closeAllConnections();
    }
    later(ms, () => {
      current = undefined;
      if (kind === 'refuse') void listen();
    });
  };
  return {
    noteRequest() {
      if (clockStarted) return;
      clockStarted = true;
      for (const outage of schedule) later(outage.atS * 1000, () => down(outage.forS * 1000, outage.kind));
    },
    get current() {
      return current;
    },
    down,
    get started() {
      return started;
    },
    close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
