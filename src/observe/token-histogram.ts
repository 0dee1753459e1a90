// Tokens per provider call in fixed buckets (OpenTelemetry's recommended bounds for `gen_ai.client.token.usage`),
// cheap enough for every call: the metrics expose it as a Prometheus histogram at scrape time.

/** Upper bounds in tokens: 1 to 64 Mi, by fours. */
export const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
] as const;

export class TokenHistogram {
  /** Observations at or below each bound (not cumulative); the last slot counts those above every bound. */
  readonly counts = new Array<number>(TOKEN_BUCKETS.length + 1).fill(0);
  count = 0;
  sum = 0;

  observe(tokens: number): void {
    let i = 0;
    while (i < TOKEN_BUCKETS.length && tokens > TOKEN_BUCKETS[i]!) i++;
    this.counts[i]!++;
    this.count++;
    this.sum += tokens;
  }
}
