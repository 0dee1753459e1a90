#!/usr/bin/env node
// Makes the two runs the README's `llmap eval` and `llmap compare` examples read: `node scripts/make-readme-runs.mjs
// [DIR]` (after `npm run build`) writes DIR/runs/prompt-a.parquet and DIR/runs/prompt-b.parquet (DIR defaults to the
// current directory) by running llmap over 2,000 labelled tickets against the simulator, so the README's commands can
// be run there exactly as written. test/readme-examples.e2e.test.ts checks that they print what the README shows.

import { resolve } from 'node:path';
import { makeReadmeRuns } from '../dist/test/readme-runs.js';

const dir = resolve(process.argv[2] ?? '.');
const runs = await makeReadmeRuns(dir);
console.log(`wrote ${runs.promptA} and ${runs.promptB} (from ${runs.tickets}); run the README's examples in ${dir}`);
