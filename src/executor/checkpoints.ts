// Grouped commits: the cache and the ledger are made durable together every `intervalMs`, cache first, so an
// answer that reached the ledger is always in the cache too. An answer received since the last checkpoint is
// lost by a crash and asked again (those are the "in flight" rows of a kill); nothing is ever half-written.

export interface Checkpoints {
  /** Writes one checkpoint now (after the timer's, if one is running). */
  now(): Promise<void>;
  /** Stops the timer and writes the last checkpoint. Rethrows a failure of any earlier one. */
  stop(): Promise<void>;
}

export function startCheckpoints(write: () => Promise<void>, intervalMs: number): Checkpoints {
  let failure: Error | undefined;
  let chain: Promise<void> = Promise.resolve();
  const run = () => {
    chain = chain.then(write).catch((error: unknown) => {
      failure ??= error instanceof Error ? error : new Error(String(error));
    });
    return chain;
  };
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  return {
    async now() {
      await run();
      if (failure) throw failure;
    },
    async stop() {
      clearInterval(timer);
      await run();
      if (failure) throw failure;
    },
  };
}
