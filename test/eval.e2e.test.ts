// `llmap eval`, `compare` and `power` as a user runs them: two prompts run against the simulator on a labelled
// table (the simulator's `[sim truth=… accuracy=…]` directive makes one prompt right on ~90% of rows and the other on
// ~80%), then scored, compared with intervals and corrected p-values, and gated: the gate fails the command when
// the candidate regresses. The judge is asked through the engine, once. The runs are the README's, and the README's
// eval, compare and power examples are run as written: what they print is what the README shows.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSim, type SimServer } from '../src/sim/index.js';
import { duckdbRows, readColumnTypes, runCli, tempDir } from './helpers.js';
import { makeReadmeRuns, type ReadmeRuns } from './readme-runs.js';

let sim: SimServer;
let dir: string;
let runs: ReadmeRuns;
let runA: string;
let runB: string;
const env = () => ({ LLMAP_CACHE_DIR: join(dir, 'cache') });

before(async () => {
  sim = await startSim({ port: 0 });
  dir = tempDir('eval');
  // The README's own example runs (test/readme-runs.ts): 2,000 labelled tickets, prompt A right on ~90% of rows and
  // prompt B on ~80%.
  runs = await makeReadmeRuns(dir);
  runA = runs.promptA;
  runB = runs.promptB;
});
after(() => sim.close());

test('eval: accuracy per field with a bootstrap interval, by segment, honest about a 12-row segment', async () => {
  const scores = join(dir, 'a.scores.parquet');
  const summary = join(dir, 'a.summary.json');
  const result = await runCli(
    ['eval', runA, '--reference', 'category=label', '--by', 'lang', '--summary', summary, '--scores', scores],
    env(),
  );
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(readFileSync(summary, 'utf8')) as {
    candidate: {
      rows: number;
      stats: {
        score: string;
        segment?: string;
        n: number;
        mean: number;
        interval?: { low: number; high: number };
        note?: string;
      }[];
    };
  };
  assert.equal(report.candidate.rows, 2000);
  const overall = report.candidate.stats.find((s) => s.score === 'category.field_match' && s.segment === undefined)!;
  assert.equal(overall.n, 2000);
  assert.ok(Math.abs(overall.mean - 0.9) < 0.03, `accuracy ${overall.mean}`);
  assert.ok(overall.interval!.low < overall.mean && overall.mean < overall.interval!.high);
  assert.ok(overall.interval!.high - overall.interval!.low < 0.04, 'a 2,000-row interval is about ±1.3 points');
  const small = report.candidate.stats.find((s) => s.score === 'category.field_match' && s.segment === 'is')!;
  assert.equal(small.n, 12);
  assert.equal(small.interval, undefined);
  assert.match(small.note!, /only 12 scored rows: too few for an interval/);
  // The report is on stdout; stderr is left for logs.
  assert.match(result.stdout, /^llmap eval: /);
  assert.match(result.stdout, /category\.field_match/);
  assert.match(result.stdout, /too few for an interval/);
  assert.equal(result.stderr, '');

  // The per-row scores, beside the row they score.
  const types = await readColumnTypes(scores);
  assert.equal(types['score.category.field_match'], 'DOUBLE');
  const [check] = await duckdbRows(
    `SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE ("score.category.field_match" = 1) = (category = label))::INTEGER AS agree FROM '${scores}'`,
  );
  assert.deepEqual(check, { n: 2000, agree: 2000 });
});

test('compare: the candidate prompt loses ~10 points; interval, McNemar, Holm-corrected p-values; the gate fails', async () => {
  const result = await runCli(
    ['compare', runA, runB, '--reference', 'category=label', '--by', 'lang', '--summary', join(dir, 'ab.json')].concat([
      '--report',
      join(dir, 'ab.html'),
      '--gate',
      'regression(category.field_match) <= 0.02',
      '--gate',
      'category.field_match >= 0.5',
    ]),
    env(),
  );
  assert.equal(result.code, 6, result.stderr);
  const report = JSON.parse(readFileSync(join(dir, 'ab.json'), 'utf8')) as {
    comparison: {
      matched: number;
      joinedBy: string;
      correction: string;
      results: {
        score: string;
        segment?: string;
        n: number;
        difference: number;
        interval?: { low: number; high: number };
        tests: { test: string; pValue: number; pAdjusted: number }[];
        effect: { name: string; estimate: number };
      }[];
    };
    gates: { gate: { text: string }; value: number; passed: boolean }[];
  };
  const { comparison } = report;
  assert.deepEqual([comparison.matched, comparison.joinedBy, comparison.correction], [2000, 'id', 'holm']);
  const overall = comparison.results.find((r) => r.score === 'category.field_match' && r.segment === undefined)!;
  assert.equal(overall.n, 2000);
  assert.ok(Math.abs(overall.difference + 0.1) < 0.04, `difference ${overall.difference}`);
  assert.ok(overall.interval!.high < 0, 'the interval of B − A excludes zero');
  const [mcnemar] = overall.tests;
  assert.equal(mcnemar!.test, 'mcnemar');
  assert.ok(mcnemar!.pValue < 1e-6);
  assert.ok(overall.effect.name === 'odds_ratio' && overall.effect.estimate < 1, 'B is right alone less often than A');
  // Every corrected p-value is at least its raw one, and Holm's largest equals the largest raw of the family or more.
  const tests = comparison.results.flatMap((r) => r.tests);
  // One binary score, overall and in four segments: five McNemar tests in one family.
  assert.equal(tests.length, 5);
  for (const t of tests) assert.ok(t.pAdjusted >= t.pValue && t.pAdjusted <= 1);

  assert.deepEqual(
    report.gates.map((g) => [g.gate.text, g.passed]),
    [
      ['regression(category.field_match) <= 0.02', false],
      ['category.field_match >= 0.5', true],
    ],
  );
  assert.match(result.stdout, /^llmap compare: /);

  // --report: the intervals as charts (each run's scores by segment, the paired differences around zero), the gates.
  const html = readFileSync(join(dir, 'ab.html'), 'utf8');
  const charts = [...html.matchAll(/<figure class="chart" data-chart="([^"]+)"><svg[^>]*width="(\d+)"/g)];
  assert.deepEqual(
    charts.map((m) => m[1]),
    ['score:category.field_match', 'difference'],
  );
  assert.ok(charts.every((m) => Number(m[2]) > 100));
  assert.match(
    html,
    /<td>regression\(category\.field_match\) &lt;= 0\.02<\/td><td>[^<]+<\/td><td><span class="flag">failed/,
  );
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/);
  assert.match(result.stdout, /McNemar exact/);
  assert.match(result.stdout, /Holm correction across \d+ tests/);
  assert.match(result.stdout, /gates: 1 of 2 FAILED/);
  assert.match(result.stdout, /FAIL\s+regression\(category\.field_match\) <= 0\.02/);
  assert.equal(result.stderr, '');

  // The other way round the candidate is the better prompt: the same gate passes.
  const reverse = await runCli(
    ['compare', runB, runA, '--reference', 'category=label', '--gate', 'regression(category.field_match) <= 0.02'],
    env(),
  );
  assert.equal(reverse.code, 0, reverse.stderr);
  assert.match(reverse.stdout, /gates: all 1 passed/);
});

test('eval --baseline gates a regression the same way, and a gate on a missing score is an input error', async () => {
  const gated = await runCli(
    [
      'eval',
      runB,
      '--reference',
      'category=label',
      '--baseline',
      runA,
      '--gate',
      'regression(category.field_match).ci_low <= 0',
    ],
    env(),
  );
  assert.equal(gated.code, 6, gated.stderr);
  const bad = await runCli(['eval', runB, '--reference', 'category=label', '--gate', 'f1 >= 0.8'], env());
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--gate "f1 >= 0.8": no score f1; the scores are category.field_match/);
  const missing = await runCli(['eval', runB, '--reference', 'category=gold'], env());
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--reference category=gold: .* has no column gold/);
});

test('text metrics on a text answer, and the judge asked once through the engine, then from its run state and the cache', async () => {
  const textRun = join(dir, 'text.parquet');
  const made = await runCli(
    ['run', runs.tickets, '-p', 'Which team? {{text}} [sim truth="{{label}}" accuracy=0.7]'].concat([
      '-m',
      'openai:gpt-4o-mini',
      '--base-url',
      `${sim.url}/v1`,
      '--id',
      'id',
      '-o',
      textRun,
    ]),
    env(),
  );
  assert.equal(made.code, 0, made.stderr);
  const metrics = ['exact_match', 'exact_match_norm', 'f1', 'bleu', 'rouge_l', 'regex:pattern=^(billing|bug|account)$'];
  const scored = await runCli(
    ['eval', textRun, '--reference', 'label', ...metrics.flatMap((m) => ['--metric', m]), '--json'],
    env(),
  );
  assert.equal(scored.code, 0, scored.stderr);
  const stats = (JSON.parse(scored.stdout) as { candidate: { stats: { score: string; mean: number }[] } }).candidate
    .stats;
  const mean = (name: string) => stats.find((s) => s.score === name)!.mean;
  assert.ok(Math.abs(mean('exact_match') - 0.7) < 0.04, `exact match ${mean('exact_match')}`);
  // A wrong answer is "not <label>": it shares a token with the label, so F1 and ROUGE-L give it partial credit.
  assert.ok(mean('f1') > mean('exact_match') && mean('rouge_l') > mean('exact_match'));
  assert.equal(mean('regex'), mean('exact_match'));

  // Cosine of the answer's and the label's embeddings, by the embedding engine: 1 where the texts are equal.
  const cosineScores = join(dir, 'cosine.parquet');
  const cosine = await runCli(
    ['eval', textRun, '--reference', 'label', '--metric', 'embedding_cosine', '--metric', 'exact_match'].concat([
      '--embed-model',
      'openai:text-embedding-3-small',
      '--base-url',
      `${sim.url}/v1`,
      '--scores',
      cosineScores,
    ]),
    env(),
  );
  assert.equal(cosine.code, 0, cosine.stderr);
  const [agree] = await duckdbRows(
    `SELECT count(*) FILTER (WHERE "score.exact_match" = 1 AND abs("score.embedding_cosine" - 1) < 1e-5)::INTEGER AS same, ` +
      `count(*) FILTER (WHERE "score.exact_match" = 1)::INTEGER AS exact, ` +
      `count(*) FILTER (WHERE "score.exact_match" = 0 AND "score.embedding_cosine" < 0.99)::INTEGER AS apart, ` +
      `count(*) FILTER (WHERE "score.exact_match" = 0)::INTEGER AS wrong FROM '${cosineScores}'`,
  );
  assert.equal(agree!['same'], agree!['exact']);
  assert.equal(agree!['apart'], agree!['wrong']);

  const judge = [
    'eval',
    runA,
    '--metric',
    'judge',
    '--judge-prompt',
    'Is "{{category}}" the right team for: {{text}}? Score 1 to 5.',
    '-m',
    'openai:gpt-4o-mini',
    '--base-url',
    `${sim.url}/v1`,
    '--json',
  ];
  sim.resetStats();
  const first = await runCli(judge, env());
  assert.equal(first.code, 0, first.stderr);
  assert.equal(sim.stats().requests, 2000);
  const judged = (
    JSON.parse(first.stdout) as {
      candidate: {
        stats: { score: string; n: number; mean: number; range: number[] }[];
        modelRuns: { runs: { cost?: { runUsd: number } }[] }[];
      };
    }
  ).candidate;
  const score = judged.stats.find((s) => s.score === 'judge')!;
  assert.equal(score.n, 2000);
  assert.deepEqual(score.range, [1, 5]);
  assert.ok(score.mean >= 1 && score.mean <= 5);
  assert.ok(judged.modelRuns[0]!.runs[0]!.cost!.runUsd > 0, 'the judge is priced');
  assert.ok(existsSync(join(dir, 'runs', '.llmap', 'eval')));

  sim.resetStats();
  const again = await runCli(judge, env());
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /2,000 from the run state/);
  const fresh = await runCli([...judge, '--state', join(dir, 'other-state')], env());
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.match(fresh.stderr, /2,000 from the cache/);
  assert.equal(sim.stats().requests, 0, 'nothing asked twice');
  assert.equal(
    JSON.stringify((JSON.parse(again.stdout) as { candidate: { stats: unknown } }).candidate.stats),
    JSON.stringify(judged.stats),
  );
});

test('power: rows needed for a paired comparison, binary and continuous', async () => {
  const binary = await runCli(['power', 'binary', '--diff', '0.02', '--discordant', '0.1', '--json']);
  assert.equal(binary.code, 0, binary.stderr);
  const rows = (JSON.parse(binary.stdout) as { rows: number }).rows;
  assert.ok(rows > 1500 && rows < 2500, `${rows}`);
  assert.equal(binary.stderr, '');
  const sentence = await runCli(['power', 'binary', '--diff', '0.02', '--discordant', '0.1']);
  assert.equal(sentence.code, 0, sentence.stderr);
  assert.match(sentence.stdout, /^llmap power: [\d,]+ paired rows needed \(McNemar/);
  const continuous = await runCli(['power', 'continuous', '--diff', '1', '--sd', '1', '--power', '0.9', '--json']);
  assert.equal((JSON.parse(continuous.stdout) as { rows: number }).rows, 13);
  // A power is a probability: 1 here, not 1.0000000000200144.
  const certain = await runCli(['power', 'continuous', '--diff', '0.02', '--sd', '0.25', '--rows', '100000', '--json']);
  assert.equal(certain.code, 0, certain.stderr);
  assert.equal((JSON.parse(certain.stdout) as { power: number }).power, 1);
  const certainText = await runCli(['power', 'continuous', '--diff', '0.02', '--sd', '0.25', '--rows', '100000']);
  assert.match(certainText.stdout, /100\.0% power with 100,000 paired rows/);
  const bad = await runCli(['power', 'binary', '--diff', '0.2', '--discordant', '0.1']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--diff 0.2 must be smaller than --discordant 0.1/);
});

/** The fenced examples of the README's `### \`llmap NAME` sections: the command on the first line, then what it prints. */
function readmeExamples(names: readonly string[]): { section: string; command: string; shown: string[] }[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const examples: { section: string; command: string; shown: string[] }[] = [];
  for (const section of readme.split(/^### /m)) {
    const name = /^`llmap (\w+)/.exec(section)?.[1];
    if (name === undefined || !names.includes(name)) continue;
    for (const block of section.matchAll(/^```\n([\s\S]*?)^```/gm)) {
      const [command, ...shown] = block[1]!.replace(/\n$/, '').split('\n');
      if (command!.startsWith('llmap ')) examples.push({ section: name, command: command!, shown });
    }
  }
  return examples;
}

/** A command line's words: split on spaces, "double quotes" keeping theirs together. */
function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

/**
 * Where the lines shown (runs separated by `...`) sit in a stream's lines, each run contiguous and the runs in order;
 * undefined when they do not.
 */
function findShown(shown: readonly string[], printed: readonly string[]): number | undefined {
  const runsOfLines: string[][] = [[]];
  for (const line of shown) {
    if (line.trim() === '...') runsOfLines.push([]);
    else runsOfLines[runsOfLines.length - 1]!.push(line);
  }
  let from = 0;
  for (const lines of runsOfLines.map((r) => r.join('\n').trim().split('\n'))) {
    if (lines.join('') === '') continue;
    let at = from;
    while (
      at + lines.length <= printed.length &&
      lines.some((line, i) => printed[at + i]!.trimEnd() !== line.trimEnd())
    )
      at++;
    if (at + lines.length > printed.length) return undefined;
    from = at + lines.length;
  }
  return from;
}

test('the README’s eval, compare and power examples print what the README shows, run as written on its runs', async () => {
  const examples = readmeExamples(['eval', 'compare', 'power']);
  assert.deepEqual(
    examples.map((e) => e.section),
    ['eval', 'compare', 'power'],
    'one example with its output in each section',
  );
  for (const { command, shown } of examples) {
    const result = await runCli(words(command).slice(1), env(), { cwd: dir });
    assert.ok(result.code === 0 || result.code === 6, `${command}: exit ${result.code}\n${result.stderr}`);
    const found = [result.stdout, result.stderr].some((printed) => findShown(shown, printed.split('\n')) !== undefined);
    assert.ok(
      found,
      `${command}\nREADME shows:\n${shown.join('\n')}\nllmap printed:\n${result.stdout}${result.stderr}`,
    );
  }
});
