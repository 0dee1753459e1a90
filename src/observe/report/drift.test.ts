// Drift as a statistician would check it: a 10-point shift of one enum's share on 5,000 rows is flagged; runs drawn
// from one distribution are flagged about as often as 2σ implies (4.55% of the statistics), no more.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openDuckDB, type DuckDB } from '../../table/duckdb.js';
import { compareProfiles } from './drift.js';
import { profileOutput, type OutputProfile } from './profile-output.js';

const SCHEMA = {
  type: 'object',
  properties: {
    risk: { type: 'string', enum: ['low', 'medium', 'high'] },
    score: { type: 'number' },
  },
};

/** An llmap output of `rows` ok rows whose `risk` is high with probability `high` (the rest split evenly) and
 * whose `score` is normal(50, 10): what a run of the simulator's oracle over such labels writes. */
async function seededRun(db: DuckDB, seed: number, rows: number, high: number): Promise<OutputProfile> {
  await db.connection.run(`SELECT setseed(${(seed % 1000) / 1000})`);
  const relation =
    `(SELECT CASE WHEN u < ${high} THEN 'high' WHEN u < ${high} + ${(1 - high) / 2} THEN 'medium' ELSE 'low' END AS risk, ` +
    `50 + 10 * sqrt(-2 * ln(v)) * cos(2 * pi() * w) AS score, 'ok' AS _status ` +
    `FROM (SELECT random() AS u, greatest(random(), 1e-12) AS v, random() AS w FROM range(${rows})))`;
  await db.connection.run(`CREATE OR REPLACE TABLE run AS SELECT * FROM ${relation}`);
  return profileOutput(db, {
    relation: 'run',
    columns: [
      { name: 'risk', type: 'VARCHAR' },
      { name: 'score', type: 'DOUBLE' },
    ],
    answers: ['risk', 'score'],
    schema: SCHEMA,
  });
}

describe('drift between two runs of a job', () => {
  test('a 10-point shift of one share on 5,000 rows is flagged; the other shares move with it', async () => {
    const db = await openDuckDB();
    try {
      const before = await seededRun(db, 1, 5000, 0.3);
      const after = await seededRun(db, 2, 5000, 0.4);
      const drift = compareProfiles(before, after, 2);
      const high = drift.statistics.find((s) => s.name === 'risk = high')!;
      assert.ok(high.flagged, `risk = high moved ${high.z.toFixed(1)}σ`);
      assert.ok(high.current - high.baseline > 0.08 && high.current - high.baseline < 0.12);
      assert.ok(!drift.statistics.find((s) => s.name === 'mean of score')!.flagged);
    } finally {
      db.close();
    }
  });

  test('over 20 seeded reruns of one distribution, false alarms are at most what 2σ implies', async () => {
    const db = await openDuckDB();
    try {
      let previous = await seededRun(db, 100, 5000, 0.3);
      let tested = 0;
      let alarms = 0;
      for (let seed = 101; seed <= 120; seed++) {
        const current = await seededRun(db, seed, 5000, 0.3);
        const drift = compareProfiles(previous, current, 2);
        tested += drift.statistics.length;
        alarms += drift.flagged.length;
        previous = current;
      }
      // 3 shares and a mean per rerun. Two-sided 2σ: each is flagged with probability 4.55%; the count of false
      // alarms over `tested` statistics is at most the binomial's 95th percentile at that rate.
      assert.equal(tested, 80);
      const rate = 2 * (1 - 0.97725);
      assert.ok(alarms <= binomialQuantile(tested, rate, 0.95), `${alarms} false alarms of ${tested} statistics`);
    } finally {
      db.close();
    }
  });

  test('a vocabulary of 40 values whose ranks shuffle is not drift; one that grew past 12 values still compares as shares', async () => {
    const db = await openDuckDB();
    try {
      const country = async (seed: number, values: number) => {
        await db.connection.run(`SELECT setseed(${seed / 100})`);
        await db.connection.run(
          `CREATE OR REPLACE TABLE run AS SELECT 'c' || floor(random() * ${values})::INTEGER AS country, 'ok' AS _status FROM range(8000)`,
        );
        return (baseline?: OutputProfile) =>
          profileOutput(db, {
            relation: 'run',
            columns: [{ name: 'country', type: 'VARCHAR' }],
            answers: ['country'],
            schema: {
              properties: { country: { type: 'string', enum: Array.from({ length: 40 }, (_, i) => `c${i}`) } },
            },
            ...(baseline ? { baseline } : {}),
          });
      };
      const a = await (await country(1, 40))();
      const b = await (await country(2, 40))();
      const drift = compareProfiles(a, b, 4);
      assert.equal(drift.statistics.length, 40);
      assert.deepEqual(drift.flagged, [], 'every value is counted, none read as 0 for ranking past the top');

      // Free text with 5 values, then 20: measured as the baseline measured it (shares), so the new values show.
      const free = async (seed: number, values: number, baseline?: OutputProfile) => {
        await db.connection.run(`SELECT setseed(${seed / 100})`);
        await db.connection.run(
          `CREATE OR REPLACE TABLE run AS SELECT 'label ' || floor(random() * ${values})::INTEGER AS label, 'ok' AS _status FROM range(2000)`,
        );
        return profileOutput(db, {
          relation: 'run',
          columns: [{ name: 'label', type: 'VARCHAR' }],
          answers: ['label'],
          schema: undefined,
          ...(baseline ? { baseline } : {}),
        });
      };
      const before = await free(3, 5);
      assert.equal(before.columns[0]!.kind, 'category');
      assert.equal((await free(4, 20)).columns[0]!.kind, 'length', 'alone, 20 values read as free text');
      const after = await free(4, 20, before);
      assert.equal(after.columns[0]!.kind, 'category');
      assert.ok(compareProfiles(before, after, 2).flagged.length >= 5);
    } finally {
      db.close();
    }
  });

  test('a changed constant, a column the baseline lacks, and values too rare to test', () => {
    const numeric = (mean: number, sd: number) => ({
      kind: 'number' as const,
      name: 'n',
      n: 100,
      nulls: 0,
      mean,
      sd,
      min: mean,
      max: mean,
      bins: [],
    });
    const status = {
      kind: 'category' as const,
      name: '_status',
      n: 100,
      nulls: 0,
      counts: [{ value: 'ok', count: 100 }],
      other: 0,
    };
    const rare = (count: number) => ({
      kind: 'category' as const,
      name: 'c',
      n: 100,
      nulls: 0,
      counts: [
        { value: 'a', count: 100 - count },
        { value: 'b', count },
      ],
      other: 0,
    });
    const a: OutputProfile = { rows: 100, status, columns: [numeric(3, 0), rare(1)] };
    const b: OutputProfile = {
      rows: 100,
      status,
      columns: [numeric(4, 0), rare(2), { ...numeric(1, 1), name: 'new' }],
    };
    const drift = compareProfiles(a, b, 2);
    assert.deepEqual(
      drift.statistics.map((s) => [s.name, s.flagged]),
      [['mean of n', true]],
    );
    assert.deepEqual(drift.notes, ['new: not in the baseline']);
  });
});

/** The smallest k with P(X ≤ k) ≥ q for X ~ Binomial(n, p). */
function binomialQuantile(n: number, p: number, q: number): number {
  let cumulative = 0;
  let term = Math.pow(1 - p, n);
  for (let k = 0; k <= n; k++) {
    cumulative += term;
    if (cumulative >= q) return k;
    term *= ((n - k) / (k + 1)) * (p / (1 - p));
  }
  return n;
}
