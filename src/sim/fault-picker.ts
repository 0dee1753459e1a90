// Decides, per request, which fault (if any) to inject, from the seeded PRNG: per request rather than per
// prompt, so a retry of a failed call can succeed, and the same seed replays the same sequence of faults.
import type { SimConfig } from './sim-options.js';
import type { Fault } from './sim-stats.js';

export interface FaultPicker {
  /** The fault for the next request, or `undefined` to answer normally. */
  next(): Fault | undefined;
  /** A fresh draw in [0, 1), to choose among the shapes of a fault (which 5xx). */
  draw(): number;
}

export function createFaultPicker(config: SimConfig, random: () => number): FaultPicker {
  const { errorRate, timeoutRate, malformedRate, truncateRate } = config;
  const anyFaults = errorRate + timeoutRate + malformedRate + truncateRate > 0;
  return {
    next() {
      if (!anyFaults) return undefined; // no draw: a fault-free run pays nothing for the PRNG
      // One draw against stacked bands: each fault's chance is exactly its rate, and they never overlap.
      let draw = random();
      if ((draw -= errorRate) < 0) return 'error';
      if ((draw -= timeoutRate) < 0) return 'timeout';
      if ((draw -= malformedRate) < 0) return 'malformed';
      if ((draw -= truncateRate) < 0) return 'truncated';
      return undefined;
    },
    draw: random,
  };
}
