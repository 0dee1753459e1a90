// `llmap run --expect` and `--keep-prompts` end to end: the real CLI against the simulator, whose counters say what
// was sent.

import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startSim, type SimServer } from '../src/sim/index.js';
import { readColumnTypes, readRows, runCli, tempDir } from './helpers.js';

/** Six reviews: several scripts, an empty and a missing body, a list and a struct, a language not allowed. */
const REVIEWS = [
  { id: 'r1', body: 'Grüße aus Köln: der Mixer läuft', lang: 'de', tags: ['kitchen'], meta: { src: 'web' } },
  { id: 'r2', body: null, lang: 'en', tags: [], meta: { src: 'app' } },
  { id: 'r3', body: 'Works fine, "mostly"', lang: 'en', tags: ['a', 'b'], meta: null },
  { id: 'r4', body: '日本語のレビュー', lang: 'ja', tags: null, meta: { src: 'web' } },
  { id: 'r5', body: '', lang: 'en', tags: ['x'], meta: { src: 'web' } },
  { id: 'r6', body: 'Broke after a week', lang: 'fr', tags: ['z'], meta: { src: 'app' } },
];

describe('llmap run --expect and --keep-prompts against llmap sim', () => {
  const dir = tempDir('expect');
  const input = join(dir, 'reviews.jsonl');
  writeFileSync(input, REVIEWS.map((r) => JSON.stringify(r)).join('\n') + '\n');
  // The job carries its own checks.
  const prompt = join(dir, 'label.md');
  writeFileSync(
    prompt,
    "---\nsystem: You label reviews.\nexpect:\n  - not_null(body)\n  - \"values(lang) in ('en', 'de', 'fr')\"\n---\n" +
      'Label ({{lang}}): {{body}}\n',
  );
  let sim: SimServer;
  before(async () => (sim = await startSim({ port: 0 })));
  after(() => sim.close());
  beforeEach(() => sim.resetStats());

  const run = (out: string, ...extra: string[]) =>
    runCli([
      'run',
      input,
      '-p',
      prompt,
      '-m',
      'openai:gpt-4o-mini',
      '--base-url',
      `${sim.url}/v1`,
      '-o',
      out,
      ...extra,
    ]);

  test('a failed check exits 2 with a table of the rules and their rows; nothing is sent or recorded', async () => {
    const out = join(dir, 'fail.jsonl');
    const result = await run(out, '--expect', 'unique(id)', '--expect', 'length(body) between 1 and 30');
    assert.equal(result.code, 2, result.stderr);
    const from = `${prompt} (front matter)`;
    const line = (rule: string, origin: string, failing: string, rows: string) =>
      `  ${rule.padEnd(34)}  ${origin.padEnd(from.length)}  ${failing.padStart(12)}  ${rows}`.trimEnd();
    assert.equal(
      result.stderr,
      [
        `llmap: error: 3 of 4 data check(s) failed on input ${input} (6 rows); nothing was sent:`,
        line('rule', 'from', 'rows failing', 'first failing rows (row number, from 1)'),
        line('not_null(body)', from, '1', '2'),
        line("values(lang) in ('en', 'de', 'fr')", from, '1', '4'),
        line('length(body) between 1 and 30', '--expect', '2', '1, 5'),
        'fix the data or the rules, or pass --expect-action skip to leave the failing rows unasked (_status = skipped)',
        '',
      ].join('\n'),
    );
    assert.equal(sim.stats().requests, 0);
    assert.equal(existsSync(out), false);
    assert.equal(existsSync(join(dir, '.llmap', 'fail.jsonl')), false, 'no run state');
  });

  test('with skip, failing rows are written unasked with the rule as _error, and asked once the rule is lifted', async () => {
    const out = join(dir, 'skip.parquet');
    const result = await run(out, '--expect-action', 'skip', '--expect', "meta.src = 'web'");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /ok 3 · failed 0 · invalid 0 · skipped 3\n/);
    assert.match(result.stdout, /\n {2}answered: 0 from the run state · 0 from the cache · 3 asked\n/);
    assert.match(
      result.stderr,
      /data check not_null\(body\) \(.*label\.md \(front matter\)\) fails on 1 row\(s\) \(first: 2\)/,
    );
    assert.equal(sim.stats().requests, 3);
    const rows = await readRows(out);
    assert.deepEqual(
      rows.map((r) => [r['id'], r['_status'], r['_error'], r['_attempts']]),
      [
        ['r1', 'ok', null, 1],
        ['r2', 'skipped', 'not_null(body)', 0],
        ['r3', 'ok', null, 1],
        ['r4', 'skipped', "values(lang) in ('en', 'de', 'fr')", 0],
        ['r5', 'ok', null, 1],
        ['r6', 'skipped', "meta.src = 'web'", 0],
      ],
    );
    // The nested and non-ASCII cells are written back as they were read.
    assert.deepEqual(rows[0]!['meta'], { src: 'web' });
    assert.equal(rows[3]!['body'], '日本語のレビュー');

    // The same job without the --expect rule: the row it skipped is asked now, the others come from the run state.
    sim.resetStats();
    const again = await run(out, '--expect-action', 'skip');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /ok 4 · failed 0 · invalid 0 · skipped 2\n/);
    assert.match(again.stdout, /answered: 3 from the run state · 0 from the cache · 1 asked\n/);
    assert.equal(sim.stats().requests, 1);
  });

  test('--keep-prompts writes each rendered prompt as _prompt, for asked, resumed and sampled rows', async () => {
    const out = join(dir, 'prompts.jsonl');
    const args = ['--expect-action', 'skip', '--keep-prompts', '--samples', '2', '--temperature', '1'];
    const first = await run(out, ...args);
    assert.equal(first.code, 0, first.stderr);
    const expected = (body: string, lang: string) => `system:\nYou label reviews.\n\nuser:\nLabel (${lang}): ${body}\n`;
    const prompts = async () =>
      (await readRows(out)).map((r) => [r['id'], Number(r['_sample']), r['_status'], r['_prompt']]);
    const want = REVIEWS.flatMap((r) =>
      [0, 1].map((sample) => [
        r.id,
        sample,
        r.body === null || r.lang === 'ja' ? 'skipped' : 'ok',
        expected(r.body ?? '', r.lang),
      ]),
    );
    assert.deepEqual(await prompts(), want);
    assert.equal((await readColumnTypes(out))['_prompt'], 'VARCHAR');
    // Every answer from the run state: the prompts are rendered again.
    sim.resetStats();
    const again = await run(out, ...args);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(sim.stats().requests, 0);
    assert.deepEqual(await prompts(), want);
  });
});
