// Messages between the bench runner and its child processes (servers, spoolers, workers), over Node's IPC.

/** Child → runner, once it can take work. */
export interface ReadyMessage {
  type: 'ready';
  /** Base URL of an HTTP child. */
  url?: string;
  /** API tokens of the bench users (qspool server). */
  tokens?: string[];
}

/** Runner → child: `go` starts work that was held back (BullMQ workers); `stop` ends the process cleanly. */
export interface ControlMessage {
  type: 'go' | 'stop' | 'stats';
}

/** Child → runner, answering `stats`: the child's storage counters (a qspool spooler on the local store). */
export interface StatsMessage {
  type: 'stats';
  stats: Record<string, number>;
}

/** For children: calls `onGo` on `go`, and stops (then exits) on `stop` or when the runner goes away. */
export function onControl(stop: () => Promise<void>, onGo?: () => void): void {
  let stopping = false;
  const end = () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('message', (message: ControlMessage) => {
    if (message.type === 'go') onGo?.();
    else if (message.type === 'stop') end();
  });
  process.on('disconnect', end);
}

export function sendReady(message: Omit<ReadyMessage, 'type'> = {}): void {
  process.send?.({ type: 'ready', ...message } satisfies ReadyMessage);
}
