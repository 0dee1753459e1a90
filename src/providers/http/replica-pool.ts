// Spreads requests over one or more base URLs (`--base-url` repeated) and steers around a replica that fails:
// after a network error or 5xx it is avoided for a cooldown that grows with consecutive failures.

export interface Replica {
  readonly baseUrl: URL;
  /** Index in the pool, stable for the run. */
  readonly index: number;
}

interface ReplicaHealth {
  consecutiveFailures: number;
  avoidUntil: number;
  inFlight: number;
}

export interface ReplicaPoolOptions {
  readonly now?: () => number;
  /** First cooldown after a failure; doubles per consecutive failure up to `maxCooldownMs`. */
  readonly baseCooldownMs?: number;
  readonly maxCooldownMs?: number;
}

export class ReplicaPool {
  readonly replicas: readonly Replica[];
  readonly #health: ReplicaHealth[];
  readonly #now: () => number;
  readonly #baseCooldownMs: number;
  readonly #maxCooldownMs: number;
  #next = 0;

  constructor(baseUrls: readonly URL[], options: ReplicaPoolOptions = {}) {
    if (baseUrls.length === 0) throw new Error('ReplicaPool needs at least one base URL');
    this.replicas = baseUrls.map((baseUrl, index) => ({ baseUrl, index }));
    this.#health = baseUrls.map(() => ({ consecutiveFailures: 0, avoidUntil: 0, inFlight: 0 }));
    this.#now = options.now ?? Date.now;
    this.#baseCooldownMs = options.baseCooldownMs ?? 1000;
    this.#maxCooldownMs = options.maxCooldownMs ?? 30_000;
  }

  /**
   * The healthy replica with the fewest requests in flight (round-robin among equals). When every replica is
   * cooling down, the one that recovers first: a request is never refused for want of a replica.
   */
  acquire(): Replica {
    const count = this.replicas.length;
    if (count === 1) return this.#take(0);
    const now = this.#now();
    let best = -1;
    for (let step = 0; step < count; step++) {
      const i = (this.#next + step) % count;
      const health = this.#health[i]!;
      if (health.avoidUntil > now) continue;
      if (best === -1 || health.inFlight < this.#health[best]!.inFlight) best = i;
    }
    if (best === -1) {
      best = 0;
      for (let i = 1; i < count; i++) if (this.#health[i]!.avoidUntil < this.#health[best]!.avoidUntil) best = i;
    }
    this.#next = (best + 1) % count;
    return this.#take(best);
  }

  /** Reports how a request on `replica` ended; `healthy: false` for network errors and 5xx. */
  release(replica: Replica, healthy: boolean): void {
    const health = this.#health[replica.index]!;
    health.inFlight--;
    if (healthy) {
      health.consecutiveFailures = 0;
      health.avoidUntil = 0;
      return;
    }
    health.consecutiveFailures++;
    if (this.replicas.length === 1) return;
    const cooldown = Math.min(this.#maxCooldownMs, this.#baseCooldownMs * 2 ** (health.consecutiveFailures - 1));
    health.avoidUntil = this.#now() + cooldown;
  }

  #take(index: number): Replica {
    this.#health[index]!.inFlight++;
    return this.replicas[index]!;
  }
}
