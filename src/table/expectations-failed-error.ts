// A job's data checks failed on its input (`--expect`, the prompt's `expect:`): an input error (exit 2) raised
// before anything is sent, whose message is the table of the failed rules and which carries them for callers.

import { InputError } from '../job/input-error.js';
import type { RuleResult } from './expectations.js';

const marker = Symbol.for('llmap.error.ExpectationsFailedError');

export class ExpectationsFailedError extends InputError {
  readonly [marker] = true;
  override readonly name = 'ExpectationsFailedError';
  /** The failed rules, in the order they were given. */
  readonly failed: readonly RuleResult[];

  constructor(message: string, failed: readonly RuleResult[]) {
    super(message);
    this.failed = failed;
  }

  static override isInstance(error: unknown): error is ExpectationsFailedError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
