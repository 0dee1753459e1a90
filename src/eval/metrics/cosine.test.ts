import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cosineSimilarity, embeddingCosineMetric } from './cosine.js';

describe('cosine similarity', () => {
  test('is 1 for parallel, 0 for orthogonal and -1 for opposite vectors, whatever their lengths', () => {
    const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-15, `${actual}`);
    close(cosineSimilarity([1, 2, 3], [2, 4, 6]), 1);
    assert.equal(cosineSimilarity([1, 0], [0, 5]), 0);
    close(cosineSimilarity([1, -2], [-3, 6]), -1);
  });

  test('is the textbook value for a general pair', () => {
    // (1·4 + 2·5 + 3·6) / (√14 · √77) = 32 / √1078
    assert.ok(Math.abs(cosineSimilarity([1, 2, 3], [4, 5, 6]) - 32 / Math.sqrt(1078)) < 1e-15);
  });

  test('takes typed arrays and stays within [-1, 1] despite rounding', () => {
    const a = Float32Array.from({ length: 1536 }, (_, i) => Math.sin(i) * 0.1);
    assert.equal(cosineSimilarity(a, a), 1);
    assert.equal(
      cosineSimilarity(
        a,
        Float64Array.from(a, (x) => -x),
      ),
      -1,
    );
    const similarities = Array.from({ length: 50 }, (_, k) =>
      cosineSimilarity(
        a,
        a.map((x) => x * (k + 0.3)),
      ),
    );
    assert.ok(similarities.every((s) => s >= -1 && s <= 1));
  });

  test('does not overflow where |a|²·|b|² would', () => {
    assert.equal(cosineSimilarity([1e150, 1e150], [1e150, 1e150]), 1);
  });

  test('is NaN when undefined: different lengths, empty vectors, a zero vector, non-finite elements', () => {
    assert.ok(Number.isNaN(cosineSimilarity([1, 2], [1, 2, 3])));
    assert.ok(Number.isNaN(cosineSimilarity([], [])));
    assert.ok(Number.isNaN(cosineSimilarity([0, 0], [1, 2])));
    assert.ok(Number.isNaN(cosineSimilarity([Number.NaN, 1], [1, 2])));
    assert.ok(Number.isNaN(cosineSimilarity([Number.POSITIVE_INFINITY, 1], [1, 2])));
  });
});

describe('embedding_cosine', () => {
  const score = embeddingCosineMetric.prepare({});

  test('scores two vectors by their cosine', () => {
    assert.equal(score([1, 0], [1, 0]), 1);
    assert.equal(score(Float32Array.of(1, 0), [0, 1]), 0);
    assert.equal(score([1, 0], [-1, 0]), -1);
  });

  test('cannot score a missing, non-vector, empty, zero or mismatched pair', () => {
    assert.equal(score(null, [1]), null);
    assert.equal(score([1], null), null);
    assert.equal(score('[1, 0]', [1, 0]), null);
    assert.equal(score([1, null], [1, 0]), null);
    assert.equal(score([], []), null);
    assert.equal(score([0, 0], [1, 0]), null);
    assert.equal(score([1, 0], [1, 0, 0]), null);
  });
});
