import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openJobSource } from '../job/job-source.js';
import { InputError } from '../job/input-error.js';
import { loadJob } from '../job/load-job.js';
import { openDuckDB, type DuckDB } from './duckdb.js';
import { checkExpectations, checkJobExpectations, type Expectations } from './expectations.js';
import { ExpectationsFailedError } from './expectations-failed-error.js';
import { parseExpectRule } from './expect-rules.js';
import { openTable, type Row } from './read-table.js';
import { describeInput, fileInput, relationSql } from './table-input.js';

const dir = mkdtempSync(join(tmpdir(), 'llmap-expect-'));
/** Five rows with text in several scripts, an empty and a missing cell, a list and a struct, a repeated id. */
const REVIEWS = join(dir, 'reviews.jsonl');
writeFileSync(
  REVIEWS,
  [
    { id: 'a1', body: 'Grüße aus Köln', lang: 'de', stars: 5, tags: ['x', 'y'], meta: { src: 'web' } },
    { id: 'a2', body: '', lang: 'en', stars: 1, tags: [], meta: { src: 'app' } },
    { id: 'a3', body: null, lang: 'fr', stars: 3, tags: ['z'], meta: { src: 'web' } },
    { id: 'a4', body: '日本語のテキスト', lang: 'ja', stars: 7, tags: ['a', 'b', 'c'], meta: null },
    { id: 'a1', body: 'dup id', lang: 'en', stars: 2, tags: null, meta: { src: 'web' } },
  ]
    .map((row) => JSON.stringify(row))
    .join('\n') + '\n',
);

describe('data checks over the input (--expect)', () => {
  let db: DuckDB;
  before(async () => (db = await openDuckDB()));
  after(() => db.close());

  const check = async (
    rules: readonly string[],
    options: { action?: 'fail' | 'skip'; idColumn?: string; path?: string } = {},
  ): Promise<Expectations> => {
    const input = fileInput(options.path ?? REVIEWS);
    const source = await openTable(db, input);
    return checkExpectations(db, {
      rules: rules.map((text) => ({ text, origin: '--expect' })),
      action: options.action ?? 'skip',
      relation: relationSql(input),
      columns: source.columns,
      rowCount: source.rowCount,
      idColumn: options.idColumn,
      where: describeInput(input),
    });
  };
  /** Each rule's failing rows (their row numbers, from 1), under skip so that nothing throws. */
  const failing = async (rules: readonly string[]) =>
    (await check(rules)).results.map((r) => ({ rule: r.rule.text, failing: r.failing, rows: r.examples }));
  const refused = async (rules: readonly string[], message: RegExp, options: Parameters<typeof check>[1] = {}) => {
    await assert.rejects(check(rules, options), (error: unknown) => {
      assert.ok(InputError.isInstance(error), String(error));
      assert.match(error.message, message);
      return true;
    });
  };

  test('not_null fails a missing cell only: an empty text is a value', async () => {
    assert.deepEqual(await failing(['not_null(body)', 'not_null(lang)']), [
      { rule: 'not_null(body)', failing: 1, rows: ['3'] },
      { rule: 'not_null(lang)', failing: 0, rows: [] },
    ]);
  });

  test('unique fails every row of a repeated value; NULLs never repeat', async () => {
    assert.deepEqual(await failing(['unique(id)', 'unique(body)']), [
      { rule: 'unique(id)', failing: 2, rows: ['1', '5'] },
      { rule: 'unique(body)', failing: 0, rows: [] },
    ]);
  });

  test('length counts characters of a text and elements of a list; NULL passes', async () => {
    assert.deepEqual(
      await failing(['length(body) between 1 and 10', 'length(body) between 0 and 20', 'LENGTH(tags) BETWEEN 1 AND 2']),
      [
        // 'Grüße aus Köln' has 14 characters, '' none; '日本語のテキスト' is 8 characters (24 bytes) and passes.
        { rule: 'length(body) between 1 and 10', failing: 2, rows: ['1', '2'] },
        { rule: 'length(body) between 0 and 20', failing: 0, rows: [] },
        { rule: 'LENGTH(tags) BETWEEN 1 AND 2', failing: 2, rows: ['2', '4'] },
      ],
    );
  });

  test('values fails a value not listed, for text and for numbers', async () => {
    assert.deepEqual(
      await failing([
        "values(lang) in ('en', 'de', 'fr')",
        "values(lang) in ('en', 'de', 'fr', 'ja')",
        'values(stars) in (1, 2, 3, 5)',
        "values(stars) in ('1', '2', '3', '5', '7')",
      ]),
      [
        { rule: "values(lang) in ('en', 'de', 'fr')", failing: 1, rows: ['4'] },
        { rule: "values(lang) in ('en', 'de', 'fr', 'ja')", failing: 0, rows: [] },
        { rule: 'values(stars) in (1, 2, 3, 5)', failing: 1, rows: ['4'] },
        { rule: "values(stars) in ('1', '2', '3', '5', '7')", failing: 0, rows: [] },
      ],
    );
  });

  test('match searches the value for the regex (anchors for the whole value); NULL passes', async () => {
    assert.deepEqual(await failing(["match(id, '^a[0-9]$')", "match(body, 'ö')", "match(stars, '^[1-5]$')"]), [
      { rule: "match(id, '^a[0-9]$')", failing: 0, rows: [] },
      { rule: "match(body, 'ö')", failing: 3, rows: ['2', '4', '5'] },
      { rule: "match(stars, '^[1-5]$')", failing: 1, rows: ['4'] },
    ]);
  });

  test('a SQL condition over the row: false fails, NULL passes, nested fields can be read', async () => {
    assert.deepEqual(await failing(['stars BETWEEN 1 AND 5', "meta.src = 'web'", 'len(tags) < 10']), [
      { rule: 'stars BETWEEN 1 AND 5', failing: 1, rows: ['4'] },
      // Row 4's meta is NULL, so its condition is NULL: it passes.
      { rule: "meta.src = 'web'", failing: 1, rows: ['2'] },
      { rule: 'len(tags) < 10', failing: 0, rows: [] },
    ]);
  });

  test('rows compares the row count; no row fails it', async () => {
    const { results } = await check(['rows >= 5', 'rows > 4', 'rows = 5', 'rows <= 5', 'rows < 6']);
    assert.deepEqual(
      results.map((r) => [r.rule.text, r.passed, r.failing, r.rows]),
      [
        ['rows >= 5', true, 0, 5],
        ['rows > 4', true, 0, 5],
        ['rows = 5', true, 0, 5],
        ['rows <= 5', true, 0, 5],
        ['rows < 6', true, 0, 5],
      ],
    );
    await refused(['rows < 5'], /rows < 5 +--expect +— {2}the input has 5 rows/, { action: 'fail' });
  });

  test('a failed rule stops the job with a table of the failed rules, their rows and the first of them', async () => {
    await assert.rejects(
      check(['not_null(body)', 'unique(id)', 'rows >= 1000', "values(lang) in ('en', 'de')"], { action: 'fail' }),
      (error: unknown) => {
        assert.ok(ExpectationsFailedError.isInstance(error));
        assert.ok(InputError.isInstance(error), 'exit 2');
        assert.equal(
          error.message,
          [
            `4 of 4 data check(s) failed on input ${REVIEWS} (5 rows); nothing was sent:`,
            '  rule                          from      rows failing  first failing rows (row number, from 1)',
            '  not_null(body)                --expect             1  3',
            '  unique(id)                    --expect             2  1, 5',
            '  rows >= 1000                  --expect             —  the input has 5 rows',
            "  values(lang) in ('en', 'de')  --expect             2  3, 4",
            'fix the data or the rules, or pass --expect-action skip to leave the failing rows unasked (_status = skipped)',
          ].join('\n'),
        );
        assert.deepEqual(
          error.failed.map((r) => r.rule.text),
          ['not_null(body)', 'unique(id)', 'rows >= 1000', "values(lang) in ('en', 'de')"],
        );
        return true;
      },
    );
  });

  test('the first failing rows are named by the --id column when there is one, at most five', async () => {
    const path = join(dir, 'many.csv');
    writeFileSync(path, 'key,n\n' + Array.from({ length: 20 }, (_, i) => `k-${i},${i}`).join('\n') + '\n');
    await assert.rejects(check(['n < 3'], { action: 'fail', idColumn: 'key', path }), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(
        error.message,
        /rows failing {2}first failing rows \(--id key\)\n {2}n < 3 +--expect +17 {2}k-3, k-4, k-5, k-6, k-7, …/,
      );
      return true;
    });
  });

  test('with skip, the failing rows are known by position in input order, each with the first rule it fails', async () => {
    const { skipped, results } = await check(['not_null(body)', 'unique(id)', 'stars <= 5']);
    assert.deepEqual(
      results.map((r) => r.failing),
      [1, 2, 1],
    );
    assert.equal(skipped.count, 4);
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((position) => skipped.ruleAt(position)),
      ['unique(id)', undefined, 'not_null(body)', 'stars <= 5', 'unique(id)'],
    );
  });

  test('a rows rule fails the job even with skip: it leaves no row to skip', async () => {
    await refused(['not_null(body)', 'rows >= 6'], /a rows rule is about the whole table/, { action: 'skip' });
  });

  test('no failing row: nothing is skipped', async () => {
    const { skipped } = await check(['not_null(id)', 'rows >= 1']);
    assert.equal(skipped.count, 0);
    assert.equal(skipped.ruleAt(0), undefined);
  });

  test('a column that does not exist is named, with the columns that do', async () => {
    await refused(
      ['not_null(bdy)'],
      /^--expect not_null\(bdy\): the input has no column "bdy"; its columns are: id, body, lang, stars, tags, meta$/,
    );
    await refused(['unique(ID)'], /no column "ID" \(did you mean "id"\?\)/);
    await refused(
      ['bdy IS NOT NULL'],
      /^--expect bdy IS NOT NULL: the input has no column "bdy"; its columns are: id, body/,
    );
  });

  test('a rule of a known kind written wrongly says its form', async () => {
    await refused(['not_null(body'], /^--expect not_null\(body: expected the form not_null\(column\)$/);
    await refused(['values(lang) in (en, de)'], /expected a list of literals/);
    await refused(["match(body, 'a'"], /expected the form match\(column, 'regex'\)/);
    await refused(['rows >= many'], /expected the form rows >= N/);
    await refused(['length(body) between 9 and 1'], /bounds are the wrong way round \(9 > 1\)/);
  });

  test('a SQL condition must be one boolean expression of a row', async () => {
    await refused(['stars + 1'], /^--expect stars \+ 1: not a condition: it gives BIGINT/);
    await refused(['count(*) > 1'], /^--expect count\(\*\) > 1: DuckDB cannot check it/);
    await refused(['true FROM t'], /one expression over the row/);
    await refused(['true) AS x, (true'], /nor a SQL condition: syntax error/);
    await refused(['stars > 1; SELECT 1'], /one expression over the row/);
    await refused(['stars > 1; DROP TABLE x'], /nor a SQL condition/);
    await refused(['stars >'], /neither a rule .* nor a SQL condition: syntax error/);
    await refused(["regexp_matches(body, '(')"], /DuckDB cannot check it: .*missing \)/);
  });

  test('quoted and non-ASCII column names are columns', async () => {
    const path = join(dir, 'names.csv');
    writeFileSync(path, 'prénom,"full name"\nJosé,José Ñ\n,x\n');
    assert.deepEqual(
      (await check(['not_null(prénom)', 'unique("full name")'], { path })).results.map((r) => r.failing),
      [1, 0],
    );
  });

  test('a prompt file carries its rules in its front matter; they run with those of --expect', async () => {
    const prompt = join(dir, 'triage.md');
    writeFileSync(
      prompt,
      "---\nexpect:\n  - not_null(body)\n  - \"values(lang) in ('en', 'de')\"\n---\nTriage {{body}}\n",
    );
    const job = loadJob(
      { input: REVIEWS, prompt, model: 'openai:m', out: join(dir, 'o.jsonl'), expect: ['unique(id)'] },
      {},
      { sends: false },
    );
    const source = await openJobSource(db, job);
    await assert.rejects(checkJobExpectations(db, job, source), (error: unknown) => {
      assert.ok(ExpectationsFailedError.isInstance(error));
      assert.deepEqual(
        error.failed.map((r) => [r.rule.text, r.rule.origin, r.failing]),
        [
          ['not_null(body)', `${prompt} (front matter)`, 1],
          ["values(lang) in ('en', 'de')", `${prompt} (front matter)`, 2],
          ['unique(id)', '--expect', 2],
        ],
      );
      return true;
    });
  });

  test('under --limit the rows of the run are checked, and rows counts the whole input', async () => {
    const job = loadJob(
      {
        input: REVIEWS,
        prompt: 'x {{body}}',
        model: 'openai:m',
        out: join(dir, 'o.jsonl'),
        limit: '3',
        expect: ['unique(id)', 'rows >= 5', 'stars <= 5'],
      },
      {},
      { sends: false },
    );
    const { results } = await checkJobExpectations(db, job, await openJobSource(db, job));
    assert.deepEqual(
      results.map((r) => [r.rule.text, r.passed]),
      [
        ['unique(id)', true],
        ['rows >= 5', true],
        ['stars <= 5', true],
      ],
    );
  });

  test('the rows the checks number are the rows the job streams, in order', async () => {
    const path = join(dir, 'order.csv');
    writeFileSync(path, 'n\n' + Array.from({ length: 5000 }, (_, i) => String((i * 7919) % 5000)).join('\n') + '\n');
    const { skipped } = await check(['n % 97 <> 0'], { path });
    const source = await openTable(db, fileInput(path));
    const rows: Row[] = [];
    for await (const batch of source.batches()) rows.push(...batch);
    const expected = rows.flatMap((row, i) => (Number(row['n']) % 97 === 0 ? [i] : []));
    assert.deepEqual(
      rows.flatMap((_, i) => (skipped.ruleAt(i) ? [i] : [])),
      expected,
    );
    assert.ok(expected.length > 40);
  });
});

describe('reading a rule', () => {
  const kind = (text: string) => parseExpectRule({ text, origin: '--expect' }).rule;

  test('each named rule, any case and spacing, and anything else as SQL', () => {
    assert.deepEqual(kind(' NOT_NULL( body ) '), { kind: 'not_null', column: 'body' });
    assert.deepEqual(kind('unique("a ""b""")'), { kind: 'unique', column: 'a "b"' });
    assert.deepEqual(kind('length(x) between 1 and 20000'), { kind: 'length', column: 'x', min: 1, max: 20000 });
    assert.deepEqual(kind("values(l) in ('it''s', 2, -1.5, TRUE)"), {
      kind: 'values',
      column: 'l',
      literals: [
        { kind: 'string', value: "it's" },
        { kind: 'number', text: '2' },
        { kind: 'number', text: '-1.5' },
        { kind: 'boolean', text: 'true' },
      ],
    });
    assert.deepEqual(kind("match(email, '^[^@]+@')"), { kind: 'match', column: 'email', pattern: '^[^@]+@' });
    assert.deepEqual(kind('rows >= 1_000'), { kind: 'rows', op: '>=', count: 1000 });
    assert.deepEqual(kind('length(x) < 5'), { kind: 'sql', expression: 'length(x) < 5' });
  });

  test('the front matter takes one rule or a list', () => {
    const prompt = join(dir, 'one.md');
    writeFileSync(prompt, '---\nexpect: rows >= 1\n---\nSay {{body}}\n');
    const job = loadJob({ input: REVIEWS, prompt, model: 'openai:m', out: join(dir, 'p.jsonl') }, {}, { sends: false });
    assert.deepEqual(job.expect, {
      rules: [{ text: 'rows >= 1', origin: `${prompt} (front matter)` }],
      action: 'fail',
    });
  });
});
