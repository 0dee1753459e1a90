// Grouped commits: the cache and the ledger are made durable together, cache first, so an answer that reached the
// ledger is always in the cache too. An answer is committed on the turn of the event loop that received it
// (`soon`: every answer that arrived in the turn goes in one transaction, and SQLite in WAL with
// `synchronous = NORMAL` makes that a write, not an fsync), so a crash loses only the requests in flight, which are
// asked again. A timer also writes one every `intervalMs`, to keep the run's metadata (`llmap status`) fresh.
// Nothing is ever half-written.

export interface Checkpoints {
  /** Writes a checkpoint at the end of this turn of the event loop (one for all the calls made in the turn). */
  soon(): void;
  /** Writes one checkpoint now (after the one under way, if any). */
  now(): Promise<void>;
  /** Stops the timer and writes the last checkpoint. Rethrows a failure of any earlier one. */
  stop(): Promise<void>;
}

export function startCheckpoints(write: () => Promise<void>, intervalMs: number): Checkpoints {
  let failure: Error | undefined;
  let chain: Promise<void> = Promise.resolve();
  let scheduled: NodeJS.Immediate | undefined;
  const run = () => {
    chain = chain.then(write).catch((error: unknown) => {
      failure ??= error instanceof Error ? error : new Error(String(error));
    });
    return chain;
  };
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  return {
    soon() {
      scheduled ??= setImmediate(() => {
        scheduled = undefined;
        void run();
      });
    },
    async now() {
      await run();
      if (failure) throw failure;
    },
    async stop() {
      clearInterval(timer);
      if (scheduled) clearImmediate(scheduled);
      scheduled = undefined;
      await run();
      if (failure) throw failure;
    },
  };
}
