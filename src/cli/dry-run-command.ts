// PLACEHOLDER (being built): `llmap run --dry-run [n]`.
import type { Job } from '../job/job.js';
import type { CliIo } from './run-command.js';

export function runDryRun(_job: Job, _rows: number, _io: CliIo): Promise<number> {
  return Promise.reject(new Error('--dry-run is not built yet'));
}
