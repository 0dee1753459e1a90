// The runs a metrics endpoint shows: the ones going on, read at each scrape, and what the ones that ended counted
// (a worker answers shard after shard; its counters go on adding up). Runs with the same labels are merged: counters
// and histograms added, gauges added or the largest taken (see metric-definitions.ts).

import type { BatchCounts } from '../../store/batch-store.js';
import type { ObservedRun } from '../observed-run.js';
import { isKept, METRICS } from './metric-definitions.js';
import { readRun, type BucketCounts, type Sample } from './read-run.js';
import { runLabels, type RunLabels } from './run-labels.js';

/** A run being shown; `end` folds its counters into the totals and drops its gauges. */
export interface ObservedHandle {
  end(): void;
}

interface Watched {
  readonly run: ObservedRun;
  readonly labels: RunLabels;
  /** The batch store's counts as last read (it is closed when the run ends). */
  batches: BatchCounts | undefined;
}

export class RunCollector {
  readonly #now: () => number;
  readonly #live = new Set<Watched>();
  readonly #kept = new Map<string, Sample>();

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Shows the run from now on; `name` replaces the job's name from its output (a shard: its job's output). */
  observe(run: ObservedRun, name?: string): ObservedHandle {
    const watched: Watched = { run, labels: runLabels(run.job, name), batches: undefined };
    this.#live.add(watched);
    return {
      end: () => {
        if (!this.#live.delete(watched)) return;
        for (const sample of this.#read(watched)) {
          if (isKept(METRICS[sample.metric])) mergeInto(this.#kept, sample);
        }
      },
    };
  }

  /** The first run's labels, once a run is shown (what a push is grouped by). */
  get firstLabels(): RunLabels | undefined {
    for (const watched of this.#live) return watched.labels;
    return undefined;
  }

  /** Every sample, runs with the same labels merged. */
  samples(): Sample[] {
    const merged = new Map<string, Sample>();
    for (const sample of this.#kept.values()) mergeInto(merged, sample);
    for (const watched of this.#live) for (const sample of this.#read(watched)) mergeInto(merged, sample);
    return [...merged.values()];
  }

  #read(watched: Watched): Sample[] {
    try {
      watched.batches = watched.run.batchStore?.counts() ?? watched.batches;
    } catch {
      // Closed with its run: the counts last read stand.
    }
    return readRun(watched.run, watched.labels, this.#now(), watched.batches);
  }
}

function mergeInto(samples: Map<string, Sample>, sample: Sample): void {
  const key = `${sample.metric} ${JSON.stringify(sample.labels)}`;
  const earlier = samples.get(key);
  if (!earlier) {
    samples.set(key, 'buckets' in sample ? { ...sample, buckets: copy(sample.buckets) } : sample);
    return;
  }
  if ('buckets' in earlier && 'buckets' in sample) {
    samples.set(key, { ...earlier, buckets: add(earlier.buckets, sample.buckets) });
  } else if ('value' in earlier && 'value' in sample) {
    const max = METRICS[sample.metric].type === 'gauge' && METRICS[sample.metric].merge === 'max';
    samples.set(key, { ...earlier, value: max ? Math.max(earlier.value, sample.value) : earlier.value + sample.value });
  }
}

function copy(buckets: BucketCounts): BucketCounts {
  return { ...buckets, counts: [...buckets.counts] };
}

function add(a: BucketCounts, b: BucketCounts): BucketCounts {
  return {
    bounds: a.bounds,
    counts: a.counts.map((n, i) => n + b.counts[i]!),
    count: a.count + b.count,
    sum: a.sum + b.sum,
  };
}
