// Background work that servers sharing storage do once among them (the one that dispatches notifications): each run
// starts `intervalMs` after the previous one ended, so a slow run never overlaps the next, and closing waits for the
// run under way instead of cutting it off mid-write.

export interface PeriodicTaskOptions {
  /** Pause between the end of one run and the start of the next. */
  intervalMs: number;
  /** Whether this process runs the task now; by default always. */
  shouldRun?: () => boolean;
}

export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly options: PeriodicTaskOptions,
  ) {}

  /** Set once close() is called: a long run checks it between pages and stops early. */
  get closed(): boolean {
    return this.stopped;
  }

  start(): void {
    this.schedule();
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const due = !this.options.shouldRun || this.options.shouldRun();
      this.running = (due ? this.run() : Promise.resolve()).finally(() => this.schedule());
    }, this.options.intervalMs);
    this.timer.unref();
  }
}
