// The run report as a person sees it: a run against the simulator writes `<out>.report.html`, opened here in a real
// Chromium (Debian's, driven by playwright-core) with scripts off: it loads nothing from the network, logs no error,
// shows a chart for every answer column and for the run over time, and its sample table holds the rows of
// `<out>.sample.parquet`; a screenshot of it is not blank. Then drift: the same job on a second day's 5,000 rows of
// the same distribution is not flagged, and a day whose `high` share moved 10 points is, with exit 8.

import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { startSim, type SimServer } from '../src/sim/index.js';
import { EXAMPLE_TICKETS, readRows, runCli, tempDir, writeRiskDay } from './helpers.js';

const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
  ],
};

const TRIAGE = ['-p', 'examples/triage.md', '-s', 'examples/triage.schema.json'];

describe('the run report', () => {
  let sim: SimServer;
  let browser: Browser;
  const dir = tempDir('report');
  let base: string[];
  before(async () => {
    sim = await startSim({ port: 0 });
    base = ['-m', 'openai:gpt-4o-mini', '--base-url', `${sim.url}/v1`, '--concurrency', '32'];
    browser = await chromium.launch(CHROMIUM);
  });
  after(async () => {
    await browser.close();
    await sim.close();
  });

  test('opens offline in Chromium with scripts off: charts for every answer, the sample rows, a real picture', async () => {
    const out = join(dir, 'tickets.parquet');
    const run = await runCli(
      ['run', EXAMPLE_TICKETS, ...TRIAGE, ...base, '-o', out, '--json'],
      {},
      { cwd: repoRoot() },
    );
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { report: { html: string; sample: string } };
    assert.equal(summary.report.html, join(dir, 'tickets.report.html'));
    assert.equal(summary.report.sample, join(dir, 'tickets.sample.parquet'));

    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(`file://${summary.report.html}`);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [`file://${summary.report.html}`]);

    // A chart for the rows by status, each answer column (the list column as sizes), and the run over time.
    const charts = await page.evaluate<
      { id: string; drawn: boolean }[]
    >(`[...document.querySelectorAll('figure.chart')].map((f) => {
      const svg = f.querySelector('svg').getBoundingClientRect();
      return { id: f.getAttribute('data-chart'), drawn: svg.width > 50 && svg.height > 50 };
    })`);
    assert.deepEqual(
      charts.map((c) => c.id),
      [
        'status',
        'column:category',
        'column:urgency',
        'column:sentiment',
        'column:contains_pii',
        'column:summary',
        'column:tags',
        'throughput',
        'latency',
      ],
    );
    assert.ok(charts.every((c) => c.drawn));
    assert.match((await page.textContent('#drift')) ?? '', /No baseline/);

    // The sample table: 50 of the 300 rows (1%, at least 50), the same rows as the sample file, in output order,
    // each as the output has it.
    const shown = await page.evaluate<string[][]>(`[...document.querySelectorAll('#sample-table tbody tr')].map((row) =>
      [...row.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent))`);
    const sample = await readRows(summary.report.sample);
    const output = await readRows(out);
    assert.equal(shown.length, 50);
    assert.deepEqual(
      shown,
      sample.map((row) => [String(row['_row']), row['ticket_id']]),
    );
    for (const row of sample) {
      const written = output[Number(row['_row']) - 1]!;
      assert.equal(written['ticket_id'], row['ticket_id']);
      assert.equal(written['category'], row['category']);
      assert.equal(row['_model'], written['_model']);
      assert.match(String(row['_prompt_version']), /^[0-9a-f]{16}$/);
    }

    // The screenshot is a picture, not a blank page: measured by the browser itself on a canvas.
    const shot = await page.screenshot({ fullPage: true });
    writeFileSync(join(dir, 'report.png'), shot);
    const canvasContext = await browser.newContext();
    const ink = await inkOf(await canvasContext.newPage(), shot);
    await canvasContext.close();
    assert.ok(ink.nonWhite > 0.05, `non-white share ${ink.nonWhite}`);
    assert.ok(ink.colours > 20, `${ink.colours} colours`);
    await context.close();
  });

  test('a second day of one distribution is not drift; a 10-point shift of one share is, and exits 8', async () => {
    const out = join(dir, 'risk.parquet');
    // The simulator answers each row with its `label` (the oracle at accuracy 1): the answers' shares are the day's.
    const ask = [...(await writeRiskDay(dir, 0, 0.3)).job, ...base];
    const job = [...ask, '-o', out];
    const env = { LLMAP_CACHE_DIR: join(dir, 'risk-cache') };
    const day = async (seed: number, high: number) => {
      const { path } = await writeRiskDay(dir, seed, high);
      const run = await runCli(['run', path, ...job, '--fail-on-drift', '--json'], env);
      return { code: run.code, stderr: run.stderr, summary: JSON.parse(run.stdout || '{}') as DriftSummary };
    };

    const first = await day(1, 0.3);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.summary.report.drift, undefined);

    const same = await day(2, 0.3);
    assert.equal(same.code, 0, same.stderr);
    assert.equal(same.summary.report.drift?.statistics, 3);
    assert.deepEqual(same.summary.report.drift?.flagged, []);

    const shifted = await day(3, 0.4);
    assert.equal(shifted.code, 8, shifted.stderr);
    const flagged = shifted.summary.report.drift!.flagged;
    const high = flagged.find((s) => s.name === 'risk = high')!;
    assert.ok(high.current - high.baseline > 0.08, JSON.stringify(flagged));
    assert.match(shifted.stderr, /drift: 3 of 3 statistics moved more than 2σ from .*risk\.parquet:\n/);
    assert.match(shifted.stderr, /^ {4}risk = high \d+\.\d% → \d+\.\d% \(\+\d+\.\dσ\)$/m);

    // The report says so at the top, and `llmap report` finds the same again from the output.
    const rebuilt = await runCli(['report', out, '--fail-on-drift']);
    assert.equal(rebuilt.code, 8, rebuilt.stderr);
    assert.match(rebuilt.stdout, /drift: .*risk = high/);

    // --baseline instead of the previous run: an output file (profiled now), or a report's record.
    for (const baseline of [join(dir, 'risk.parquet'), join(dir, 'risk.report.json')]) {
      const other = join(dir, 'other.parquet');
      const run = await runCli(
        ['run', join(dir, 'day-2.parquet'), ...ask, '-o', other, '--baseline', baseline, '--json'],
        env,
      );
      assert.equal(run.code, 0, run.stderr);
      const report = (JSON.parse(run.stdout) as DriftSummary).report;
      assert.equal(report.drift?.baseline, out, 'the baseline is named by its output');
      assert.ok(report.drift?.flagged.some((s) => s.name === 'risk = high' && s.current < s.baseline));
    }

    const quiet = await runCli([
      'run',
      join(dir, 'day-1.parquet'),
      ...job,
      '-o',
      join(dir, 'none.parquet'),
      '--no-report',
    ]);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(existsSync(join(dir, 'none.report.html')), false);
  });
});

interface DriftSummary {
  report: {
    drift?: {
      baseline: string;
      statistics: number;
      flagged: { name: string; baseline: number; current: number; z: number }[];
    };
  };
}

function repoRoot(): string {
  return join(import.meta.dirname, '../..');
}

/** The share of pixels that are not white, and the number of distinct colours, of a PNG. */
async function inkOf(
  page: import('playwright-core').Page,
  png: Buffer,
): Promise<{ nonWhite: number; colours: number }> {
  await page.setContent(`<img id="shot" src="data:image/png;base64,${png.toString('base64')}">`);
  await page.waitForFunction('document.getElementById("shot").complete');
  // Runs in the page (a string: this file is compiled without the DOM's types).
  return page.evaluate(`(() => {
    const img = document.getElementById('shot');
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let nonWhite = 0;
    const colours = new Set();
    for (let i = 0; i < data.length; i += 4) {
      const r = data[i], g = data[i + 1], b = data[i + 2];
      if (r < 245 || g < 245 || b < 245) nonWhite++;
      colours.add(((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3));
    }
    return { nonWhite: nonWhite / (data.length / 4), colours: colours.size };
  })()`);
}
