// The output file could not be written at the end of a run (a full disk, a path that cannot be replaced, DuckDB
// out of memory after its retries). Every answer is already in the run state: the run reports this instead of
// its output, and the same command again writes the file without asking anything.

const marker = Symbol.for('llmap.error.OutputWriteError');

export class OutputWriteError extends Error {
  readonly [marker] = true;
  override readonly name = 'OutputWriteError';
  /** The file that was to be written. */
  readonly path: string;

  constructor(path: string, cause: unknown) {
    super(`${path} could not be written: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`, {
      cause,
    });
    this.path = path;
  }

  static isInstance(error: unknown): error is OutputWriteError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
