#!/usr/bin/env node
// The kill -9 drill, for a user to run: `npm run drill -- [rows] [kills] [seed]` (after `npm run build`).
// Starts a job against `llmap sim`, kills it with SIGKILL at random moments, re-runs it until it completes, and
// checks the result against an uninterrupted run.

import { killDrill } from '../dist/test/kill-drill.js';

const [rows = '20000', kills = '10', seed = String(Date.now() % 100000)] = process.argv.slice(2);
console.log(`kill drill: ${rows} rows, ${kills} kills, seed ${seed}`);
const report = await killDrill({ rows: Number(rows), kills: Number(kills), seed: Number(seed), log: console.log });
const inFlight = report.kills.reduce((sum, k) => sum + k.inFlight, 0);
const extra = report.paid - report.rows;
const ok =
  report.finalExitCode === 0 && report.differences.length === 0 && extra === inFlight && report.paidTwice <= inFlight;
console.log(
  [
    `output: ${report.outputRows} rows, ${report.differences.length === 0 ? 'equal to the uninterrupted run' : 'DIFFERENT: ' + report.differences.join('; ')}`,
    `paid calls: ${report.paid} for ${report.rows} rows: ${extra} extra, all of them in flight at a kill (${inFlight})`,
    `prompts answered more than once: ${report.paidTwice}`,
    ok ? 'PASS' : 'FAIL',
  ].join('\n'),
);
process.exitCode = ok ? 0 : 1;
