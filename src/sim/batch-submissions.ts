// What the two simulated batch APIs share: counting what was submitted, so a test can see a request sent in two
// batches, and how much of an expiring batch gets done.
import type { ServerResponse } from 'node:http';
import type { DialectReply } from './provider-dialect.js';

/** Share of an expiring batch's items that are done when it expires. */
export const DONE_BEFORE_EXPIRY = 0.7;

export interface BatchStats {
  /** Batches created (OpenAI's validation failures included). */
  readonly created: number;
  /** Requests in the batches created. */
  readonly requests: number;
  /** custom_ids that appeared in more than one batch: a request submitted twice. */
  readonly resubmitted: number;
  /** Batches that expired. */
  readonly expired: number;
  /** Result downloads started, and the ones still sending. */
  readonly downloads: number;
  readonly downloading: number;
}

export interface SubmissionCounter {
  /** Counts one created batch holding these custom_ids. */
  record(customIds: readonly string[]): void;
  /** Counts a batch that expired. */
  expired(): void;
  /** Sends a results file, at `bytesPerS` when set (so a client can be stopped mid-download), counting it. */
  sendDownload(
    response: ServerResponse,
    headers: Record<string, string>,
    body: string,
    bytesPerS: number | undefined,
  ): void;
  stats(): BatchStats;
  reset(): void;
}

export function createSubmissionCounter(): SubmissionCounter {
  const seen = new Map<string, number>();
  const zero = { created: 0, requests: 0, resubmitted: 0, expired: 0, downloads: 0, downloading: 0 };
  let counts = { ...zero };
  return {
    record(customIds) {
      counts.created++;
      counts.requests += customIds.length;
      for (const id of customIds) {
        const times = (seen.get(id) ?? 0) + 1;
        seen.set(id, times);
        if (times === 2) counts.resubmitted++;
      }
    },
    expired() {
      counts.expired++;
    },
    sendDownload(response, headers, body, bytesPerS) {
      const bytes = Buffer.from(body);
      response.writeHead(200, { ...headers, 'content-length': String(bytes.length) });
      counts.downloads++;
      counts.downloading++;
      let done = false;
      const end = () => {
        if (done) return;
        done = true;
        counts.downloading--;
      };
      response.on('close', end);
      if (bytesPerS === undefined) {
        response.end(bytes, end);
        return;
      }
      // Chunks of a tenth of a second's worth, so the transfer takes bytes / bytesPerS seconds.
      const chunk = Math.max(1, Math.floor(bytesPerS / 10));
      let at = 0;
      const next = () => {
        if (response.destroyed) return end();
        const piece = bytes.subarray(at, at + chunk);
        at += piece.length;
        if (at >= bytes.length) return response.end(piece, end);
        response.write(piece);
        setTimeout(next, 100);
      };
      next();
    },
    stats: () => ({ ...counts }),
    reset() {
      counts = { ...zero };
      seen.clear();
    },
  };
}

/** A 200 reply with `value` as its JSON body. */
export function jsonReply(value: unknown): DialectReply {
  return { status: 200, body: JSON.stringify(value) };
}
