// embedding_cosine: how close the answer's meaning is to the reference's, as the cosine of their embedding vectors.
// The engine fetches the embeddings (an embedding model's run); this file only compares two vectors.

import type { Metric } from './metric.js';
import { checkOptionNames } from './metric-options.js';

/**
 * The cosine of the angle between two vectors, a·b / (|a| |b|), in [-1, 1] (clamped: rounding can give
 * 1.0000000000000002 for parallel vectors). Sums are taken in double precision, Float32Array inputs included.
 * NaN when the cosine is undefined — vectors of different lengths, empty vectors, a zero vector, or a non-finite
 * element — so one bad row never throws in a loop over a million; test with Number.isFinite.
 */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length || n === 0) return Number.NaN;
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    aa += x * x;
    bb += y * y;
  }
  // Two square roots rather than one of the product, which overflows sooner (components beyond ~1e154 overflow
  // their squares anyway; embedding components are far below 1).
  const norms = Math.sqrt(aa) * Math.sqrt(bb);
  if (!(norms > 0) || !Number.isFinite(norms) || !Number.isFinite(dot)) return Number.NaN;
  return Math.min(1, Math.max(-1, dot / norms));
}

/** An array of numbers, a Float32Array or a Float64Array; undefined for anything else (a string, nulls inside). */
function asVector(value: unknown): ArrayLike<number> | undefined {
  if (value instanceof Float32Array || value instanceof Float64Array) return value;
  if (Array.isArray(value) && value.every((x) => typeof x === 'number')) return value;
  return undefined;
}

/**
 * The cosine of the answer's and the reference's embeddings, in [-1, 1]. The scorer takes the two vectors (arrays of
 * numbers, Float32Array or Float64Array), not texts: the engine embeds the texts first. Null when either vector is missing, not a
 * vector, empty, zero, or of a length different from the other's (embeddings from two different models).
 */
export const embeddingCosineMetric: Metric = {
  name: 'embedding_cosine',
  kind: 'continuous',
  range: [-1, 1],
  description: "cosine of the answer's and the reference's embedding vectors",
  needsReference: true,
  prepare(options) {
    checkOptionNames('embedding_cosine', options, []);
    return (answer, reference) => {
      const a = asVector(answer);
      const b = asVector(reference);
      if (a === undefined || b === undefined) return null;
      const cosine = cosineSimilarity(a, b);
      return Number.isNaN(cosine) ? null : cosine;
    };
  },
};
