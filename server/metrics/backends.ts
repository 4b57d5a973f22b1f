// Per-backend metrics, computed from storage when Prometheus scrapes (spoolers change the queues, not this
// process, so there is nothing to count in memory): queue depth, running jobs, age of the last spooler heartbeat,
// and, from the jobs that finished since the previous scrape, final states and wait- and run-time histograms.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { type JobRecord, ns } from '../../storage/records.ts';
import type { BackendService, ResolvedBackend } from '../services/backends.ts';
import { FinishedTail, listAll } from './finished-tail.ts';

const seconds = (from: string | undefined, to: string | undefined) =>
  from === undefined || to === undefined ? undefined : Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);

export class BackendMetrics {
  private readonly tails = new Map<string, FinishedTail>();
  private refreshing: Promise<void> | undefined;
  private readonly queueDepth: Gauge<'backend'>;
  private readonly running: Gauge<'backend'>;
  private readonly heartbeatAge: Gauge<'backend'>;
  private readonly operational: Gauge<'backend'>;
  private readonly finished: Counter<'backend' | 'state'>;
  private readonly waitTime: Histogram<'backend'>;
  private readonly runTime: Histogram<'backend' | 'state'>;

  constructor(
    private readonly backends: BackendService,
    registry: Registry,
  ) {
    const registers = [registry];
    // Every metric here waits for the shared refresh as it is collected, so whoever reads the registry (GET /metrics,
    // a cluster's primary) gets values as of now.
    const collect = () => this.refresh();
    this.queueDepth = new Gauge({ name: 'qspool_backend_queue_depth', help: 'Jobs waiting in the backend\'s queue', labelNames: ['backend'], registers, collect });
    this.running = new Gauge({ name: 'qspool_backend_running_jobs', help: 'Jobs a spooler of the backend is running', labelNames: ['backend'], registers, collect });
    this.heartbeatAge = new Gauge({
      name: 'qspool_backend_last_heartbeat_age_seconds',
      help: 'Seconds since any spooler of the backend last sent a heartbeat (absent when none ever did)',
      labelNames: ['backend'],
      registers,
      collect,
    });
    this.operational = new Gauge({ name: 'qspool_backend_operational', help: '1 if a spooler checked the queue recently', labelNames: ['backend'], registers, collect });
    this.finished = new Counter({
      name: 'qspool_jobs_finished_total',
      help: 'Jobs that reached a final state (DONE, ERROR, CANCELLED) since this server started',
      labelNames: ['backend', 'state'],
      registers,
      collect,
    });
    this.waitTime = new Histogram({
      name: 'qspool_job_wait_seconds',
      help: 'Time finished jobs spent queued before a spooler claimed them',
      labelNames: ['backend'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14_400, 86_400],
      registers,
      collect,
    });
    this.runTime = new Histogram({
      name: 'qspool_job_run_seconds',
      help: 'Time finished jobs ran, from their claim to their final state',
      labelNames: ['backend', 'state'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers,
      collect,
    });
  }

  /** Starts the finished-job tails now, so jobs finishing before the first scrape are counted too. */
  async start(): Promise<void> {
    for (const backend of await this.backends.list({ includeInactive: true })) this.tailOf(backend);
  }

  /** Brings every gauge up to date; concurrent scrapes share one refresh. */
  refresh(): Promise<void> {
    this.refreshing ??= this.collect().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Series are labelled with the name the server answers to, so equal display names on two providers stay apart. */
  private tailOf(backend: ResolvedBackend): FinishedTail {
    let tail = this.tails.get(backend.name);
    if (!tail) this.tails.set(backend.name, (tail = new FinishedTail(backend.site.storage, backend.display)));
    return tail;
  }

  private async collect(): Promise<void> {
    const list = await this.backends.list({ includeInactive: true });
    const now = Date.now();
    // Gauges are rebuilt from scratch, so a backend whose config was removed leaves no stale series behind.
    for (const gauge of [this.queueDepth, this.running, this.heartbeatAge, this.operational]) gauge.reset();
    await Promise.all(
      list.map(async (backend) => {
        const { name, display } = backend;
        const [queued, running, liveness] = await Promise.all([
          listAll(backend.site.storage, ns.queued(display)),
          listAll(backend.site.storage, ns.running(display)),
          this.backends.liveness(backend),
        ]);
        this.queueDepth.set({ backend: name }, queued.length);
        this.running.set({ backend: name }, running.length);
        this.operational.set({ backend: name }, liveness.operational ? 1 : 0);
        if (liveness.last_heartbeat) this.heartbeatAge.set({ backend: name }, Math.max(0, (now - Date.parse(liveness.last_heartbeat)) / 1000));
        const finished = await this.tailOf(backend).advance(new Set([...queued, ...running]));
        for (const record of finished) this.observe(name, record);
      }),
    );
  }

  private observe(backend: string, record: JobRecord): void {
    this.finished.inc({ backend, state: record.state });
    const { QUEUED: queued, RUNNING: running } = record.timestamps;
    const wait = seconds(queued, running);
    const run = seconds(running, record.timestamps[record.state]);
    if (wait !== undefined) this.waitTime.observe({ backend }, wait);
    if (run !== undefined) this.runTime.observe({ backend, state: record.state }, run);
  }
}
