// The ledger of one shard of a distributed job, in Redis under the shard's key prefix (dropped once the shard is
// published): entries in one hash keyed by `entryKey(row id, sample)`, each a compact JSON array; per-status counters
// and paid tokens kept by the checkpoint script (as the SQLite ledger's triggers keep them), so `counts` answers at
// once however many rows; the job's spend per model; the run's metadata; the few long strings every entry repeats.
// A checkpoint is one Lua script: entries, counters, spend and metadata are written together or not at all, so a
// worker killed between checkpoints loses only what it recorded since the last.
import { randomUUID } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import { redisScript } from './redis-script.js';
import type { RowStatus } from '../../executor/answer-row.js';
import {
  entryKey,
  type LedgerCounts,
  type LedgerEntry,
  type LedgerStore,
  type ModelSpend,
  type OpenLedger,
  type RunMeta,
} from '../ledger-store.js';

export interface RedisLedgerOptions {
  /** Samples per row: `getMany` looks up samples 0 to `samples - 1` of each row id. */
  readonly samples: number;
}

/**
 * An entry as stored, a JSON array (a million rows of them may sit in Redis at once): the row id and sample are in
 * the field; the check and the model, the same in nearly every entry, are ids of strings interned in a list; what
 * the counters count comes first, all numbers but the status word, so the checkpoint script reads it with a pattern
 * instead of decoding the JSON (twice as fast, and Redis serves no one else while the script runs); the optional
 * fields are in `extras`, itself absent when none is set.
 */
type StoredEntry = [
  checkedWith: number,
  model: number,
  status: RowStatus,
  cached: 0 | 1,
  inputTokens: number,
  outputTokens: number,
  batchInputTokens: number,
  batchOutputTokens: number,
  requestKey: string,
  promptHash: string,
  attempts: number,
  latencyMs: number,
  finishedAt: number,
  extras?: Extras,
];

interface Extras {
  a?: unknown;
  e?: string;
  r?: string;
  p?: string;
}

/** What the checkpoint sends of an entry: its stored form less the two interned strings, which Redis numbers. */
type SentEntry = StoredEntry extends [number, number, ...infer Rest] ? Rest : never;

/** Status, cached and the four token counts, as JSON.stringify writes them (tokens are whole and not negative). */
const COUNTED = `"(%a+)",([01]),(%d+),(%d+),(%d+),(%d+),`;

/**
 * KEYS: entries, counters, spend, meta, strings. ARGV: checkpoint token, meta JSON, the run's model, then of each
 * entry its field, checked-with, model and SentEntry JSON.
 * Each entry's old value (when replaced) is taken off the counters and its new value added; the paid tokens of the
 * new values are added to the run's model's spend, never taken off. The token makes a command ioredis resends after a
 * reconnect (when the first may have run) a no-op, so no spend is counted twice.
 */
const CHECKPOINT = `
if redis.call('HGET', KEYS[2], 'checkpoint') == ARGV[1] then return 0 end
-- Checked before anything is written: Redis keeps the writes of a script that fails half way.
for i = 7, #ARGV, 4 do
  if not string.match(ARGV[i], '^%[${COUNTED}') then return redis.error_reply('not a ledger entry: ' .. ARGV[i]) end
end
local ids = {}
for i, s in ipairs(redis.call('LRANGE', KEYS[5], 0, -1)) do ids[s] = i - 1 end
local function intern(s)
  if ids[s] == nil then ids[s] = redis.call('RPUSH', KEYS[5], s) - 1 end
  return ids[s]
end
local groups, tokens, spend, paid = {}, { 0, 0, 0, 0 }, { 0, 0, 0, 0 }, false
local function add(totals, by, i, o, bi, bo)
  totals[1], totals[2] = totals[1] + by * i, totals[2] + by * o
  totals[3], totals[4] = totals[3] + by * bi, totals[4] + by * bo
end
local function count(value, sign)
  local status, cached, i, o, bi, bo = string.match(value, '^%[%d+,%d+,${COUNTED}')
  local group = status .. ':' .. cached
  groups[group] = (groups[group] or 0) + sign
  if cached == '1' then return end
  add(tokens, sign, i, o, bi, bo)
  if sign > 0 then
    paid = true
    add(spend, 1, i, o, bi, bo)
  end
end
for i = 4, #ARGV, 4 do
  local old = redis.call('HGET', KEYS[1], ARGV[i])
  if old then count(old, -1) end
  local value = '[' .. intern(ARGV[i + 1]) .. ',' .. intern(ARGV[i + 2]) .. ',' .. string.sub(ARGV[i + 3], 2)
  redis.call('HSET', KEYS[1], ARGV[i], value)
  count(value, 1)
end
for group, by in pairs(groups) do
  if by ~= 0 then redis.call('HINCRBY', KEYS[2], group, string.format('%d', by)) end
end
local fields = { 'in', 'out', 'bin', 'bout' }
for t = 1, 4 do
  if tokens[t] ~= 0 then redis.call('HINCRBY', KEYS[2], fields[t], string.format('%d', tokens[t])) end
  -- Every field of a model that paid, even by 0 (as the SQLite ledger lists a model whose calls cost no tokens).
  if paid then redis.call('HINCRBY', KEYS[3], fields[t] .. ':' .. ARGV[3], string.format('%d', spend[t])) end
end
redis.call('HSET', KEYS[2], 'checkpoint', ARGV[1])
redis.call('SET', KEYS[4], ARGV[2])
return 1
`;
const checkpointScript = redisScript(CHECKPOINT);

type TokenField = 'in' | 'out' | 'bin' | 'bout';

function ledgerKeys(key: string) {
  return [`${key}:e`, `${key}:n`, `${key}:spend`, `${key}:meta`, `${key}:s`] as const;
}

/** Opens the ledger under `key` (e.g. `llmap:job:<fingerprint>:shard:3`); `close` leaves the connection open. */
export function openRedisLedger(redis: Redis, key: string, options: RedisLedgerOptions): LedgerStore {
  return ledgerAt(redis, key, options, Promise.resolve());
}

/** Deletes every key of the ledger under `key` (UNLINK: a big hash is freed off Redis's main thread). */
export async function dropRedisLedger(redis: Redis, key: string): Promise<void> {
  await redis.unlink(...ledgerKeys(key));
}

/**
 * An OpenLedger for the ledger under `key`, whatever the state directory. `fresh` drops the ledger before the first
 * operation (OpenLedger is synchronous; the drop is not), and a failed drop fails every operation after it.
 */
export function redisLedgerOpener(redis: Redis, key: string, options: RedisLedgerOptions): OpenLedger {
  return (_stateDir, { fresh = false } = {}) => {
    const ready = fresh ? dropRedisLedger(redis, key) : Promise.resolve();
    ready.catch(() => undefined);
    return ledgerAt(redis, key, options, ready);
  };
}

function ledgerAt(redis: Redis, key: string, options: RedisLedgerOptions, ready: Promise<void>): LedgerStore {
  if (!Number.isInteger(options.samples) || options.samples < 1) {
    throw new RangeError(`Expected \`samples\` to be a positive integer, got ${options.samples}`);
  }
  const keys = ledgerKeys(key);
  const [entries, counters, spend, meta, strings] = keys;
  let pending: LedgerEntry[] = [];
  return {
    async getMany(rowIds) {
      await ready;
      const wanted = rowIds.flatMap((rowId) =>
        Array.from({ length: options.samples }, (_, sample) => ({ rowId, sample })),
      );
      const found = new Map<string, LedgerEntry>();
      if (wanted.length === 0) return found;
      // An array, not spread arguments: a call takes at most some 100,000 arguments.
      const fields = wanted.map(({ rowId, sample }) => entryKey(rowId, sample));
      const [values, interned] = await inOneTransaction<[(string | null)[], string[]]>(
        redis
          .multi()
          .call('HMGET', [entries, ...fields])
          .lrange(strings, 0, -1),
      );
      wanted.forEach(({ rowId, sample }, i) => {
        const value = values[i];
        if (value) found.set(fields[i]!, fromStored(rowId, sample, JSON.parse(value) as StoredEntry, interned));
      });
      return found;
    },
    record(entry) {
      pending.push(entry);
    },
    async checkpoint(runMeta) {
      const batch = pending;
      pending = [];
      await ready;
      const args = [randomUUID(), JSON.stringify(runMeta), runMeta.model ?? ''];
      for (const e of batch) {
        args.push(entryKey(e.rowId, e.sample), e.checkedWith, e.model, JSON.stringify(toSent(e)));
      }
      await checkpointScript(redis, keys, args);
    },
    async readMeta() {
      await ready;
      const json = await redis.get(meta);
      return json === null ? undefined : (JSON.parse(json) as RunMeta);
    },
    async counts() {
      await ready;
      // In one transaction, so the counters and the spend are of the same checkpoint.
      const [counts, paid] = await inOneTransaction<[Record<string, string>, Record<string, string>]>(
        redis.multi().hgetall(counters).hgetall(spend),
      );
      return countsFrom(counts, paid);
    },
    async close() {
      pending = [];
      await ready;
    },
  };
}

/** The replies of a MULTI, or its first error. */
async function inOneTransaction<T extends unknown[]>(multi: ChainableCommander): Promise<T> {
  const replies = (await multi.exec()) ?? [];
  const error = replies.find(([failed]) => failed !== null)?.[0];
  if (error) throw error;
  return replies.map(([, reply]) => reply) as T;
}

function toSent(e: LedgerEntry): SentEntry {
  const extras: Extras = {};
  if (e.answer !== undefined) extras.a = e.answer;
  if (e.error !== undefined) extras.e = e.error;
  if (e.raw !== undefined) extras.r = e.raw;
  if (e.providerRequestId !== undefined) extras.p = e.providerRequestId;
  const sent: SentEntry = [
    e.status,
    e.cached ? 1 : 0,
    e.inputTokens,
    e.outputTokens,
    e.batchInputTokens ?? 0,
    e.batchOutputTokens ?? 0,
    e.requestKey,
    e.promptHash,
    e.attempts,
    Math.round(e.latencyMs),
    e.finishedAt,
  ];
  if (Object.keys(extras).length > 0) sent.push(extras);
  return sent;
}

function fromStored(rowId: string, sample: number, stored: StoredEntry, interned: readonly string[]): LedgerEntry {
  const [checkedWith, model, status, cached, inputTokens, outputTokens, batchInputTokens, batchOutputTokens] = stored;
  // Built in one shape, with no conditional spreads: this runs for every row of a resumed run.
  const entry: { -readonly [K in keyof LedgerEntry]: LedgerEntry[K] } = {
    rowId,
    sample,
    status,
    requestKey: stored[8],
    promptHash: stored[9],
    checkedWith: internedString(interned, checkedWith),
    attempts: stored[10],
    latencyMs: stored[11],
    inputTokens,
    outputTokens,
    model: internedString(interned, model),
    cached: cached === 1,
    finishedAt: stored[12],
  };
  // Stored as 0 when absent (the script counts them without decoding the JSON): read back absent.
  if (batchInputTokens > 0) entry.batchInputTokens = batchInputTokens;
  if (batchOutputTokens > 0) entry.batchOutputTokens = batchOutputTokens;
  const extras = stored[13];
  if (extras === undefined) return entry;
  if (extras.a !== undefined) entry.answer = extras.a;
  if (extras.e !== undefined) entry.error = extras.e;
  if (extras.r !== undefined) entry.raw = extras.r;
  if (extras.p !== undefined) entry.providerRequestId = extras.p;
  return entry;
}

function internedString(interned: readonly string[], id: number): string {
  const string = interned[id];
  if (string === undefined) throw new Error(`Redis ledger: no interned string ${id} (was the ledger dropped?)`);
  return string;
}

/** Counters hash: `<status>:<0|1 cached>` → entries, `in`/`out`/`bin`/`bout` → paid tokens. */
function countsFrom(counters: Record<string, string>, spend: Record<string, string>): LedgerCounts {
  const counts = { entries: 0, ok: 0, failed: 0, invalid: 0, cached: 0 };
  for (const [field, value] of Object.entries(counters)) {
    const match = /^(\w+):([01])$/.exec(field);
    if (!match) continue;
    const [, status, cached] = match;
    const n = Number(value);
    counts.entries += n;
    if (status === 'ok' || status === 'failed' || status === 'invalid') counts[status] += n;
    if (cached === '1') counts.cached += n;
  }
  const tokens = (field: string) => Number(counters[field] ?? 0);
  return {
    ...counts,
    inputTokens: tokens('in'),
    outputTokens: tokens('out'),
    batchInputTokens: tokens('bin'),
    batchOutputTokens: tokens('bout'),
    spend: spendFrom(spend),
  };
}

/** Spend hash: `<in|out|bin|bout>:<model>` → tokens; models in order, as the SQLite ledger lists them. */
function spendFrom(hash: Record<string, string>): ModelSpend[] {
  const byModel = new Map<string, Record<TokenField, number>>();
  for (const [field, value] of Object.entries(hash)) {
    const colon = field.indexOf(':');
    const kind = field.slice(0, colon) as TokenField;
    const model = field.slice(colon + 1);
    const tokens = byModel.get(model) ?? { in: 0, out: 0, bin: 0, bout: 0 };
    tokens[kind] = Number(value);
    byModel.set(model, tokens);
  }
  return [...byModel.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([model, t]) => ({
      model,
      inputTokens: t.in,
      outputTokens: t.out,
      batchInputTokens: t.bin,
      batchOutputTokens: t.bout,
    }));
}
