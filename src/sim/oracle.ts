// A test directive for evaluation: a prompt that carries `[sim truth="label" accuracy=0.9]` is answered with the
// label in that share of rows (chosen by the request's seed) and with a wrong answer in the others. Two prompts
// with different accuracies then behave like a better and a worse model on a labelled table, which is what
// `llmap eval` and `llmap compare` are tested against. Without the directive nothing changes.

import { createRandom, deriveSeed } from './seeded-random.js';

export interface Oracle {
  readonly truth: string;
  /** The share of rows answered with the truth, in [0, 1]. */
  readonly accuracy: number;
  /** The answer's property that carries the label (schema answers); default: the first string property. */
  readonly field: string | undefined;
}

const DIRECTIVE = /\[sim truth="((?:[^"\\]|\\.)*)" accuracy=([0-9.]+)(?: field=([A-Za-z0-9_]+))?\]/;

export function findOracle(text: string): Oracle | undefined {
  if (!text.includes('[sim truth=')) return undefined;
  const match = DIRECTIVE.exec(text);
  if (!match) return undefined;
  const accuracy = Number(match[2]);
  if (!(accuracy >= 0 && accuracy <= 1)) return undefined;
  return { truth: match[1]!.replace(/\\(.)/g, '$1'), accuracy, field: match[3] };
}

/** Whether this request (by its seed) is answered right. */
export function oracleIsRight(oracle: Oracle, seed: number): boolean {
  return createRandom(deriveSeed(seed, 0x0a11ce))() < oracle.accuracy;
}

/** A plain-text answer: the truth, or a wrong one. */
export function oracleText(oracle: Oracle, seed: number): string {
  return oracleIsRight(oracle, seed) ? oracle.truth : `not ${oracle.truth}`;
}

/** Sets the label property of a schema answer: the truth, or another allowed value. */
export function applyOracle(document: unknown, schema: unknown, oracle: Oracle, seed: number): unknown {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return document;
  const properties = (schema as { properties?: Record<string, { type?: unknown; enum?: unknown[] }> }).properties ?? {};
  const field =
    oracle.field ??
    Object.keys(properties).find(
      (name) => properties[name]?.type === 'string' || Array.isArray(properties[name]?.enum),
    );
  if (field === undefined || !(field in properties)) return document;
  const choices = (properties[field]?.enum ?? []).filter((value) => value !== oracle.truth);
  const wrong =
    choices.length > 0
      ? choices[Math.floor(createRandom(deriveSeed(seed, 0xbad))() * choices.length)]
      : `not ${oracle.truth}`;
  return { ...document, [field]: oracleIsRight(oracle, seed) ? oracle.truth : wrong };
}
