// A job whose queued document a spooler set aside as damaged (storage/damaged.ts), as its owner sees it: ERROR with
// the same message in the job list, the job, qlued's get_job_status and the job's events, with what its submission
// said (tags, creation time); cancel says it finished; deleting it removes the job and leaves the document to the
// operator.
import { expect } from 'chai';
import { ns } from '../../storage/records.ts';
import { GOOD_JOB, harnessWithUser } from '../native-api/harness.ts';
import { request } from '../support/system.ts';

describe('a job whose document was set aside as damaged', function () {
  this.timeout(30_000);
  const system = harnessWithUser('ada');

  it('reads ERROR with one message everywhere its owner looks, and can be deleted', async () => {
    const { h, token } = system;
    const posted = await h.call('POST', '/backends/singlequdit/jobs', { token, body: { payload: GOOD_JOB, tags: ['calibration'] } });
    const { id, created_at: createdAt } = posted.body as { id: string; created_at: string };
    const broken = { id, state: 'QUEUED', note: 'truncated by hand' };
    await h.storage.put(ns.queued('singlequdit'), id, broken);
    expect(await h.lifecycle.claim('singlequdit', 'test-spooler')).to.equal(undefined);

    const list = await h.call('GET', '/jobs', { token });
    const listed = (list.body as { jobs: { id: string; status: string }[] }).jobs.find((job) => job.id === id);
    expect(listed?.status).to.equal('ERROR');
    const job = await h.call('GET', `/jobs/${id}`, { token });
    expect(job.status, job.text).to.equal(200);
    const { status, error_message: message, ...served } = job.body as { status: string; error_message: string; tags: string[]; created_at: string };
    expect(status).to.equal('ERROR');
    expect([served.tags, served.created_at]).to.deep.equal([['calibration'], createdAt]);
    expect(message).to.match(/damaged/).and.match(/set aside for an operator/);
    const qlued = await request(`${h.url}/api/v2/singlequdit/get_job_status?job_id=${id}&token=${token}`);
    expect(qlued.status, qlued.text).to.equal(406);
    expect(qlued.body).to.deep.include({ job_id: id, status: 'ERROR', error_message: message });
    const events = await h.call('GET', `/jobs/${id}/events`, { token, headers: { accept: 'text/event-stream' } });
    expect(events.text).to.include('ERROR');

    const cancel = await h.call('POST', `/jobs/${id}/cancel`, { token });
    expect([cancel.status, (cancel.body as { error: { code: string } }).error.code]).to.deep.equal([409, 'job_finished']);
    expect((await h.call('DELETE', `/jobs/${id}`, { token })).status).to.equal(204);
    expect((await h.call('GET', `/jobs/${id}`, { token })).status).to.equal(404);
    expect((await h.storage.get(ns.damaged('singlequdit'), id))?.value).to.deep.equal(broken);
  });
});
