import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { OutputColumn } from '../output/answer-columns.js';
import { createQuarantine } from '../output/quarantine.js';
import { openDuckDB, type DuckDB } from './duckdb.js';
import { OutputWriteError } from './output-write-error.js';
import { partialPathFor, publishOutput } from './publish-output.js';
import { createTableWriter } from './write-table.js';

const columns: OutputColumn[] = [
  { name: 'id', type: 'BIGINT', nested: false },
  { name: 'tags', type: 'VARCHAR[]', nested: true },
];

describe('publishing a run’s rows', () => {
  let db: DuckDB;
  before(async () => (db = await openDuckDB()));
  after(() => db.close());

  /** A folder holding a complete output of 3 rows (and its quarantine) from an earlier run. */
  const withCompleteOutput = () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmap-publish-'));
    const output = join(dir, 'out.jsonl');
    writeFileSync(output, '{"id":1}\n{"id":2}\n{"id":3}\n');
    writeFileSync(`${output}.quarantine.jsonl`, '{"row":2}\n');
    return { dir, output };
  };
  const pass = (output: string, rows: number, invalid = 0) => {
    const writer = createTableWriter({ path: output, format: 'jsonl', columns });
    const quarantine = createQuarantine(output);
    for (let i = 0; i < rows; i++) writer.append({ id: i, tags: ['a'] });
    for (let i = 0; i < invalid; i++) quarantine.add({ row: i, rowId: `r${i}`, error: 'e', raw: 'x', model: 'm' });
    return { writer, quarantine };
  };

  test('names: the partial file keeps the format’s extension', () => {
    assert.equal(partialPathFor('/d/reviews.parquet'), '/d/reviews.partial.parquet');
    assert.equal(partialPathFor('/d/a.b.csv'), '/d/a.b.partial.csv');
  });

  test('an incomplete run writes the partial file and leaves the complete output and its quarantine as they were', async () => {
    const { dir, output } = withCompleteOutput();
    const { writer, quarantine } = pass(output, 2, 1);
    const published = await publishOutput(db, writer, quarantine, output, false);
    assert.deepEqual(published, {
      path: join(dir, 'out.partial.jsonl'),
      partial: true,
      rows: 2,
      quarantine: join(dir, 'out.partial.jsonl.quarantine.jsonl'),
      notes: [],
    });
    assert.equal(readFileSync(output, 'utf8'), '{"id":1}\n{"id":2}\n{"id":3}\n');
    assert.equal(readFileSync(`${output}.quarantine.jsonl`, 'utf8'), '{"row":2}\n');
    assert.equal(
      readFileSync(join(dir, 'out.partial.jsonl'), 'utf8'),
      '{"id":0,"tags":["a"]}\n{"id":1,"tags":["a"]}\n',
    );
    assert.deepEqual(readdirSync(dir).sort(), [
      'out.jsonl',
      'out.jsonl.quarantine.jsonl',
      'out.partial.jsonl',
      'out.partial.jsonl.quarantine.jsonl',
    ]);
  });

  test('a complete run publishes the output and removes the partial file an earlier run left', async () => {
    const { dir, output } = withCompleteOutput();
    const first = pass(output, 1, 1);
    await publishOutput(db, first.writer, first.quarantine, output, false);
    const { writer, quarantine } = pass(output, 4);
    const published = await publishOutput(db, writer, quarantine, output, true);
    assert.equal(published?.path, output);
    assert.equal(published?.partial, false);
    assert.equal(readFileSync(output, 'utf8').trim().split('\n').length, 4);
    assert.deepEqual(readdirSync(dir), ['out.jsonl'], 'no partial file, and no quarantine: nothing was invalid');
  });

  test('an incomplete run with no row done writes nothing and removes an older partial file', async () => {
    const { dir, output } = withCompleteOutput();
    const first = pass(output, 1);
    await publishOutput(db, first.writer, first.quarantine, output, false);
    const { writer, quarantine } = pass(output, 0);
    assert.equal(await publishOutput(db, writer, quarantine, output, false), undefined);
    assert.deepEqual(readdirSync(dir).sort(), ['out.jsonl', 'out.jsonl.quarantine.jsonl']);
  });

  test('a write that fails is an OutputWriteError naming the file, and leaves nothing staged', async () => {
    const { dir, output } = withCompleteOutput();
    mkdirSync(join(dir, 'out.partial.jsonl'));
    const { writer, quarantine } = pass(output, 2, 1);
    const failure = await publishOutput(db, writer, quarantine, output, false).catch((error: unknown) => error);
    assert.ok(OutputWriteError.isInstance(failure));
    assert.match(failure.message, /out\.partial\.jsonl could not be written: .*(EISDIR|directory)/);
    assert.deepEqual(readdirSync(dir).sort(), ['out.jsonl', 'out.jsonl.quarantine.jsonl', 'out.partial.jsonl']);
  });
});
