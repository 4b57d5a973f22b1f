// The worker's half of a cluster scrape (GET /metrics under `qspool serve --workers N`): one request per scrape over
// the IPC channel, answered by id, and a 503 naming the problem when the primary cannot gather the metrics or does not
// answer. The primary's half and the whole round trip run with real processes in test/serve-workers.test.ts.
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { MetricsUnavailableError } from '../../schemas/errors.ts';
import { clusterScrape } from './cluster.ts';

interface Sent {
  type: string;
  id: number;
}

describe('cluster metrics, a worker\'s scrape', () => {
  const sent: Sent[] = [];
  const originalSend = process.send;
  const answer = (id: number, answer: { text?: string; error?: string }) => process.emit('message', { type: 'qspool:metrics-response', id, ...answer }, undefined);

  before(() => {
    process.send = ((message: Sent) => sent.push(message) > 0) as typeof process.send;
  });
  after(() => {
    process.send = originalSend;
  });

  it('asks the primary once per scrape and takes each answer by its id, in whatever order they come', async () => {
    const scrape = clusterScrape(new Registry(), 1000);
    const first = scrape();
    const second = scrape();
    const [a, b] = sent.slice(-2);
    expect([a!.type, b!.type]).to.deep.equal(['qspool:metrics-request', 'qspool:metrics-request']);
    expect(a!.id).to.not.equal(b!.id);
    answer(b!.id, { text: 'second' });
    answer(a!.id, { text: 'first' });
    expect([await first, await second]).to.deep.equal(['first', 'second']);
  });

  it('fails with 503 metrics_unavailable when the primary reports a failure, or says nothing in time', async () => {
    const scrape = clusterScrape(new Registry(), 50);
    const failing = scrape();
    answer(sent.at(-1)!.id, { error: 'Operation timed out.' });
    const unanswered = scrape();
    for (const [scraped, reason] of [
      [failing, 'Operation timed out.'],
      [unanswered, 'did not answer in time'],
    ] as const) {
      const error = await scraped.then(
        () => expect.fail('expected the scrape to fail'),
        (failure: unknown) => failure,
      );
      expect(error).to.be.instanceOf(MetricsUnavailableError);
      expect((error as MetricsUnavailableError).status).to.equal(503);
      expect((error as MetricsUnavailableError).code).to.equal('metrics_unavailable');
      expect((error as Error).message).to.include(reason);
    }
  });
});
