// Flag values of the eval, compare and power commands, checked with a message that names the flag.

import { InputError } from '../job/input-error.js';

/** A number from a flag (text) or a default (number); empty text is not a number. */
export function numberFlag(flag: string, value: unknown, ok: (x: number) => boolean, what: string): number {
  const x =
    typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!ok(x)) throw new InputError(`${flag} must be ${what}, got ${String(value)}`);
  return x;
}

export function choiceFlag<T extends string>(flag: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) {
    throw new InputError(`${flag} must be one of ${choices.join(', ')}, got ${String(value)}`);
  }
  return value as T;
}
