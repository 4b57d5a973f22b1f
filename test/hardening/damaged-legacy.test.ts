// A job whose queued document was set aside as damaged before set-asides wrote a stand-in (storage/damaged.ts): its
// status still says QUEUED, which the job list takes at its word on the local store. A server starting on the store
// writes the stand-ins such jobs lack, so the list shows them ERROR, with their tags, without anyone opening them.
import { expect } from 'chai';
import { pino } from 'pino';
import { startServer } from '../../server/index.ts';
import { ns } from '../../storage/records.ts';
import { eventually, GOOD_JOB, harnessWithUser } from '../native-api/harness.ts';

interface Listed {
  id: string;
  status: string;
  tags: string[];
}

describe('a job set aside as damaged before stand-ins existed', function () {
  this.timeout(30_000);
  const system = harnessWithUser('ada');

  it('is listed ERROR once a server has started on the store', async () => {
    const { h, token } = system;
    const posted = await h.call('POST', '/backends/singlequdit/jobs', { token, body: { payload: GOOD_JOB, tags: ['calibration'] } });
    const { id } = posted.body as { id: string };
    // What a spooler did before stand-ins: the document moved aside, nothing else written.
    await h.storage.move(ns.queued('singlequdit'), ns.damaged('singlequdit'), id);
    const listed = async () => {
      const list = await h.call('GET', '/jobs', { token });
      expect(list.status, list.text).to.equal(200);
      return (list.body as { jobs: Listed[] }).jobs.find((job) => job.id === id)!;
    };
    expect((await listed()).status).to.equal('QUEUED');

    const restarted = await startServer(h.storage, h.config, pino({ level: 'silent' }));
    try {
      const ended = await eventually(async () => {
        const job = await listed();
        return job.status === 'QUEUED' ? undefined : job;
      });
      expect([ended.status, ended.tags]).to.deep.equal(['ERROR', ['calibration']]);
    } finally {
      await restarted.close();
    }
    const job = await h.call('GET', `/jobs/${id}`, { token });
    expect((job.body as { error_message: string }).error_message).to.match(/set aside for an operator/);
  });
});
