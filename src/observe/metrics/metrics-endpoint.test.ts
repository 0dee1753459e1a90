import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { InputError } from '../../job/input-error.js';
import { startMetrics } from './metrics-endpoint.js';

async function recordingServer() {
  const pushes: { method: string; path: string; body: string; auth: string | undefined }[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      pushes.push({ method: request.method!, path: request.url!, body, auth: request.headers.authorization });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { pushes, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('the metrics endpoint', () => {
  test('serves /metrics in the Prometheus text format on a free loopback port, 404 elsewhere, until closed', async () => {
    const endpoint = await startMetrics({ port: 0, host: '127.0.0.1' });
    assert.match(endpoint.url!, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const scraped = await fetch(endpoint.url!);
    assert.equal(scraped.status, 200);
    assert.match(scraped.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    assert.match(await scraped.text(), /# TYPE llmap_rows_total counter/);
    const elsewhere = await fetch(endpoint.url!.replace('/metrics', '/'));
    assert.equal(elsewhere.status, 404);
    await elsewhere.text();
    // A scraper holding a keep-alive connection does not keep the server open.
    await endpoint.close();
    await assert.rejects(fetch(endpoint.url!));
  });

  test('a port already taken is an input error naming the address', async () => {
    const first = await startMetrics({ port: 0, host: '127.0.0.1' });
    const port = Number(new URL(first.url!).port);
    await assert.rejects(
      startMetrics({ port, host: '127.0.0.1' }),
      (error: unknown) => InputError.isInstance(error) && /127\.0\.0\.1:\d+: EADDRINUSE/.test(error.message),
    );
    await first.close();
  });

  test('pushes with the given grouping, periodically and once more at close; nothing before a group is known', async () => {
    const gateway = await recordingServer();
    const endpoint = await startMetrics(
      { host: '127.0.0.1', push: `http://user:pw@127.0.0.1:${gateway.port}`, pushGroup: { instance: 'host/1' } },
      { pushEveryMs: 50, warn: () => undefined },
    );
    assert.equal(endpoint.url, undefined);
    await new Promise((resolve) => setTimeout(resolve, 180));
    await endpoint.close();
    assert.ok(gateway.pushes.length >= 3, `${gateway.pushes.length} pushes`);
    const last = gateway.pushes.at(-1)!;
    assert.deepEqual([last.method, last.path], ['PUT', '/metrics/job/llmap/instance/host%2F1']);
    assert.equal(last.auth, `Basic ${Buffer.from('user:pw').toString('base64')}`);
    assert.match(last.body, /# TYPE llmap_requests_total counter/);

    // Grouped by the job's name, known once a run is observed: none yet, so no push, not even at close.
    const pushed = gateway.pushes.length;
    const unobserved = await startMetrics({ host: '127.0.0.1', push: `http://127.0.0.1:${gateway.port}` });
    await unobserved.close();
    assert.equal(gateway.pushes.length, pushed);
    await gateway.close();
  });

  test('a gateway that cannot be reached is said once, without the password; the run goes on', async () => {
    const gateway = await recordingServer();
    await gateway.close();
    const warnings: string[] = [];
    const endpoint = await startMetrics(
      { host: '127.0.0.1', push: `http://user:secret@127.0.0.1:${gateway.port}`, pushGroup: { llmap_job: 'x' } },
      { pushEveryMs: 20, warn: (message) => warnings.push(message) },
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await endpoint.close();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^cannot push metrics to http:\/\/user:\*\*\*@127\.0\.0\.1:\d+\/: .*ECONNREFUSED/);
  });
});
