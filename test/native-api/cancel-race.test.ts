// POST /api/v1/jobs/{id}/cancel racing with spoolers claiming the same jobs: each job is either cancelled before
// any claim (and never claimed afterwards, I7) or claimed once and flagged for its spooler; nothing in between.
import { expect } from 'chai';
import type { ClaimedJob } from '../../storage/lifecycle.ts';
import { GOOD_JOB, eventually, startHarness, type Harness } from './harness.ts';

describe('native API: cancel racing with claims', function () {
  this.timeout(45_000);
  let h: Harness;
  let token: string;
  before(async () => {
    // A short lease: spoolers renew (and so look for cancel flags) every lease/3; long enough that a renewal
    // delayed by the simulation sharing this process does not lose the lease on a loaded machine.
    h = await startHarness({ QSPOOL_MAX_QUEUED_PER_USER: 1000, QSPOOL_LEASE_MS: 3000 });
    token = await h.user('alice');
  });
  after(async () => h.stop());

  it('gives every job exactly one fate when 60 cancels race 2 claiming spoolers', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 60; i += 1) ids.push((await h.lifecycle.enqueue({ backend: 'singlequdit', owner: 'alice', payload: GOOD_JOB })).id);
    const claims = new Map<string, ClaimedJob[]>();
    let claiming = true;
    let taken = 0;
    // The spoolers take at most half the jobs, pausing after each, so some cancels surely win and some lose.
    const spoolers = Array.from({ length: 2 }, async (_, n) => {
      while (claiming && taken < ids.length / 2) {
        const claim = await h.lifecycle.claim('singlequdit', `spooler-${n}`);
        if (claim) {
          taken += 1;
          claims.set(claim.record.id, [...(claims.get(claim.record.id) ?? []), claim]);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    });
    // Newest first: the spoolers take the oldest first, so the two meet somewhere in the middle.
    const answers = (await Promise.all([...ids].reverse().map((id) => h.call('POST', `/jobs/${id}/cancel`, { token })))).reverse();
    claiming = false;
    await Promise.all(spoolers);

    for (const [i, id] of ids.entries()) {
      const answer = answers[i]!;
      const record = (await h.lifecycle.find('singlequdit', id))!.value;
      expect(claims.get(id)?.length ?? 0, `${id} claimed at most once`).to.be.at.most(1);
      if (answer.status === 200) {
        expect(claims.has(id), `${id} was cancelled while queued, so never claimed`).to.equal(false);
        expect(record.state).to.equal('CANCELLED');
      } else {
        expect(answer.status, answer.text).to.equal(202);
        expect(claims.has(id), `${id} answered "running", so a spooler has it`).to.equal(true);
        expect([record.state, record.cancelRequested]).to.deep.equal(['RUNNING', true]);
      }
    }
    // The spoolers see the flag at their next check and end the jobs; every job ends CANCELLED.
    for (const [claim] of claims.values()) {
      const renewed = await h.lifecycle.renew(claim!);
      expect(renewed.record.cancelRequested).to.equal(true);
      await h.lifecycle.acknowledgeCancel(renewed);
    }
    const states = await Promise.all(ids.map(async (id) => (await h.call('GET', `/jobs/${id}`, { token })).body as { status: string }));
    expect(new Set(states.map((s) => s.status))).to.deep.equal(new Set(['CANCELLED']));
    expect(answers.some((a) => a.status === 200), 'some cancels won').to.equal(true);
    expect(answers.some((a) => a.status === 202), 'some claims won').to.equal(true);
  });

  it('answers 200 with the job CANCELLED when its spooler ends it between the flag and the answer', async () => {
    const { id } = await h.lifecycle.enqueue({ backend: 'singlequdit', owner: 'alice', payload: GOOD_JOB });
    const claim = (await h.lifecycle.claim('singlequdit', 'spooler-0'))!;
    expect(claim.record.id).to.equal(id);
    // The spooler's next check comes right after the transaction that flags the job commits, before the server reads
    // the job back for its answer.
    const transaction = h.storage.transaction.bind(h.storage);
    let acknowledged = false;
    h.storage.transaction = async (work, options) => {
      const outcome = await transaction(work, options);
      if (outcome === 'RUNNING' && !acknowledged) {
        acknowledged = true;
        await h.lifecycle.acknowledgeCancel(await h.lifecycle.renew(claim));
      }
      return outcome;
    };
    try {
      const answer = await h.call('POST', `/jobs/${id}/cancel`, { token });
      expect(acknowledged).to.equal(true);
      expect([answer.status, (answer.body as { status: string }).status]).to.deep.equal([200, 'CANCELLED']);
    } finally {
      h.storage.transaction = transaction;
    }
  });

  it('stops a job running on a real spooler at its next check', async () => {
    await h.startSpoolers();
    // About 25 s of work in 25 ms experiments: the spooler looks for a cancel between any two of them.
    const experiment = { ...GOOD_JOB.experiment_0, instructions: [['load', [0], [200]], ...Array.from({ length: 40 }, () => ['rlx', [0], [0.1]]), ['measure', [0], []]] };
    const payload = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`experiment_${i}`, experiment]));
    const id = ((await h.call('POST', '/backends/singlequdit/jobs', { token, body: { payload } })).body as { id: string }).id;
    // Waiting reads storage directly: HTTP answers are slow while the simulation shares this process.
    const stateIs = (state: string) => async () => ((await h.lifecycle.getStatus('singlequdit', id))?.status === state ? true : undefined);
    await eventually(stateIs('RUNNING'), 20_000);
    const cancel = await h.call('POST', `/jobs/${id}/cancel`, { token });
    expect(cancel.status, cancel.text).to.equal(202);
    expect(cancel.body).to.include({ status: 'RUNNING', cancel_requested: true });
    await eventually(stateIs('CANCELLED'), 20_000);
    const job = (await h.call('GET', `/jobs/${id}`, { token })).body as { status: string; history: string[] };
    expect(job.status).to.equal('CANCELLED');
    expect(job.history).to.include('Cancel requested.');
    expect(job.history.at(-1)).to.equal('Cancelled while running.');
  });
});
