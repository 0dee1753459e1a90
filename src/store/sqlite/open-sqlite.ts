// One SQLite database file as llmap uses it: WAL, NORMAL sync (a committed transaction survives the process being
// killed; only a power cut can lose the last ones), a busy timeout for a second process, and corruption reported
// as a StateError naming the file and the way out.

import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { StateError } from '../state-error.js';

export type Sqlite = Database.Database;

export interface SqliteFile {
  readonly db: Sqlite;
  readonly path: string;
  /** Runs `fn`, turning SQLite's corruption errors into a StateError with `advice`. */
  readonly guard: <T>(fn: () => T) => T;
}

const CORRUPT = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CANTOPEN', 'SQLITE_IOERR_SHORT_READ']);

export function openSqlite(path: string, schemaSql: string, advice: string): SqliteFile {
  const guard = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && CORRUPT.has(code)) {
        throw new StateError(`${path} is unreadable (${(error as Error).message}); ${advice}`, { cause: error });
      }
      throw error;
    }
  };
  const db = guard(() => new Database(path));
  try {
    guard(() => {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 10000');
      // A 4 MiB page cache each, and no memory-mapped reads: mapped pages count towards the process's resident
      // memory, and lookups are batched per 2,048 keys, so a bigger cache bought little (measured: ~10%).
      db.pragma('cache_size = -4096');
      // Fewer, larger WAL checkpoints: each one syncs the database file, and small frequent commits would pay it often.
      db.pragma('wal_autocheckpoint = 16384');
      checkNotTruncated(db, path);
      db.exec(schemaSql);
    });
  } catch (error) {
    db.close();
    throw error;
  }
  return { db, path, guard };
}

/** A file cut short (a copy interrupted, a full disk) can open cleanly and fail rows later: refuse it up front. */
function checkNotTruncated(db: Sqlite, path: string): void {
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  const pageCount = Number(db.pragma('page_count', { simple: true }));
  const walBytes = statSize(`${path}-wal`);
  if (walBytes === 0 && statSize(path) < pageSize * pageCount) {
    const error = new Error(`the file holds fewer bytes than its ${pageCount} pages`) as Error & { code: string };
    error.code = 'SQLITE_CORRUPT';
    throw error;
  }
}

function statSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
