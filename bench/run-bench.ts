// `npm run bench`: runs the benchmarks and prints one table of figures. Not part of `npm test`.
// `npm run bench -- throughput` (or `resume`, `memory`, `local`, `bootstrap`, `eval`) runs one of them. In order: throughput (issue 4),
// then resume, then memory, the longest, then the in-process model (issue 5), then the bootstrap of
// `llmap eval` and the whole `eval`/`compare` commands on 1M rows (issue 7).

import { bootstrapBench } from './bootstrap.bench.js';
import { evalBench } from './eval.bench.js';
import { localBench } from './local.bench.js';
import { memoryBench } from './memory.bench.js';
import { resumeBench } from './resume.bench.js';
import { throughputBench } from './throughput.bench.js';

const benches: Record<string, () => Promise<string[]>> = {
  throughput: () => throughputBench(),
  resume: () => resumeBench(),
  memory: () => memoryBench(),
  local: () => localBench(),
  bootstrap: () => bootstrapBench(),
  eval: () => evalBench(),
};
const chosen = process.argv.slice(2);
const names = chosen.length > 0 ? chosen : Object.keys(benches);
for (const name of names) {
  const bench = benches[name];
  if (!bench) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(benches).join(', ')}`);
  for (const line of await bench()) console.log(line);
}
