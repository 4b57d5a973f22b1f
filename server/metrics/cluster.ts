// GET /metrics under `qspool serve --workers N` (scripts/cluster.ts): any worker may be asked, so the worker asks
// the primary, which gathers every worker's registry over the cluster's IPC channel and adds them up metric by metric
// (prom-client's AggregatorRegistry: counters and histograms summed, each process metric by its own rule). The
// metrics read from storage come from one worker only (slot 0), or every worker would count the same jobs.
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { MetricsUnavailableError } from '../../schemas/errors.ts';

interface MetricsRequest {
  type: 'qspool:metrics-request';
  id: number;
}

interface MetricsResponse {
  type: 'qspool:metrics-response';
  id: number;
  text?: string;
  error?: string;
}

/** prom-client gives up on a worker after 5 s; this leaves room for the answer to come back. */
const SCRAPE_TIMEOUT_MS = 8_000;

const isType = <T extends { type: string }>(value: unknown, type: T['type']): value is T =>
  typeof value === 'object' && value !== null && (value as { type?: unknown }).type === type;

/** In a worker: offers its registry to the primary's gathering, and returns the scrape of the whole cluster. */
export function clusterScrape(registry: Registry, timeoutMs = SCRAPE_TIMEOUT_MS): () => Promise<string> {
  // Constructing one installs prom-client's answer to the primary's requests in this worker.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  const pending = new Map<number, (response: MetricsResponse) => void>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    if (isType<MetricsResponse>(message, 'qspool:metrics-response')) pending.get(message.id)?.(message);
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => settle({ type: 'qspool:metrics-response', id, error: 'the cluster did not answer in time' }), timeoutMs);
      const settle = (response: MetricsResponse) => {
        pending.delete(id);
        clearTimeout(timer);
        if (response.text !== undefined) resolve(response.text);
        else reject(new MetricsUnavailableError(`Metrics unavailable: ${response.error ?? 'no answer'}`));
      };
      pending.set(id, settle);
      process.send!({ type: 'qspool:metrics-request', id } satisfies MetricsRequest);
    });
}

/** In the primary: answers the workers' requests with every worker's metrics added up. */
export function answerMetricsRequests(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: unknown) => {
    if (!isType<MetricsRequest>(message, 'qspool:metrics-request')) return;
    const reply = (answer: Pick<MetricsResponse, 'text' | 'error'>) => {
      if (worker.isConnected()) worker.send({ type: 'qspool:metrics-response', id: message.id, ...answer } satisfies MetricsResponse);
    };
    aggregator.clusterMetrics().then(
      (text) => reply({ text }),
      (error: unknown) => reply({ error: (error as Error).message }),
    );
  });
}
