import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { InputError } from '../job/input-error.js';
import type { JobFingerprint } from '../job/job-fingerprint.js';
import type { LedgerEntry, RunMeta } from './ledger-store.js';
import { openRunState, type RunStateRequest } from './run-state.js';
import { LEDGER_FILE, openSqliteLedger } from './sqlite/sqlite-ledger.js';
import { StateError } from './state-error.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'llmap-state-'));

const fingerprint: JobFingerprint = { input: 'i1', prompt: 'p1', schema: 's1', model: 'm1', params: 'x1' };

function runMeta(overrides: Partial<RunMeta> = {}): RunMeta {
  return {
    output: '/out/a.csv',
    fingerprint,
    command: ['run', 'job.yaml'],
    cwd: '/out',
    state: 'stopped',
    pid: process.pid,
    host: hostname(),
    startedAt: 1_000,
    updatedAt: 2_000,
    rowsTotal: 3,
    inFlight: 0,
    uniform: true,
    ...overrides,
  };
}

const entry = (rowId: string): LedgerEntry => ({
  rowId,
  sample: 0,
  status: 'ok',
  requestKey: `k-${rowId}`,
  checkedWith: 'c1',
  promptHash: `p-${rowId}`,
  answer: 'yes',
  attempts: 1,
  latencyMs: 5,
  inputTokens: 1,
  outputTokens: 1,
  model: 'm',
  cached: false,
  finishedAt: 3_000,
});

/** A state directory whose ledger holds `entries` and the metadata `meta`, as a finished checkpoint leaves it. */
async function stateDir(meta: RunMeta, entries: readonly string[] = []): Promise<string> {
  const dir = tempDir();
  const ledger = openSqliteLedger(dir);
  for (const rowId of entries) ledger.record(entry(rowId));
  await ledger.checkpoint(meta);
  await ledger.close();
  return dir;
}

const request = (dir: string, overrides: Partial<RunStateRequest> = {}): RunStateRequest => ({
  dir,
  output: '/out/a.csv',
  fingerprint,
  fresh: false,
  ...overrides,
});

/** A pid that no process has any more. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('opening the run state', () => {
  test('a fresh directory has no previous run and no notes', async () => {
    const opened = await openRunState(request(tempDir()), openSqliteLedger);
    assert.deepEqual([opened.previous, opened.notes], [undefined, []]);
    await opened.ledger.close();
  });

  test('a previous run of the same job is returned with a note of what is resumed', async () => {
    const meta = runMeta();
    const dir = await stateDir(meta, ['a', 'b']);
    const opened = await openRunState(request(dir), openSqliteLedger);
    assert.deepEqual(opened.previous, meta);
    assert.deepEqual(opened.notes, [`resuming: 2 answer(s) recorded in ${dir}`]);
    assert.equal((await opened.ledger.getMany(['a'])).size, 1);
    await opened.ledger.close();
  });

  test('a finished previous run is noted as found', async () => {
    const dir = await stateDir(runMeta({ state: 'finished' }), ['a']);
    const opened = await openRunState(request(dir), openSqliteLedger);
    assert.deepEqual(opened.notes, [`found a finished run: 1 answer(s) recorded in ${dir}`]);
    await opened.ledger.close();
  });

  test('state written for one output refuses a run writing another, naming both', async () => {
    const dir = await stateDir(runMeta({ output: '/out/a.csv' }));
    await assert.rejects(
      openRunState(request(dir, { output: '/out/b.csv' }), openSqliteLedger),
      (error: unknown) =>
        error instanceof StateError &&
        InputError.isInstance(error) &&
        error.message.includes('/out/a.csv') &&
        error.message.includes('/out/b.csv') &&
        error.message.includes(dir),
    );
  });

  test('fresh removes the previous state, so another output is accepted', async () => {
    const dir = await stateDir(runMeta({ output: '/out/a.csv' }), ['a']);
    const opened = await openRunState(request(dir, { output: '/out/b.csv', fresh: true }), openSqliteLedger);
    assert.deepEqual([opened.previous, opened.notes], [undefined, []]);
    assert.deepEqual(await opened.ledger.getMany(['a']), new Map());
    await opened.ledger.close();
  });

  test('fresh on a directory with no state opens an empty ledger', async () => {
    const dir = tempDir();
    const opened = await openRunState(request(dir, { fresh: true }), openSqliteLedger);
    assert.equal(opened.previous, undefined);
    assert.equal(existsSync(join(dir, LEDGER_FILE)), true);
    await opened.ledger.close();
  });

  test('a run still going in another live process on this host is refused', async () => {
    const sleeper = spawn('sleep', ['5']);
    try {
      const dir = await stateDir(runMeta({ state: 'running', pid: sleeper.pid! }));
      await assert.rejects(
        openRunState(request(dir), openSqliteLedger),
        (error: unknown) =>
          error instanceof StateError &&
          error.message.includes(`another llmap run (pid ${sleeper.pid}) is using ${dir}`),
      );
    } finally {
      sleeper.kill();
    }
  });

  test('a run marked running whose process is gone is resumed', async () => {
    const meta = runMeta({ state: 'running', pid: await deadPid() });
    const dir = await stateDir(meta, ['a']);
    const opened = await openRunState(request(dir), openSqliteLedger);
    assert.deepEqual([opened.previous, opened.notes], [meta, [`resuming: 1 answer(s) recorded in ${dir}`]]);
    await opened.ledger.close();
  });

  test('a run marked running by another host is refused, since its process cannot be checked', async () => {
    const dir = await stateDir(runMeta({ state: 'running', pid: await deadPid(), host: `not-${hostname()}` }));
    await assert.rejects(openRunState(request(dir), openSqliteLedger), /another llmap run/);
  });

  test('a changed fingerprint part is noted by name', async () => {
    const dir = await stateDir(runMeta(), ['a']);
    const changed = { ...fingerprint, prompt: 'p2', model: 'm2' };
    const opened = await openRunState(request(dir, { fingerprint: changed }), openSqliteLedger);
    assert.equal(opened.notes.length, 2);
    assert.match(opened.notes[0]!, /^the job changed since the last run \(prompt, model\): /);
    assert.equal(opened.notes[1], `resuming: 1 answer(s) recorded in ${dir}`);
    await opened.ledger.close();
  });
});
