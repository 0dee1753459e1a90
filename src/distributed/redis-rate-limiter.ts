// One rate limit for every worker of a job, kept in Redis. Each budget (requests; tokens; Anthropic's input and output
// tokens) is a GCRA cell: a "theoretical arrival time" that each grant pushes on by cost / rate, and a grant is allowed
// while that time is at most a burst ahead of now. The whole check-and-take of every budget a request draws on is one
// Lua script, so workers on any number of machines cannot both take the last of a budget; the time is Redis's own
// (`TIME`), so workers' clocks may be skewed. Limits learned from any worker's response headers are written to the
// same cells and pace every worker from the next grant on. A 429 seen by any worker pauses all of them until its
// retry hint and lowers the shared pace by a fifth (at most once a second); the pace climbs back by 2% of the limit a
// second, as the one-machine limiter does.
//
// Nothing a worker holds shrinks the limit for good: a grant is spent when it is given (as OpenAI charges a request
// when it arrives), and the in-flight slots of the global concurrency are leases that expire unless renewed, so a
// worker killed with SIGKILL gives its slots back after one lease.

import type { Redis } from 'ioredis';
import { redisScript } from '../store/redis/redis-script.js';
import { BACKOFF, BACKOFF_EVERY_MS, BURST_MS, MIN_FACTOR, MINUTE_MS, PROBE_PER_S } from '../executor/rate-limiter.js';

/** The job's limiter state goes away when no worker has touched it for this long. */
const IDLE_TTL_MS = 3_600_000;

/** Redis's clock in milliseconds, and the pace factor as it has recovered since the last cut. */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local key = KEYS[1]
local factor = tonumber(redis.call('HGET', key, 'factor') or '1')
local cutAt = tonumber(redis.call('HGET', key, 'cutAt') or '0')
factor = math.min(1, factor + ${PROBE_PER_S} * (now - cutAt) / 1000)
`;

/**
 * ARGV: budget, cost, budget, cost, ... Returns 0 when every budget granted its cost (and takes it), else the
 * milliseconds to wait before trying again (nothing taken).
 */
const TAKE = `${PRELUDE}
redis.call('PEXPIRE', key, ${IDLE_TTL_MS})
local paused = tonumber(redis.call('HGET', key, 'pausedUntil') or '0')
if paused > now then return paused - now end
local wait = 0
local next = {}
for i = 1, #ARGV, 2 do
  local budget = ARGV[i]
  local cost = tonumber(ARGV[i + 1])
  local limit = tonumber(redis.call('HGET', key, budget .. ':limit') or '0')
  if limit > 0 and cost > 0 then
    local interval = ${MINUTE_MS} / (limit * factor)
    local tat = math.max(tonumber(redis.call('HGET', key, budget .. ':tat') or '0'), now)
    if tat - now > ${BURST_MS} then wait = math.max(wait, tat - now - ${BURST_MS}) end
    next[#next + 1] = budget .. ':tat'
    next[#next + 1] = tostring(tat + cost * interval)
  end
end
if wait > 0 then return math.ceil(wait) end
if #next > 0 then redis.call('HSET', key, unpack(next)) end
return 0
`;

/** ARGV: budget, cost, ... Gives back what a grant did not use (never below now). */
const REFUND = `${PRELUDE}
for i = 1, #ARGV, 2 do
  local budget = ARGV[i]
  local limit = tonumber(redis.call('HGET', key, budget .. ':limit') or '0')
  local tat = tonumber(redis.call('HGET', key, budget .. ':tat') or '0')
  if limit > 0 and tat > now then
    local back = tonumber(ARGV[i + 1]) * ${MINUTE_MS} / (limit * factor)
    redis.call('HSET', key, budget .. ':tat', tostring(math.max(now, tat - back)))
  end
end
return 0
`;

/** ARGV: retry-after ms. Pauses every worker and cuts the pace (once a second at most). */
const REFUSED = `${PRELUDE}
local untilAt = now + tonumber(ARGV[1])
local paused = tonumber(redis.call('HGET', key, 'pausedUntil') or '0')
if untilAt > paused then redis.call('HSET', key, 'pausedUntil', tostring(untilAt)) end
if now - cutAt >= ${BACKOFF_EVERY_MS} then
  redis.call('HSET', key, 'factor', tostring(math.max(${MIN_FACTOR}, factor * ${BACKOFF})), 'cutAt', tostring(now))
end
return 0
`;

/** KEYS[1]: the leases. ARGV: lease id, most in flight, lease ms. 1 when the slot is taken, else 0. */
const LEASE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ${IDLE_TTL_MS})
return 1
`;

/** KEYS[1]: the leases. ARGV: lease ms, ids... Extends the leases still held; returns how many were. */
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local held = 0
for i = 2, #ARGV do
  held = held + redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[i])
end
return held
`;

/**
 * KEYS[1]: the limits, KEYS[2]: the workers drawing on them. ARGV: this worker's id, how long its membership lasts.
 * Renews the membership and returns what a worker paces itself by between grants: the pace factor, the ms left of
 * a pause, the workers sharing the limit, and each budget's limit.
 */
const SNAPSHOT = `${PRELUDE}
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[2], ${IDLE_TTL_MS})
local paused = tonumber(redis.call('HGET', key, 'pausedUntil') or '0')
local out = { tostring(factor), math.max(0, paused - now), redis.call('ZCARD', KEYS[2]) }
for i = 3, #ARGV do out[#out + 1] = redis.call('HGET', key, ARGV[i] .. ':limit') or '0' end
return out
`;

/** The shared limits as one worker last read them. */
export interface LimitsSnapshot {
  /** The shared pace, as a share of the limits (1 unless a 429 cut it). */
  readonly factor: number;
  /** Milliseconds until a pause some worker's 429 started is over (0: none). */
  readonly pausedForMs: number;
  /** Workers that read the limits within the last membership period, this one included. */
  readonly workers: number;
  /** Per-minute limits known, by budget (absent: unknown). */
  readonly limits: Readonly<Record<string, number>>;
}

const scripts = {
  take: redisScript(TAKE),
  refund: redisScript(REFUND),
  refused: redisScript(REFUSED),
  lease: redisScript(LEASE),
  renew: redisScript(RENEW),
  snapshot: redisScript(SNAPSHOT),
};

/** What one request draws on each budget ('requests', 'tokens', 'input-tokens', 'output-tokens'). */
export type Costs = Readonly<Record<string, number>>;

export interface RedisRateLimiterOptions {
  readonly redis: Redis;
  /** The job's key prefix: every worker of the job shares it (e.g. `llmap:<job fingerprint>`). */
  readonly prefix: string;
  /** How long an in-flight slot is held without being renewed. @default 30000 */
  readonly leaseMs?: number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export class RedisRateLimiter {
  readonly #redis: Redis;
  readonly #state: string;
  readonly #leases: string;
  readonly #members: string;
  readonly #leaseMs: number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  #leaseSequence = 0;
  readonly #worker = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

  constructor(options: RedisRateLimiterOptions) {
    this.#redis = options.redis;
    this.#state = `${options.prefix}:limits`;
    this.#leases = `${options.prefix}:in-flight`;
    this.#members = `${options.prefix}:workers`;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#sleep =
      options.sleep ??
      ((ms, signal) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, ms);
          signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason as Error)), {
            once: true,
          });
        }));
  }

  /** A budget's limit per minute, as a provider's headers (or the user) gave it; every worker paces by it at once. */
  async learn(budget: string, perMinute: number): Promise<void> {
    await this.#redis.hset(this.#state, `${budget}:limit`, String(perMinute));
  }

  /** Takes `costs` from every budget at once if they all allow it: 0, else the milliseconds to wait. */
  async tryTake(costs: Costs): Promise<number> {
    const args = Object.entries(costs).flat().map(String);
    return Number(await scripts.take(this.#redis, [this.#state], args));
  }

  /** Waits until `costs` can be taken, and takes them. */
  async take(costs: Costs, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const wait = await this.tryTake(costs);
      if (wait === 0) return;
      await this.#sleep(wait, signal);
    }
  }

  /** Gives back what a grant reserved and did not use (Anthropic's output tokens). */
  async refund(costs: Costs): Promise<void> {
    const args = Object.entries(costs).flat().map(String);
    await scripts.refund(this.#redis, [this.#state], args);
  }

  /** A worker met a 429: every worker waits `retryAfterMs`, and the shared pace drops by a fifth. */
  async refused(retryAfterMs: number): Promise<void> {
    await scripts.refused(this.#redis, [this.#state], [String(Math.max(0, Math.round(retryAfterMs)))]);
  }

  /** Renews this worker's membership (for `membershipMs`) and reads the shared limits. */
  async snapshot(budgets: readonly string[], membershipMs: number): Promise<LimitsSnapshot> {
    const keys = [this.#state, this.#members];
    const args = [this.#worker, String(membershipMs), ...budgets];
    const reply = (await scripts.snapshot(this.#redis, keys, args)) as (string | number)[];
    const limits: Record<string, number> = {};
    budgets.forEach((budget, i) => {
      const limit = Number(reply[3 + i]);
      if (limit > 0) limits[budget] = limit;
    });
    return { factor: Number(reply[0]), pausedForMs: Number(reply[1]), workers: Number(reply[2]), limits };
  }

  /** One of at most `max` requests in flight over all workers: a lease id, or undefined when all are taken. */
  async tryLease(max: number): Promise<string | undefined> {
    const id = `${this.#worker}:${++this.#leaseSequence}`;
    const taken = await scripts.lease(this.#redis, [this.#leases], [id, String(max), String(this.#leaseMs)]);
    return Number(taken) === 1 ? id : undefined;
  }

  /** Extends the leases this worker holds (call more often than the lease length); returns how many were held. */
  async renew(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return Number(await scripts.renew(this.#redis, [this.#leases], [String(this.#leaseMs), ...ids]));
  }

  async release(id: string): Promise<void> {
    await this.#redis.zrem(this.#leases, id);
  }

  /** Requests in flight over all workers (leases not expired). */
  async inFlight(): Promise<number> {
    const now = await this.#redis.time();
    const ms = Number(now[0]) * 1000 + Math.floor(Number(now[1]) / 1000);
    return this.#redis.zcount(this.#leases, `(${ms}`, '+inf');
  }
}
