// The calls a query makes, and what is known of them. DuckDB's scalar functions are synchronous, so a query cannot
// wait for a model: each run of the query answers what the book knows and records the rest, which the engine then
// answers between runs. A call is its function's settings (the config: kind, model, schema, system, sampling) and
// its prompt; identical calls are one entry, however many rows make them.
//
// The book lives in a SQLite file of the query's state directory (better-sqlite3 is synchronous, as the functions
// must be), so a query of a hundred million distinct prompts holds none of them in memory: only a bounded cache of
// the outcomes looked up most recently, which answers a table of a few repeated prompts without touching the file.
// It lasts one invocation; across invocations each config's run state (and the response cache) is the memory.

import { createHash } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { once } from 'node:events';
import Database from 'better-sqlite3';

/** What a function asks: text, a JSON value checked against a schema, a yes/no, or an embedding. */
export type CallKind = 'text' | 'json' | 'filter' | 'embed';

/** Everything of a call that is not its prompt: the arguments a query passes beside it. */
export interface CallConfig {
  readonly kind: CallKind;
  /** `provider:model`; undefined for the command's --model. */
  readonly model: string | undefined;
  /** A JSON Schema (inline JSON or a file), for `json`. */
  readonly schema: string | undefined;
  readonly system: string | undefined;
  readonly temperature: number | undefined;
  readonly maxTokens: number | undefined;
}

/** A call's end: its value as text for DuckDB (JSON for `json`/`embed`, `true`/`false` for `filter`), or why not. */
export type CallOutcome =
  { readonly value: string; readonly error?: never } | { readonly value?: never; readonly error: string };

/** The calls of one config recorded in a run of the query and not yet answered. */
export interface PendingCalls {
  readonly configId: number;
  readonly config: CallConfig;
  readonly count: number;
}

const SCHEMA = `
CREATE TABLE calls (
  config INTEGER NOT NULL,
  key TEXT NOT NULL,
  prompt TEXT NOT NULL,
  value TEXT,
  error TEXT,
  -- 0: recorded, not yet given to the engine; 1: given; 2: answered (value or error)
  state INTEGER NOT NULL,
  PRIMARY KEY (config, key)
) WITHOUT ROWID;`;

const PENDING = 0;
const ASKED = 1;
const SETTLED = 2;

/** Outcomes kept in memory (by the size of their text); past it the cache starts over. */
const CACHE_BYTES = 32 * 1024 * 1024;

export class CallBook {
  private readonly db: Database.Database;
  private readonly configs: CallConfig[] = [];
  private readonly configIds = new Map<string, number>();
  private readonly cached = new Map<string, CallOutcome>();
  private cachedBytes = 0;
  private recorded = 0;
  private readonly get: Database.Statement<
    [number, string],
    { value: string | null; error: string | null; state: number }
  >;
  private readonly insert: Database.Statement<[number, string, string]>;
  /** Times a row's call was looked up (every row DuckDB evaluated). */
  lookups = 0;
  /** New calls one run of the query may record before it is cut short (see `full`). */
  cap = Infinity;

  constructor(private readonly path: string) {
    rmSync(path, { force: true });
    this.db = new Database(path);
    // A scratch file, rebuilt by every invocation: no journal, no syncs.
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.pragma('cache_size = -8192');
    this.db.exec(SCHEMA);
    this.get = this.db.prepare('SELECT value, error, state FROM calls WHERE config = ? AND key = ?');
    this.insert = this.db.prepare(`INSERT INTO calls (config, key, prompt, state) VALUES (?, ?, ?, ${PENDING})`);
  }

  /** The id of a config, given the text of its arguments (built once per distinct set). */
  configId(argsKey: string, build: () => CallConfig): number {
    let id = this.configIds.get(argsKey);
    if (id === undefined) {
      id = this.configs.push(build()) - 1;
      this.configIds.set(argsKey, id);
    }
    return id;
  }

  /** What is known of a call; an unknown one is recorded for the engine and is undefined this run. */
  lookup(configId: number, prompt: string): CallOutcome | undefined {
    this.lookups++;
    return this.find(configId, prompt, true);
  }

  /** What is known of a call, recording nothing (the error column of a `try_` function). */
  peek(configId: number, prompt: string): CallOutcome | undefined {
    return this.find(configId, prompt, false);
  }

  /**
   * Whether this run has recorded as many new calls as it may. The run is then cut short and its calls answered
   * first: a query that needs few rows (`WHERE llm_filter(...) LIMIT 10`, where every unknown answer reads as false
   * and the scan would go on to the end of the table) asks a first slice of them, not the whole table.
   */
  get full(): boolean {
    return this.recorded >= this.cap;
  }

  /** Runs `fn` (one chunk of rows) in one transaction: its inserts commit together. */
  batch<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** The calls recorded since the last take, by config; they are now the engine's to answer. */
  take(): PendingCalls[] {
    const counts = this.db
      .prepare(`SELECT config, count(*) AS n FROM calls WHERE state = ${PENDING} GROUP BY config ORDER BY config`)
      .all() as { config: number; n: number }[];
    this.db.exec(`UPDATE calls SET state = ${ASKED} WHERE state = ${PENDING}`);
    this.recorded = 0;
    return counts.map(({ config, n }) => ({ configId: config, config: this.configs[config]!, count: n }));
  }

  /** Writes the prompts of a config's calls given to the engine, one JSON object per line under `column`. */
  async writeAsked(configId: number, path: string, column: string): Promise<void> {
    const out = createWriteStream(path);
    const rows = this.db
      .prepare(`SELECT prompt FROM calls WHERE config = ? AND state = ${ASKED}`)
      .pluck()
      .iterate(configId) as IterableIterator<string>;
    for (const prompt of rows) {
      if (!out.write(JSON.stringify({ [column]: prompt }) + '\n')) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  }

  /** Records the outcomes of a config's calls, as `each` yields them. */
  async settle(configId: number, each: AsyncIterable<readonly [string, CallOutcome]>): Promise<void> {
    const update = this.db.prepare(
      `UPDATE calls SET value = ?, error = ?, state = ${SETTLED} WHERE config = ? AND key = ?`,
    );
    const flush = this.db.transaction((batch: [string, CallOutcome][]) => {
      for (const [prompt, outcome] of batch) {
        update.run(outcome.value ?? null, outcome.error ?? null, configId, promptKey(prompt));
      }
    });
    let batch: [string, CallOutcome][] = [];
    for await (const entry of each) {
      batch.push([entry[0], entry[1]]);
      if (batch.length === 4096) {
        flush(batch);
        batch = [];
      }
    }
    flush(batch);
  }

  /** Distinct calls answered or failed so far. */
  get known(): number {
    return (this.db.prepare(`SELECT count(*) FROM calls WHERE state = ${SETTLED}`).pluck().get() as number) ?? 0;
  }

  /** Failed calls by reason (the status before the colon), most frequent first. */
  failures(): { reason: string; calls: number }[] {
    return this.db
      .prepare(
        `SELECT substr(error, 1, instr(error, ':') - 1) AS reason, count(*) AS calls FROM calls ` +
          `WHERE error IS NOT NULL GROUP BY reason ORDER BY calls DESC`,
      )
      .all() as { reason: string; calls: number }[];
  }

  close(): void {
    this.db.close();
    rmSync(this.path, { force: true });
  }

  private find(configId: number, prompt: string, record: boolean): CallOutcome | undefined {
    // The memory cache is keyed by the prompt's hash, not its text: a long prompt is not held twice.
    const key = promptKey(prompt);
    const memo = `${configId}:${key}`;
    const hit = this.cached.get(memo);
    if (hit) return hit;
    const row = this.get.get(configId, key);
    if (row === undefined) {
      if (record) {
        this.insert.run(configId, key, prompt);
        this.recorded++;
      }
      return undefined;
    }
    if (row.state !== SETTLED) return undefined;
    const outcome: CallOutcome = row.error !== null ? { error: row.error } : { value: row.value ?? '' };
    this.remember(memo, outcome);
    return outcome;
  }

  private remember(memo: string, outcome: CallOutcome): void {
    const bytes = memo.length + (outcome.value ?? outcome.error).length;
    if (this.cachedBytes + bytes > CACHE_BYTES) {
      this.cached.clear();
      this.cachedBytes = 0;
    }
    this.cached.set(memo, outcome);
    this.cachedBytes += bytes;
  }
}

/** A prompt's key in the book: 128 bits of its SHA-256, so a long prompt is not an index key. */
function promptKey(prompt: string): string {
  return createHash('sha256').update(prompt).digest('base64').slice(0, 22);
}
