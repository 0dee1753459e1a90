// Collects a request body for the simulator's routes; hands over `undefined` instead when it exceeds `limit` bytes.
import type { IncomingMessage } from 'node:http';

export function readBody(request: IncomingMessage, limit: number, onBody: (body: Buffer | undefined) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  // A client that hangs up mid-body just leaves: nothing is waiting for this request yet.
  request.on('error', () => undefined);
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  });
  request.on('end', () => {
    if (size > limit) onBody(undefined);
    else onBody(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
  });
}
