// A URL as llmap shows or stores it (summaries, reports, `llmap status`): its password never appears, whether in the
// userinfo or as libpq's `password` parameter.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactArgs, redactUrl } from './secret.js';

test('a URL keeps everything but its passwords', () => {
  assert.equal(redactUrl('postgres://ana:s3cret@db:5432/shop?table=t'), 'postgres://ana:***@db:5432/shop?table=t');
  assert.equal(
    redactUrl('postgres://ana@db/shop?password=s3cret&sslpassword=k3y&table=t'),
    'postgres://ana@db/shop?password=***&sslpassword=***&table=t',
  );
  assert.equal(redactUrl('http://127.0.0.1:9091'), 'http://127.0.0.1:9091/');
  assert.deepEqual(redactArgs(['run', 'postgres://u:pw@h/db?password=x', '-o', 'out.parquet']), [
    'run',
    'postgres://u:***@h/db?password=***',
    '-o',
    'out.parquet',
  ]);
});
