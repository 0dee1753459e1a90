// Run state or cache that cannot be used (corrupt, truncated, another job's): reported as an input error with the
// file and what to do, never a silent fresh start that would re-pay, and never wrong output.

import { InputError } from '../job/input-error.js';

export class StateError extends InputError {
  override readonly name = 'StateError';
}
