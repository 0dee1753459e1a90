// Answers that still fail the schema after a repair go to `<out>.quarantine.jsonl` with the raw text, the error
// and the row, so nothing broken is ever written as a success and nothing is silently lost. Written to a
// temporary file and renamed at the end, like the output.

import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { siblingPath } from '../table/write-table.js';

export interface QuarantineEntry {
  /** The row's position in the output, and its id. */
  readonly row: number;
  readonly rowId: string;
  readonly error: string;
  readonly raw: string;
  readonly model: string;
}

export interface Quarantine {
  add(entry: QuarantineEntry): void;
  readonly count: number;
  /**
   * Publishes the file beside `outputPath` (default: the output it was created for) if anything was quarantined,
   * and removes an older one there if not; resolves with its path, or undefined.
   */
  finish(outputPath?: string): string | undefined;
  abort(): void;
}

export function quarantinePathFor(outputPath: string): string {
  return `${outputPath}.quarantine.jsonl`;
}

export function createQuarantine(outputPath: string): Quarantine {
  const temporary = siblingPath(quarantinePathFor(outputPath), 'tmp');
  let fd: number | undefined;
  let count = 0;
  const close = () => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  };
  return {
    add(entry) {
      fd ??= openSync(temporary, 'w');
      writeSync(fd, JSON.stringify(entry) + '\n');
      count++;
    },
    get count() {
      return count;
    },
    finish(publishedOutput = outputPath) {
      const path = quarantinePathFor(publishedOutput);
      close();
      if (count === 0) {
        rmSync(path, { force: true });
        return undefined;
      }
      renameSync(temporary, path);
      return path;
    },
    abort() {
      close();
      rmSync(temporary, { force: true });
    },
  };
}
