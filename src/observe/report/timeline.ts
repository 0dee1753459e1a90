// Throughput and latency over a run, for the report's charts: the run's counters read once a second (never on the
// per-row path) and kept as points; a long run keeps at most MAX_POINTS of them by halving its resolution.

import type { RunStats } from '../run-stats.js';

export interface TimelinePoint {
  /** Seconds since the run started. */
  readonly t: number;
  /** Rows done (every status), calls made and their latencies summed, so far. */
  readonly rows: number;
  readonly calls: number;
  readonly latencySeconds: number;
}

/** A rate between two points: rows per second, and the calls' mean latency. */
export interface TimelineRate {
  readonly t: number;
  readonly rowsPerSecond: number;
  readonly meanLatencySeconds: number | undefined;
}

const MAX_POINTS = 600;

export class Timeline {
  private points: TimelinePoint[] = [];
  private everyMs = 1000;
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt: number;

  constructor(
    private readonly stats: RunStats,
    private readonly now: () => number,
  ) {
    this.startedAt = now();
    this.sample();
  }

  start(): void {
    this.schedule();
  }

  /** The last point, and no more. */
  stop(): readonly TimelinePoint[] {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.sample();
    return this.points;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.sample();
      if (this.points.length > MAX_POINTS) {
        this.points = this.points.filter((_, i) => i % 2 === 0 || i === this.points.length - 1);
        this.everyMs *= 2;
      }
      this.schedule();
    }, this.everyMs);
    this.timer.unref();
  }

  private sample(): void {
    const { stats } = this;
    this.points.push({
      t: (this.now() - this.startedAt) / 1000,
      rows: stats.done,
      calls: stats.requests.calls,
      latencySeconds: stats.requests.latency.sumSeconds,
    });
  }
}

export function timelineRates(points: readonly TimelinePoint[]): TimelineRate[] {
  const rates: TimelineRate[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const dt = b.t - a.t;
    if (dt <= 0) continue;
    const calls = b.calls - a.calls;
    rates.push({
      t: b.t,
      rowsPerSecond: Math.max(0, b.rows - a.rows) / dt,
      meanLatencySeconds: calls > 0 ? (b.latencySeconds - a.latencySeconds) / calls : undefined,
    });
  }
  return rates;
}
