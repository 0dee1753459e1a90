// A problem with what the user asked for (a flag, a file, a column, a schema): reported before any paid call,
// and mapped by the CLI to exit code 2.

const marker = Symbol.for('llmap.error.InputError');

export class InputError extends Error {
  readonly [marker] = true;
  override readonly name: string = 'InputError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  static isInstance(error: unknown): error is InputError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
