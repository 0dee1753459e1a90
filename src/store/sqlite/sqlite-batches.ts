// The batch ledger in `<state dir>/batches.sqlite` (see ../batch-store.ts). Separate from the row ledger: it is
// written at each batch step and download chunk, not at row checkpoints, and is deleted once its answers are in.

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatResult } from '../../providers/provider.js';
import type { BatchCounts, BatchItem, BatchRecord, BatchState, BatchStore, ItemResult } from '../batch-store.js';
import { openSqlite } from './open-sqlite.js';

export const BATCHES_FILE = 'batches.sqlite';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS batches (
  local_id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  file_id TEXT,
  batch_id TEXT,
  created_at INTEGER NOT NULL,
  ended_at INTEGER,
  requests INTEGER NOT NULL,
  provider_status TEXT
);
CREATE TABLE IF NOT EXISTS items (
  custom_id TEXT PRIMARY KEY,
  local_id TEXT NOT NULL,
  request_key TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  state TEXT NOT NULL,
  result TEXT,
  error TEXT,
  retryable INTEGER
);
CREATE INDEX IF NOT EXISTS items_by_key ON items (request_key, attempt);
CREATE INDEX IF NOT EXISTS items_by_batch ON items (local_id, state);`;

type BatchRow = {
  local_id: string;
  state: BatchState;
  file_id: string | null;
  batch_id: string | null;
  created_at: number;
  ended_at: number | null;
  requests: number;
  provider_status: string | null;
};

type ItemRow = {
  custom_id: string;
  local_id: string;
  request_key: string;
  attempt: number;
  state: BatchItem['state'];
  result: string | null;
  error: string | null;
  retryable: number | null;
};

export function openSqliteBatches(stateDir: string, options: { fresh?: boolean } = {}): BatchStore {
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, BATCHES_FILE);
  if (options.fresh) for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  const { db, guard } = openSqlite(
    path,
    SCHEMA,
    `it tracks this job's provider batches; if they were collected, delete it, or pass --fresh`,
  );
  const insertBatch = db.prepare(
    'INSERT INTO batches (local_id, state, file_id, batch_id, created_at, ended_at, requests, provider_status) ' +
      'VALUES (@localId, @state, @fileId, @batchId, @createdAt, @endedAt, @requests, @providerStatus)',
  );
  const insertItem = db.prepare(
    "INSERT INTO items (custom_id, local_id, request_key, attempt, state) VALUES (?, ?, ?, ?, 'pending')",
  );
  const latest = db.prepare('SELECT * FROM items WHERE request_key = ? ORDER BY attempt DESC LIMIT 1');
  const saveOk = db.prepare(
    "UPDATE items SET state = 'done', result = ?, error = NULL WHERE custom_id = ? AND local_id = ?",
  );
  const saveError = db.prepare(
    "UPDATE items SET state = 'error', error = ?, retryable = ? WHERE custom_id = ? AND local_id = ? AND state <> 'done'",
  );
  const add = db.transaction(
    (batch: BatchRecord, items: readonly Pick<BatchItem, 'customId' | 'requestKey' | 'attempt'>[]) => {
      insertBatch.run(batchParams(batch));
      for (const item of items) insertItem.run(item.customId, batch.localId, item.requestKey, item.attempt);
    },
  );
  const save = db.transaction((localId: string, results: readonly ItemResult[]) => {
    for (const r of results) {
      if (r.ok) saveOk.run(JSON.stringify(r.result), r.customId, localId);
      else saveError.run(r.error, r.retryable ? 1 : 0, r.customId, localId);
    }
  });
  const collected = db.transaction((localId: string, missing: string, endedAt: number, providerStatus: string) => {
    db.prepare(
      "UPDATE items SET state = 'error', error = ?, retryable = 1 WHERE local_id = ? AND state = 'pending'",
    ).run(missing, localId);
    db.prepare("UPDATE batches SET state = 'collected', ended_at = ?, provider_status = ? WHERE local_id = ?").run(
      endedAt,
      providerStatus,
      localId,
    );
  });
  const drop = db.transaction((localId: string) => {
    db.prepare('DELETE FROM items WHERE local_id = ?').run(localId);
    db.prepare('DELETE FROM batches WHERE local_id = ?').run(localId);
  });
  const prune = db.transaction(() => {
    db.prepare("DELETE FROM items WHERE local_id IN (SELECT local_id FROM batches WHERE state = 'collected')").run();
    db.prepare("DELETE FROM batches WHERE state = 'collected'").run();
  });

  return {
    add: (batch, items) => guard(() => add(batch, items)),
    update(localId, fields) {
      const sets: string[] = [];
      const values: unknown[] = [];
      const column: Record<string, string> = {
        state: 'state',
        fileId: 'file_id',
        batchId: 'batch_id',
        createdAt: 'created_at',
        endedAt: 'ended_at',
        requests: 'requests',
        providerStatus: 'provider_status',
      };
      for (const [key, value] of Object.entries(fields)) {
        sets.push(`${column[key]!} = ?`);
        values.push(value ?? null);
      }
      if (sets.length > 0)
        guard(() => db.prepare(`UPDATE batches SET ${sets.join(', ')} WHERE local_id = ?`).run(...values, localId));
    },
    drop: (localId) => guard(() => drop(localId)),
    live: () =>
      guard(() =>
        (
          db
            .prepare("SELECT * FROM batches WHERE state <> 'collected' ORDER BY created_at, local_id")
            .all() as BatchRow[]
        ).map(fromBatchRow),
      ),
    batchIds: () =>
      guard(
        () => new Set(db.prepare('SELECT batch_id FROM batches WHERE batch_id IS NOT NULL').pluck().all() as string[]),
      ),
    latest(requestKey) {
      const row = guard(() => latest.get(requestKey) as ItemRow | undefined);
      return row && fromItemRow(row);
    },
    saveResults: (localId, results) => guard(() => save(localId, results)),
    collected: (localId, missing, endedAt, providerStatus) =>
      guard(() => collected(localId, missing, endedAt, providerStatus)),
    counts(): BatchCounts {
      return guard(() => {
        const batches: Record<BatchState, number> = { preparing: 0, uploaded: 0, submitted: 0, collected: 0 };
        for (const row of db.prepare('SELECT state, count(*) AS n FROM batches GROUP BY state').all() as {
          state: BatchState;
          n: number;
        }[])
          batches[row.state] = row.n;
        const items = { pending: 0, done: 0, error: 0 };
        for (const row of db.prepare('SELECT state, count(*) AS n FROM items GROUP BY state').all() as {
          state: keyof typeof items;
          n: number;
        }[])
          items[row.state] = row.n;
        return { batches, items };
      });
    },
    prune: () => guard(() => prune()),
    close: () => db.close(),
  };
}

function batchParams(batch: BatchRecord) {
  return {
    localId: batch.localId,
    state: batch.state,
    fileId: batch.fileId ?? null,
    batchId: batch.batchId ?? null,
    createdAt: batch.createdAt,
    endedAt: batch.endedAt ?? null,
    requests: batch.requests,
    providerStatus: batch.providerStatus ?? null,
  };
}

function fromBatchRow(row: BatchRow): BatchRecord {
  return {
    localId: row.local_id,
    state: row.state,
    ...(row.file_id === null ? {} : { fileId: row.file_id }),
    ...(row.batch_id === null ? {} : { batchId: row.batch_id }),
    createdAt: row.created_at,
    ...(row.ended_at === null ? {} : { endedAt: row.ended_at }),
    requests: row.requests,
    ...(row.provider_status === null ? {} : { providerStatus: row.provider_status }),
  };
}

function fromItemRow(row: ItemRow): BatchItem {
  return {
    customId: row.custom_id,
    localId: row.local_id,
    requestKey: row.request_key,
    attempt: row.attempt,
    state: row.state,
    ...(row.result === null ? {} : { result: JSON.parse(row.result) as ChatResult }),
    ...(row.error === null ? {} : { error: row.error }),
    ...(row.retryable === null ? {} : { retryable: row.retryable === 1 }),
  };
}
