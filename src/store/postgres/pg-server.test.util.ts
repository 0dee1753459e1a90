// A real PostgreSQL server for tests, on a free loopback port with its own temporary directory, stopped by `close`.
// It runs the newest Debian PostgreSQL under /usr/lib/postgresql/<version>/bin (not on PATH), which the test command
// installs when it is missing (scripts/ensure-packages.mjs). PostgreSQL refuses to run as root, so under root (as in
// CI) its programs run as the `postgres` user (or `nobody`) through runuser, and the directory is handed to that user.
// Logins need a random password (scram-sha-256); durability is off (fsync, synchronous_commit, full_page_writes).

import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../free-port.test.util.js';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /**
   * postgres://llmap:<password>@127.0.0.1:<port>/llmap — a password is set, so tests can check it is never written
   * anywhere.
   */
  readonly url: string;
  readonly password: string;
  /** Runs SQL as the test user and returns the rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

interface ServerUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBin();
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'llmap-pg-'));
  const data = join(dir, 'data');
  const password = randomBytes(18).toString('base64url');
  const port = await freePort();
  const pgCtl = (...args: string[]) => run(user, join(bin, 'pg_ctl'), ['-D', data, ...args], dir);
  const url = `postgres://llmap:${password}@127.0.0.1:${port}/llmap`;
  try {
    await initdb(bin, user, dir, data, password);
    const options = ['-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', shellQuote(dir)];
    options.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
    await pgCtl('-o', options.join(' '), '-l', join(dir, 'postgres.log'), '-w', 'start');
    const admin = new pg.Client({ connectionString: `postgres://llmap:${password}@127.0.0.1:${port}/postgres` });
    await admin.connect();
    await admin.query('CREATE DATABASE llmap').finally(() => admin.end());
  } catch (error) {
    const tail = logTail(join(dir, 'postgres.log'));
    await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`PostgreSQL did not start: ${message}${tail === '' ? '' : `\nlog tail:\n${tail}`}`);
  }
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // An idle client losing its connection (the server stopping under it) must not crash the test process.
  pool.on('error', () => undefined);
  return {
    url,
    password,
    async query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]> {
      const result = await pool.query(sql, params);
      return result.rows as T[];
    },
    async close() {
      await pool.end();
      await pgCtl('-m', 'fast', '-w', 'stop');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A cluster in `data` whose only role is `llmap`, logging in with `password`; the password file is removed after. */
async function initdb(bin: string, user: ServerUser | undefined, dir: string, data: string, password: string) {
  const pwfile = join(dir, 'password');
  writeFileSync(pwfile, password, { mode: 0o600 });
  if (user !== undefined) chownTree(dir, user);
  const args = ['-D', data, '-U', 'llmap', `--pwfile=${pwfile}`, '--auth=scram-sha-256'];
  args.push('--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions');
  try {
    await run(user, join(bin, 'initdb'), args, dir);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** The bin directory of the newest PostgreSQL under /usr/lib/postgresql. */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => b.localeCompare(a, 'en', { numeric: true }))[0];
  if (newest === undefined) throw new Error(`no PostgreSQL under ${root} (apt-get install postgresql)`);
  return join(root, newest, 'bin');
}

/** Who runs PostgreSQL's programs: this process's own user (undefined), or under root `postgres`, else `nobody`. */
function serverUser(): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0) return { name, uid: Number(uid.stdout), gid: Number(gid.stdout) };
  }
  throw new Error('PostgreSQL will not run as root, and there is neither a postgres nor a nobody user to run it as');
}

function chownTree(dir: string, user: ServerUser): void {
  chownSync(dir, user.uid, user.gid);
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    chownSync(join(dir, entry), user.uid, user.gid);
  }
}

/** Runs one of PostgreSQL's programs in `cwd`, as `user` when given; rejects with the program's output. */
function run(user: ServerUser | undefined, program: string, args: string[], cwd: string): Promise<void> {
  const command = user === undefined ? program : 'runuser';
  const argv = user === undefined ? args : ['-u', user.name, '--', program, ...args];
  return new Promise((resolve, reject) => {
    execFile(command, argv, { cwd }, (error, stdout, stderr) => {
      if (error === null) return resolve();
      const status = error.code ?? error.signal;
      reject(new Error(`${basename(program)} failed (${status}): ${`${stderr}${stdout}`.trim()}`));
    });
  });
}

/** pg_ctl's -o is run by a shell, so a path in it is quoted. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function logTail(log: string): string {
  if (!existsSync(log)) return '';
  return readFileSync(log, 'utf8').trimEnd().split('\n').slice(-20).join('\n');
}
