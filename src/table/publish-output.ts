// The last step of a run: its rows become a file. Only a complete run (every row of the job, no --limit) takes
// the output's own name; any other run writes `<name>.partial.<ext>` beside it, so a complete file is never
// replaced by fewer rows and whoever waits for the name never takes a partial file for a finished one.

import { rmSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { quarantinePathFor, type Quarantine } from '../output/quarantine.js';
import type { DuckDB } from './duckdb.js';
import { OutputWriteError } from './output-write-error.js';
import type { TableWriter } from './write-table.js';

/** `reviews.parquet` → `reviews.partial.parquet`: the same format, so any reader opens it, under a name that says
 * what it is. */
export function partialPathFor(path: string): string {
  const extension = extname(path);
  return join(dirname(path), `${basename(path, extension)}.partial${extension}`);
}

export interface Published {
  /** The file written: the output itself, or its partial file. */
  readonly path: string;
  readonly partial: boolean;
  readonly rows: number;
  readonly quarantine: string | undefined;
  /** How the write had to degrade, if it did (a memory shortfall). */
  readonly notes: readonly string[];
}

/**
 * Writes the pass's rows to `output` when `complete`, else to its partial file (nothing when no row is done).
 * A complete run removes the partial file an earlier one left. A failed write throws OutputWriteError after
 * removing what it staged.
 */
export async function publishOutput(
  db: DuckDB,
  writer: TableWriter,
  quarantine: Quarantine,
  output: string,
  complete: boolean,
): Promise<Published | undefined> {
  const partial = partialPathFor(output);
  if (!complete && writer.rowsWritten === 0) {
    writer.abort();
    quarantine.abort();
    removeWithQuarantine(partial);
    return undefined;
  }
  const path = complete ? output : partial;
  try {
    await writer.finish(db, path);
  } catch (error) {
    writer.abort();
    quarantine.abort();
    throw new OutputWriteError(path, error);
  }
  const quarantined = quarantine.finish(path);
  if (complete) removeWithQuarantine(partial);
  return { path, partial: !complete, rows: writer.rowsWritten, quarantine: quarantined, notes: writer.notes };
}

function removeWithQuarantine(path: string): void {
  rmSync(path, { force: true });
  rmSync(quarantinePathFor(path), { force: true });
}
