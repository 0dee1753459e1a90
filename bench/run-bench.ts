// `npm run bench`: runs the benchmarks and prints one table of figures. Not part of `npm test`.
// `npm run bench -- throughput` (or `resume`, `memory`, `local`, `bootstrap`, `eval`) runs one of them;
// `npm run bench -- throughput S3 S3t` only those scenarios of the throughput benchmark. In order: throughput (issue 4),
// then resume, then memory, the longest, then the in-process model (issue 5), then the bootstrap of
// `llmap eval` and the whole `eval`/`compare` commands on 1M rows (issue 7). `memory` includes the README's triage
// job to Parquet at 1M rows (issue 14). `npm run bench -- memory-shapes` (not in the default run: it takes long and
// tens of GB of disk) measures an array of objects and 1,536-float vectors; `memory-formats` the triage job to JSONL
// and CSV; `cluster` a job over 1, 2 and 4 `llmap worker`s on Redis (issue 15); `sql` the overhead of `llmap sql` on
// 1M rows and Postgres in and out with a kill -9 mid-write (issue 16); `report` the run report's cost on 1M rows and
// the drift check's false alarms over 20 reruns through the simulator (issue 17); `metrics` S1 with and without
// `--metrics-port` (issue 17); `expect` the
// --expect checks on 1M rows against a cached re-run (issue 17).

import { bootstrapBench } from './bootstrap.bench.js';
import { clusterBench } from './cluster.bench.js';
import { evalBench } from './eval.bench.js';
import { expectBench } from './expect.bench.js';
import { localBench } from './local.bench.js';
import { memoryBench, memoryFormatsBench, memoryShapesBench } from './memory.bench.js';
import { metricsBench } from './metrics.bench.js';
import { reportBench } from './report.bench.js';
import { resumeBench } from './resume.bench.js';
import { sqlBench } from './sql.bench.js';
import { throughputBench } from './throughput.bench.js';

const chosen = process.argv.slice(2);
const scenarios = chosen.filter((arg) => /^S\d/.test(arg));
const benches: Record<string, () => Promise<string[]>> = {
  throughput: () => throughputBench(scenarios),
  resume: () => resumeBench(),
  memory: () => memoryBench(),
  local: () => localBench(),
  bootstrap: () => bootstrapBench(),
  eval: () => evalBench(),
};
const optional: Record<string, () => Promise<string[]>> = {
  'memory-shapes': () => memoryShapesBench(),
  'memory-formats': () => memoryFormatsBench(),
  cluster: () => clusterBench(),
  sql: () => sqlBench(),
  report: () => reportBench(),
  metrics: () => metricsBench(),
  expect: () => expectBench(),
};
const named = chosen.filter((arg) => !scenarios.includes(arg));
const names = named.length > 0 ? named : Object.keys(benches);
for (const name of names) {
  const bench = benches[name] ?? optional[name];
  if (!bench) {
    throw new Error(
      `unknown benchmark ${name}; known: ${[...Object.keys(benches), ...Object.keys(optional)].join(', ')}`,
    );
  }
  for (const line of await bench()) console.log(line);
}
