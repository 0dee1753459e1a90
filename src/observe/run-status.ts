// What `llmap status` reports: a run directory's metadata and counters, read while the run goes on (SQLite in WAL
// mode lets a reader in beside the writer) or after it stopped.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchCounts, BatchRecord } from '../store/batch-store.js';
import type { LedgerCounts, RunMeta } from '../store/ledger-store.js';
import { BATCHES_FILE, openSqliteBatches } from '../store/sqlite/sqlite-batches.js';
import { isAlive } from '../store/run-state.js';
import { LEDGER_FILE, openSqliteLedger } from '../store/sqlite/sqlite-ledger.js';
import { StateError } from '../store/state-error.js';
import { partialPathFor } from '../table/publish-output.js';

export interface RunStatus {
  readonly dir: string;
  readonly meta: RunMeta | undefined;
  readonly counts: LedgerCounts;
  /** `running` only while the process that owns the run is alive; a killed run reads `stopped`. */
  readonly activity: 'running' | 'stopped' | 'finished' | 'unknown';
  /** Batch mode: the job's provider batches, and the live ones as of the last poll. */
  readonly batches?: { readonly counts: BatchCounts; readonly live: readonly BatchRecord[] };
  /** The partial file a stopped or --limit run left beside the output, when there is one. */
  readonly partial?: string;
}

/** The run directories under `dir`: `dir` itself when it holds a ledger, else its subdirectories that do. */
export function findRunDirs(dir: string): string[] {
  if (existsSync(join(dir, LEDGER_FILE))) return [dir];
  if (!existsSync(dir)) throw new StateError(`no run state at ${dir}`);
  const found = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, LEDGER_FILE)))
    .map((entry) => join(dir, entry.name))
    .sort();
  if (found.length === 0) throw new StateError(`no run state at ${dir} (expected ${LEDGER_FILE} in it or below it)`);
  return found;
}

export async function readRunStatus(dir: string): Promise<RunStatus> {
  const ledger = openSqliteLedger(dir);
  try {
    const meta = await ledger.readMeta();
    const counts = await ledger.counts();
    const partial = meta ? partialPathFor(meta.output) : undefined;
    return {
      dir,
      meta,
      counts,
      activity: activityOf(meta),
      ...readBatches(dir),
      ...(partial && existsSync(partial) ? { partial } : {}),
    };
  } finally {
    await ledger.close();
  }
}

function activityOf(meta: RunMeta | undefined): RunStatus['activity'] {
  if (!meta) return 'unknown';
  if (meta.state === 'running') return isAlive(meta) ? 'running' : 'stopped';
  return meta.state;
}

function readBatches(dir: string): Pick<RunStatus, 'batches'> {
  if (!existsSync(join(dir, BATCHES_FILE))) return {};
  const store = openSqliteBatches(dir);
  try {
    return { batches: { counts: store.counts(), live: store.live() } };
  } finally {
    store.close();
  }
}
