// Worker-thread entry for bootstrapMean: computes the means of one contiguous range of resamples into a shared
// array and reports back. The values and the means live in SharedArrayBuffers, so nothing large is copied.

import { parentPort, workerData } from 'node:worker_threads';
import { resampleMeans } from './resample-means.js';

/** What bootstrap.ts hands each worker. */
export interface BootstrapWorkerData {
  readonly values: SharedArrayBuffer;
  readonly byteOffset: number;
  readonly length: number;
  readonly means: SharedArrayBuffer;
  readonly seed: number;
  readonly first: number;
  readonly end: number;
}

const data = workerData as BootstrapWorkerData;
resampleMeans(
  new Float64Array(data.values, data.byteOffset, data.length),
  data.seed,
  data.first,
  data.end,
  new Float64Array(data.means),
);
parentPort?.postMessage('done');
