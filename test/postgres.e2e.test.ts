// Postgres as a source and a sink, against a real PostgreSQL started by the test (Debian's packages; `npm test`
// installs them): rows read with their types, NULL and empty text kept apart, answers written once even when the
// writer is killed mid-COPY, and the password nowhere but in the caller's URL.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSim, type SimServer } from '../src/sim/index.js';
import { startPostgres, type TestPostgres } from '../src/store/postgres/pg-server.test.util.js';
import { runCli, startCli, tempDir } from './helpers.js';

const ROWS = 20_000;

/** Every file under `dir`, read as text. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => readFileSync(path, 'latin1'));
}

describe('Postgres as a source and a sink', () => {
  let pg: TestPostgres;
  let sim: SimServer;
  const dir = tempDir('postgres');
  const env = { LLMAP_CACHE_DIR: join(dir, 'cache') };
  const outputs: string[] = [];
  const cli = async (args: string[]) => {
    const result = await runCli(args, env, { cwd: dir });
    outputs.push(result.stdout, result.stderr);
    return result;
  };
  let model: string[];
  before(async () => {
    [pg, sim] = await Promise.all([startPostgres(), startSim({ port: 0 })]);
    model = ['-m', 'openai:gpt-4o-mini', '--base-url', `${sim.url}/v1`];
    await pg.query(
      `CREATE TABLE tickets AS SELECT i AS ticket_id,
         'Ticket ' || (i % 500) || ' — la facture est fausse ✓ ' || repeat('détail ', i % 300) AS body,
         CASE WHEN i % 7 = 0 THEN NULL WHEN i % 11 = 0 THEN '' ELSE 'note' END AS note,
         (i % 3 = 0) AS vip, i * 1.5::float8 AS amount, timestamptz '2026-01-01 00:00:00+00' + i * interval '1 minute' AS created,
         jsonb_build_object('tier', i % 4) AS meta
       FROM generate_series(1, ${ROWS}) i`,
    );
  });
  after(async () => {
    await Promise.all([pg.close(), sim.close()]);
  });

  test('llmap run reads a table and writes its answers to a table: typed, NULL and empty text kept apart', async () => {
    const result = await cli([
      'run',
      pg.url,
      '--table',
      'tickets',
      '-p',
      'Label: {{body}}',
      '-s',
      '{"type":"object","properties":{"label":{"type":"string","enum":["bug","billing"]},"tags":{"type":"array","items":{"type":"string"}}},"required":["label","tags"],"additionalProperties":false}',
      ...model,
      '-o',
      `${pg.url}?table=ticket_labels`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /output: postgres:\/\/llmap:\*\*\*@127\.0\.0\.1:\d+\/llmap table ticket_labels/);
    const [counts] = await pg.query<Record<string, string>>(
      `SELECT count(*) AS n, count(DISTINCT ticket_id) AS ids, count(l.note) AS notes, count(*) FILTER (WHERE l.note = '') AS empty,
         count(*) FILTER (WHERE label IN ('bug', 'billing')) AS labelled, count(*) FILTER (WHERE t.body = l.body) AS same_body
       FROM ticket_labels l JOIN tickets t USING (ticket_id)`,
    );
    const expected = await pg.query<Record<string, string>>(
      `SELECT count(note) AS notes, count(*) FILTER (WHERE note = '') AS empty FROM tickets`,
    );
    assert.deepEqual(counts, {
      n: String(ROWS),
      ids: String(ROWS),
      notes: expected[0]!['notes'],
      empty: expected[0]!['empty'],
      labelled: String(ROWS),
      same_body: String(ROWS),
    });
    const types = await pg.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'ticket_labels'`,
    );
    const typeOf = Object.fromEntries(types.map((t) => [t.column_name, t.data_type]));
    assert.deepEqual(
      [typeOf['ticket_id'], typeOf['vip'], typeOf['amount'], typeOf['created'], typeOf['meta'], typeOf['tags']],
      ['integer', 'boolean', 'double precision', 'timestamp with time zone', 'jsonb', 'jsonb'],
    );
  });

  test('kill -9 mid-COPY leaves the table as it was; the same command then leaves every row exactly once', async () => {
    const args = ['run', pg.url, '--table', 'tickets', '-p', 'Label: {{body}}', ...model];
    const target = `${pg.url}?table=answers`;
    assert.equal((await cli([...args, '-o', target])).code, 0);
    // Each row the writer copies now takes a millisecond (a trigger that event trigger adds to the tables it creates),
    // so the kill lands while COPY runs.
    await pg.query(
      `CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.001); RETURN NEW; END $$`,
    );
    await pg.query(`CREATE FUNCTION slow_tables() RETURNS event_trigger LANGUAGE plpgsql AS $$
      DECLARE r record; BEGIN
        FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TABLE' LOOP
          EXECUTE format('CREATE TRIGGER slow BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION slow_row()', r.object_identity);
        END LOOP; END $$`);
    await pg.query(
      `CREATE EVENT TRIGGER slow_tables ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION slow_tables()`,
    );
    const running = startCli([...args, '-o', target], env, { cwd: dir });
    let copied = 0;
    while (copied < 2_000) {
      const progress = await pg.query<{ n: string }>(
        `SELECT coalesce(max(tuples_processed), 0) AS n FROM pg_stat_progress_copy WHERE command = 'COPY FROM'`,
      );
      copied = Number(progress[0]!.n);
      await new Promise((r) => setTimeout(r, 20));
    }
    running.child.kill('SIGKILL');
    await running.done;
    await pg.query(`DROP EVENT TRIGGER slow_tables`);
    const left = await pg.query(`SELECT tablename FROM pg_tables WHERE tablename LIKE 'answers\\_\\_llmap\\_%'`);
    assert.equal(left.length, 1, 'the kill landed while the staging table was being written');
    const during = await pg.query<{ n: string }>(`SELECT count(*) AS n FROM answers`);
    assert.equal(during[0]!.n, String(ROWS), 'the target still holds the complete earlier write');

    const resumed = await cli([...args, '-o', target]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const [after] = await pg.query<{ n: string; ids: string }>(
      `SELECT count(*) AS n, count(DISTINCT _row_id) AS ids FROM answers`,
    );
    assert.deepEqual(after, { n: String(ROWS), ids: String(ROWS) });
    const staging = await pg.query(`SELECT tablename FROM pg_tables WHERE tablename LIKE '%__llmap_%'`);
    assert.deepEqual(staging, [], 'no staging table is left');
  });

  test('llmap sql reads an attached table and writes its result to a table', async () => {
    const result = await cli([
      'sql',
      `SELECT ticket_id, note, llm('Label: ' || body) AS label FROM tickets WHERE ticket_id <= 1000`,
      '--attach',
      `tickets=${pg.url}`,
      ...model,
      '-o',
      `${pg.url}?table=sql_labels`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const [counts] = await pg.query<Record<string, string>>(
      `SELECT count(*) AS n, count(label) AS labels, count(note) AS notes, count(*) FILTER (WHERE note = '') AS empty FROM sql_labels`,
    );
    assert.deepEqual(counts, { n: '1000', labels: '1000', notes: String(1000 - 142), empty: '78' });
  });

  test('a wrong password exits 2 naming the server, never the password; no password is written anywhere', async () => {
    const wrong = pg.url.replace(pg.password, 'not-the-password');
    const result = await cli(['run', wrong, '--table', 'tickets', '-p', '{{body}}', ...model, '-o', 'x.parquet']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /cannot connect to Postgres at postgres:\/\/llmap:\*\*\*@127\.0\.0\.1/);
    for (const text of [...outputs, result.stderr, ...filesUnder(dir)]) {
      assert.ok(!text.includes(pg.password), 'the password is in a file, a log or the output');
      assert.ok(!text.includes('not-the-password'));
    }
  });
});
