// Damaged-document cases of the conformance suite (storage/damaged.ts): a job whose queued or running document a
// spooler sets aside ends ERROR, saying so, on its status, its record and its events, keeping what its submission
// said (tags, priority, notification choices, creation time), while the document stays as it was for an operator; a
// set-aside that stopped before the job's stand-in was written is completed by the next look.
import { expect } from 'chai';
import { ConflictError } from '../../schemas/errors.ts';
import type { JobLifecycle } from '../lifecycle.ts';
import { type JobEvent, type JobRecord, ns } from '../records.ts';
import type { SchedulingContext } from './scheduling.ts';

async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ConflictError);
    return (error as ConflictError).code;
  }
  return undefined;
}

export function damagedCases(context: SchedulingContext): void {
  const { backend } = context;
  const meta = { tags: ['calibration'], priority: 2, notify: { email: ['ERROR'] } };
  const submitted = new Map<string, JobRecord>();
  const submit = async (jobs: JobLifecycle) => {
    context.advance(1);
    const record = await jobs.enqueue({ backend, owner: 'alice', payload: { n: 1 }, meta });
    submitted.set(record.id, record);
    return record.id;
  };
  const eventsOf = async (id: string) => {
    const storage = context.storage();
    const events = await Promise.all((await storage.list(ns.events)).map(async (key) => (await storage.get<JobEvent>(ns.events, key))!.value));
    return events.filter((event) => event.jobId === id).sort((a, b) => a.seq - b.seq);
  };
  /**
   * What the job's owner is shown: status, record and last event, ERROR with one message that says what happened,
   * the record and event with what the submission said.
   */
  const expectSetAside = async (jobs: JobLifecycle, id: string) => {
    const status = (await jobs.getStatus(backend, id))!;
    expect([status.status, status.owner]).to.deep.equal(['ERROR', 'alice']);
    expect(status.error_message).to.match(/damaged/).and.match(/set aside for an operator/);
    const record = (await jobs.find(backend, id))!.value;
    expect([record.state, record.errorMessage, record.seq]).to.deep.equal(['ERROR', status.error_message, status.seq]);
    const { backend: was, owner, createdAt, timestamps } = submitted.get(id)!;
    expect([record.backend, record.owner, record.createdAt, record.meta]).to.deep.equal([was, owner, createdAt, meta]);
    expect(record.timestamps.QUEUED).to.equal(timestamps.QUEUED);
    const last = (await eventsOf(id)).at(-1)!;
    expect([last.state, last.seq, last.errorMessage, last.notify]).to.deep.equal(['ERROR', status.seq, status.error_message, meta.notify]);
  };

  describe('damaged job documents', () => {
    it('I1 ends a job whose queued or running document was set aside ERROR everywhere, its document kept as it was', async () => {
      const storage = context.storage();
      const jobs = context.lifecycle({ leaseMs: 1000 });
      const [queued, running] = [await submit(jobs), await submit(jobs)];
      const broken = { id: queued, state: 'QUEUED', note: 'truncated by hand' };
      await storage.put(ns.queued(backend), queued, broken);
      expect((await jobs.claim(backend, 's'))!.record.id).to.equal(running);
      await expectSetAside(jobs, queued);
      expect((await storage.get(ns.damaged(backend), queued))!.value).to.deep.equal(broken);
      // A running document damaged under its spooler: the lease reaper sets it aside.
      await storage.put(ns.running(backend), running, 'not a job');
      expect(await jobs.requeueExpired(backend)).to.deep.equal([]);
      await expectSetAside(jobs, running);
      expect((await storage.get(ns.damaged(backend), running))!.value).to.equal('not a job');
      // Finished for its owner, never run again by an administrator; deleting it leaves the document to the operator.
      expect(await refusal(jobs.cancel(backend, queued))).to.equal('job_finished');
      expect(await refusal(jobs.requeue(backend, queued))).to.equal('job_damaged');
      await jobs.purge(backend, queued);
      expect([await jobs.find(backend, queued), await jobs.getStatus(backend, queued)]).to.deep.equal([undefined, undefined]);
      expect((await storage.get(ns.damaged(backend), queued))!.value).to.deep.equal(broken);
    });

    it('I1 writes the stand-in of a job set aside without one (a process that died in between) when the job is looked up', async () => {
      const storage = context.storage();
      const jobs = context.lifecycle();
      const id = await submit(jobs);
      await storage.move(ns.queued(backend), ns.damaged(backend), id);
      expect((await jobs.find(backend, id))!.value.state).to.equal('ERROR');
      await expectSetAside(jobs, id);
    });
  });
}
