// A real redis-server for tests, on a free loopback port with its own directory, stopped by `close`. The test
// command installs redis-server when it is missing (scripts/ensure-packages.mjs).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from '../store/free-port.test.util.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface TestRedis {
  readonly url: string;
  /** A new client of this server (closed by `close`). */
  client(): Redis;
  /** Stops the server and starts it again on the same port and files (with AOF, its data survives). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startRedis(options: { readonly appendOnly?: boolean } = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'llmap-redis-'));
  const port = await freePort();
  let child = await serve(dir, port, options.appendOnly === true);
  const clients: Redis[] = [];
  const url = `redis://127.0.0.1:${port}`;
  const stop = async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return {
    url,
    client() {
      const redis = new Redis(url, { maxRetriesPerRequest: null });
      clients.push(redis);
      return redis;
    },
    async restart() {
      await stop();
      child = await serve(dir, port, options.appendOnly === true);
    },
    async close() {
      await Promise.all(clients.map((redis) => redis.quit().catch(() => undefined)));
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** redis-server on `port` with its files in `dir`, once it accepts connections. */
async function serve(dir: string, port: number, appendOnly: boolean): Promise<ChildProcess> {
  // As BullMQ requires: no eviction; AOF when the test needs a restart to keep the data.
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push('--maxmemory-policy', 'noeviction', '--appendonly', appendOnly ? 'yes' : 'no');
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
    child.once('error', reject);
  });
  return child;
}
