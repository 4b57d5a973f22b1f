// The crash harness's verdict must be able to fail: each case plants the evidence of one violation.
import { expect } from 'chai';
import type { JobRecord } from '../../storage/records.ts';
import type { JobEvidence, SpoolerEvent } from './evidence.ts';
import { verify, type VerifyInput } from './verify.ts';

const ID = '0123456789abcdef01234567';
const HOLDER = (pid: number) => `host-${pid}-abcd`;

function doneJob(claims: number[], resultKeys: string[], extra: Partial<JobRecord> = {}): JobEvidence {
  const detail = ['Got your json.', ...claims.flatMap((pid, i) => [`Claimed by ${HOLDER(pid)} (attempt ${i + 1}).`, ...(i < claims.length - 1 ? [`Requeued: the lease of attempt ${i + 1} expired.`] : [])]), 'Simulation done.'];
  const record = {
    id: ID, backend: 'b', owner: 'u', state: 'DONE', payload: {}, createdAt: '', attempts: claims.length, seq: 9, detail,
    timestamps: { RUNNING: new Date(5000).toISOString(), DONE: new Date(6000).toISOString() }, resultKey: `${ID}-a${claims.length}`, ...extra,
  } as JobRecord;
  return { id: ID, backend: 'b', states: ['finished'], record, resultKeys, status: { status: 'DONE', seq: 9 } as JobEvidence['status'] };
}

function judge(job: JobEvidence | undefined, more: Partial<VerifyInput> = {}) {
  return verify({ acknowledged: [ID], jobs: new Map(job ? [[ID, job]] : []), events: [], kills: [], leaseMs: 1000, pollMs: 100, slackMs: 0, maxAttempts: 3, ...more });
}

describe('crash harness verdict', () => {
  it('passes a job finished once after its first spooler was killed, counting the orphan result and the recovery', () => {
    const verdict = judge(doneJob([11, 22], [`${ID}-a1`, `${ID}-a2`]), {
      kills: [{ pid: 11, at: 3000, role: 'spooler' }],
      events: [{ event: 'jobs.requeued', pid: 22, time: 4000, jobs: [ID] }],
    });
    expect(verdict.violations).to.deep.equal([]);
    expect(verdict).to.include({ done: 1, duplicated: 0, orphanResults: 1 });
    expect(verdict.recoveries).to.deep.equal([{ jobId: ID, killedAt: 3000, requeueMs: 1000, finishMs: 3000 }]);
  });

  it('does not ask a spooler killed after its job was already taken back (it had been frozen) to be recovered twice', () => {
    const verdict = judge(doneJob([11, 22], [`${ID}-a1`, `${ID}-a2`]), {
      kills: [{ pid: 11, at: 9000, role: 'spooler' }],
      paused: [11],
      events: [{ event: 'jobs.requeued', pid: 22, time: 4000, jobs: [ID] }],
    });
    expect(verdict.violations).to.deep.equal([]);
    expect(verdict.recoveries).to.deep.equal([]);
  });

  it('takes a logged intent for the take-back when the job\'s history shows that attempt\'s lease was taken back', () => {
    const reclaiming: SpoolerEvent = { event: 'job.reclaiming', pid: 22, time: 4000, jobId: ID };
    const kills = [{ pid: 11, at: 3000, role: 'spooler' as const }, { pid: 22, at: 4010, role: 'spooler' as const }];
    const verdict = judge(doneJob([11, 33], [`${ID}-a1`, `${ID}-a2`]), { kills, events: [reclaiming] });
    expect(verdict.violations).to.deep.equal([]);
    expect(verdict.recoveries).to.deep.equal([{ jobId: ID, killedAt: 3000, requeueMs: 1000, finishMs: 3000 }]);
    const unproven = doneJob([11, 33], [`${ID}-a1`, `${ID}-a2`]);
    unproven.record!.detail = unproven.record!.detail.filter((line) => !line.startsWith('Requeued'));
    expect(judge(unproven, { kills, events: [reclaiming] }).violations.join()).to.match(/no spooler logged taking it back/);
  });

  it('calls a surviving result of an attempt whose spooler lived and never gave up a double run', () => {
    expect(judge(doneJob([11, 22], [`${ID}-a1`, `${ID}-a2`])).duplicated).to.equal(1);
  });

  it('calls two job.done events, or two completions in the history, a double run', () => {
    const done = (pid: number): SpoolerEvent => ({ event: 'job.done', pid, time: 1, jobId: ID, attempt: 1 });
    expect(judge(doneJob([11], [`${ID}-a1`]), { events: [done(11), done(22)] }).duplicated).to.equal(1);
    const history = doneJob([11], [`${ID}-a1`]);
    history.record!.detail.push('Simulation done.');
    expect(judge(history).duplicated).to.equal(1);
  });

  it('finds lost, stuck and doubly stored jobs, stale statuses, miscounted attempts and slow recoveries', () => {
    expect(judge(undefined).lost).to.equal(1);
    const stuck = doneJob([11], []);
    stuck.record!.state = 'RUNNING';
    expect(judge(stuck).stuck).to.equal(1);
    const twice = doneJob([11], [`${ID}-a1`]);
    twice.states.push('queued');
    expect(judge(twice).violations.join()).to.match(/in 2 state namespaces/);
    const stale = doneJob([11], [`${ID}-a1`]);
    stale.status = { status: 'RUNNING', seq: 8 } as JobEvidence['status'];
    expect(judge(stale).violations.join()).to.match(/status projection says RUNNING/);
    expect(judge(doneJob([11], [`${ID}-a1`], { attempts: 2 })).violations.join()).to.match(/attempts 2, but 1 claims/);
    const slow = judge(doneJob([11, 22], [`${ID}-a2`]), {
      kills: [{ pid: 11, at: 1000, role: 'spooler' }],
      events: [{ event: 'jobs.requeued', pid: 22, time: 3000, jobs: [ID] }],
    });
    expect(slow.violations.join()).to.match(/taken back 2000 ms after its spooler was killed \(bound 1100 ms\)/);
  });

  it('insists on one claim, one execution and one result per job in the race', () => {
    const events: SpoolerEvent[] = [{ event: 'job.done', pid: 11, time: 1, jobId: ID }, { event: 'job.lease_lost', pid: 22, time: 1, jobId: ID }];
    expect(judge(doneJob([11], [`${ID}-a1`]), { events, expect: { exactlyOnce: true } }).violations.join()).to.match(/2 executions/);
  });
});
