import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planEval } from './eval-plan.js';

const columns = [
  'id',
  'answer',
  'label',
  'category',
  'true_category',
  'priority',
  'true_priority',
  'lang',
  '_row_id',
].map((name) => ({ name, type: 'VARCHAR' }));

test('a plain reference compares the answer column by the text defaults; field pairs by field_match', () => {
  const text = planEval({ references: ['label'], metrics: [] }, columns, 't.parquet');
  assert.deepEqual(
    text.scores.map((s) => [s.name, s.pair?.answer, s.pair?.reference, s.kind]),
    [
      ['exact_match', 'answer', 'label', 'binary'],
      ['exact_match_norm', 'answer', 'label', 'binary'],
      ['f1', 'answer', 'label', 'continuous'],
    ],
  );
  assert.deepEqual(text.idColumns, ['_row_id']);
  const fields = planEval(
    { references: ['category=true_category', 'priority=true_priority'], metrics: [] },
    columns,
    't',
  );
  assert.deepEqual(
    fields.scores.map((s) => s.name),
    ['category.field_match', 'priority.field_match'],
  );
  assert.deepEqual(fields.allFields, ['category.field_match', 'priority.field_match']);
});

test('missing columns, unknown metrics and metrics without their reference are input errors naming the flag', () => {
  assert.throws(
    () => planEval({ references: ['gold'], metrics: [] }, columns, 't.parquet'),
    /--reference gold: t.parquet has no column gold/,
  );
  assert.throws(
    () => planEval({ references: ['label'], metrics: ['accuracy'] }, columns, 't'),
    /unknown metric accuracy; known metrics: exact_match/,
  );
  assert.throws(() => planEval({ references: [], metrics: ['f1'] }, columns, 't'), /no --reference/);
  assert.throws(
    () => planEval({ references: ['label'], metrics: [], by: 'country' }, columns, 't'),
    /--by country: t has no column country/,
  );
  assert.throws(
    () => planEval({ references: ['label'], metrics: ['numeric:tolerance=abc'] }, columns, 't'),
    /--metric numeric:tolerance=abc/,
  );
});

test('a regex or a judge needs no reference; --id names the join column', () => {
  const plan = planEval({ references: [], metrics: ['regex:pattern=^\\d+,\\d+$', 'judge'], id: 'id' }, columns, 't');
  assert.deepEqual(
    plan.scores.map((s) => [s.name, s.pair?.reference]),
    [
      ['judge', undefined],
      ['regex', undefined],
    ],
  );
  assert.deepEqual(plan.idColumns, ['id']);
  // The pattern keeps its comma.
  assert.equal(plan.scores[1]!.scorer!('12,34', null), 1);
});
