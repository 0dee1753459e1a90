// A latency histogram with fixed bucket bounds, cheap enough for the per-row path (a few comparisons and an add):
// the metrics expose it as a Prometheus histogram at scrape time, and the report reads its quantiles.

/** Upper bounds in seconds: 5 ms to 10 minutes, covering a cache hit and a long batch-sized answer. */
export const LATENCY_BUCKETS_S = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320, 600,
] as const;

export class LatencyHistogram {
  /** Observations at or below each bound (not cumulative); the last slot counts those above every bound. */
  readonly counts = new Array<number>(LATENCY_BUCKETS_S.length + 1).fill(0);
  count = 0;
  sumSeconds = 0;

  observe(ms: number): void {
    const s = ms / 1000;
    let i = 0;
    while (i < LATENCY_BUCKETS_S.length && s > LATENCY_BUCKETS_S[i]!) i++;
    this.counts[i]!++;
    this.count++;
    this.sumSeconds += s;
  }

  /** The bucket bound at or below which the quantile q (0..1) falls, in seconds (an upper estimate). */
  quantile(q: number): number | undefined {
    if (this.count === 0) return undefined;
    const rank = q * this.count;
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return LATENCY_BUCKETS_S[i] ?? Number.POSITIVE_INFINITY;
    }
    return Number.POSITIVE_INFINITY;
  }
}
