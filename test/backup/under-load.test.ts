// `qspool storage backup` while another OS process keeps submitting, claiming and completing jobs on the store: the
// copy passes SQLite's integrity check, holds every job acknowledged before it started, and every job in it is whole
// (one state, a status that agrees, an index entry, a result when DONE).
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupStore } from '../../storage/local/backup.ts';
import { ns, placeOf, type JobRecord, type StatusRecord } from '../../storage/records.ts';
import { eventually } from '../support/system.ts';

const CHURN = new URL('../support/job-churn.ts', import.meta.url).pathname;
const BACKEND = 'churn';

interface Acknowledged {
  acknowledged: string;
  at: number;
}

describe('qspool storage backup under load', function () {
  this.timeout(60_000);
  let dir: string;
  let churn: ChildProcess | undefined;
  const acknowledged: Acknowledged[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qspool-backup-load-'));
    churn = spawn(process.execPath, ['--import', 'tsx', CHURN, join(dir, 'data'), BACKEND], { stdio: ['ignore', 'pipe', 'inherit'] });
    let pending = '';
    churn.stdout!.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) acknowledged.push(JSON.parse(line) as Acknowledged);
    });
  });
  after(async () => {
    churn?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('copies a consistent store without stopping the writer: every job acknowledged before it is in it, whole', async () => {
    await eventually(async () => (acknowledged.length >= 1500 ? true : undefined), 40_000);
    const before = acknowledged.map((line) => line.acknowledged);
    const file = join(dir, 'backup.db');
    const outcome = backupStore(join(dir, 'data'), file);
    // The writer goes on after the copy (nothing it needs was held).
    const after = acknowledged.length;
    await eventually(async () => (acknowledged.length >= after + 100 ? true : undefined));

    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      expect(db.prepare('PRAGMA integrity_check').pluck().all()).to.deep.equal(['ok']);
      const one = <T>(namespace: string, key: string) => {
        const row = db.prepare<[string, string], string>('SELECT value FROM documents WHERE namespace = ? AND key = ?').pluck().get(namespace, key);
        return row === undefined ? undefined : (JSON.parse(row) as T);
      };
      const places = db.prepare<[], { namespace: string; key: string; value: string }>("SELECT namespace, key, value FROM documents WHERE namespace >= 'jobs/' AND namespace < 'jobs0'").all();
      const jobs = new Map<string, JobRecord>();
      for (const place of places) {
        expect(jobs.has(place.key), `${place.key} is in one state only`).to.equal(false);
        const record = JSON.parse(place.value) as JobRecord;
        expect(place.namespace).to.equal(placeOf(record));
        jobs.set(place.key, record);
      }
      for (const id of before) expect(jobs.has(id), `job ${id}, acknowledged before the backup, is in it`).to.equal(true);
      const states = new Set<string>();
      for (const [id, record] of jobs) {
        states.add(record.state);
        const status = one<StatusRecord>(ns.status(BACKEND), id);
        expect({ state: status?.status, seq: status?.seq }, `status of ${id}`).to.deep.equal({ state: record.state, seq: record.seq });
        expect(one(ns.jobIndex, id), `index entry of ${id}`).to.not.equal(undefined);
        if (record.state === 'DONE') expect(one(ns.results(BACKEND), `${id}-a${record.attempts}`), `result of ${id}`).to.deep.equal({ n: (record.payload as { n: number }).n });
      }
      expect([...states]).to.include.members(['QUEUED', 'DONE']);
      expect(Object.values(outcome.jobs).reduce((sum, count) => sum + count, 0)).to.equal(jobs.size);
      expect(outcome.newestEvent?.key).to.equal(db.prepare<[string], string>('SELECT max(key) FROM documents WHERE namespace = ?').pluck().get(ns.events));
    } finally {
      db.close();
    }
  });
});
