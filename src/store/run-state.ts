// Opening a job's run directory: a fresh start on request, a refusal when the directory belongs to another job
// or to a run still going, and a note of what changed since the last run. The ledger itself is injected, so a
// shared store can stand in for SQLite.

import { hostname } from 'node:os';
import { fingerprintChanges, type JobFingerprint } from '../job/job-fingerprint.js';
import type { LedgerStore, OpenLedger, RunMeta } from './ledger-store.js';
import { StateError } from './state-error.js';

export interface RunStateRequest {
  readonly dir: string;
  /** The output file this run writes (absolute): a state directory serves one output. */
  readonly output: string;
  readonly fingerprint: JobFingerprint;
  readonly fresh: boolean;
  /** A scheduler leased the state to this run: whoever recorded it as running lost the lease. */
  readonly leased?: boolean;
}

export interface OpenedRunState {
  readonly ledger: LedgerStore;
  readonly previous: RunMeta | undefined;
  /** What a person should know before the run: resuming, or what changed since last time. */
  readonly notes: readonly string[];
}

export async function openRunState(request: RunStateRequest, openLedger: OpenLedger): Promise<OpenedRunState> {
  const ledger = openLedger(request.dir, { fresh: request.fresh });
  try {
    const previous = await ledger.readMeta();
    if (!previous) return { ledger, previous, notes: [] };
    if (previous.output !== request.output) {
      throw new StateError(
        `the run state in ${request.dir} belongs to the job writing ${previous.output}, not ${request.output}; ` +
          `pass --state with another directory, or --fresh to start over in this one`,
      );
    }
    if (!request.leased && previous.state === 'running' && previous.pid !== process.pid && isAlive(previous)) {
      throw new StateError(
        `another llmap run (pid ${previous.pid}) is using ${request.dir}; wait for it, or stop it first`,
      );
    }
    const counts = await ledger.counts();
    const changed = fingerprintChanges(previous.fingerprint, request.fingerprint);
    const notes: string[] = [];
    if (changed.length > 0) {
      notes.push(
        `the job changed since the last run (${changed.join(', ')}): rows whose request is unchanged keep their ` +
          `answers, the others are asked again (the response cache answers requests it has seen)`,
      );
    }
    if (counts.entries > 0) {
      notes.push(
        `${previous.state === 'finished' ? 'found a finished run' : 'resuming'}: ${counts.entries.toLocaleString('en-US')} ` +
          `answer(s) recorded in ${request.dir}`,
      );
    }
    return { ledger, previous, notes };
  } catch (error) {
    await ledger.close();
    throw error;
  }
}

/** Whether the process that wrote the metadata still runs (only knowable on the same machine). */
export function isAlive(meta: RunMeta): boolean {
  if (meta.host !== hostname()) return true;
  try {
    process.kill(meta.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
