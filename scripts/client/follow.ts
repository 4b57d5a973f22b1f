// Following a job to its end for `qspool job submit --wait` and `qspool job watch`: on a terminal one status line
// redrawn in place (state, queue position, elapsed time), elsewhere one plain line per change, so logs and CI
// output stay readable. Ends with the job as it finished.
import { jobBackendLabel } from '../../schemas/job-backend-label.ts';
import type { JobDetail, JobEventView, QspoolClient } from './index.ts';

export interface FollowOutput {
  write(text: string): void;
  isTTY: boolean;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const POSITION_EVERY_MS = 2000;

export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.floor(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function describe(state: string, position: number | null, requeued: boolean): string {
  if (state !== 'QUEUED') return state;
  const again = requeued ? ' again' : '';
  return position === null ? `QUEUED${again}` : `QUEUED${again}, position ${position}`;
}

/** Follows the job until it ends and returns it; `out` gets the status line(s). */
export async function follow(client: QspoolClient, job: JobDetail, out: FollowOutput, startedAt = Date.now()): Promise<JobDetail> {
  let state: string = job.status;
  let position = job.queue_position;
  let requeued = false;
  let frame = 0;
  let lastPositionCheck = Date.now();
  const line = () => `${SPINNER[frame % SPINNER.length]} job ${job.id} on ${jobBackendLabel(job)}: ${describe(state, position, requeued)} · ${formatElapsed(Date.now() - startedAt)}`;
  const redraw = () => out.write(`\r\x1b[2K${line()}`);
  const plain = (at: string) => out.write(`${at}  job ${job.id}  ${describe(state, position, requeued)}  (elapsed ${formatElapsed(Date.now() - startedAt)})\n`);

  let checking = false;
  const ticker = out.isTTY
    ? setInterval(() => {
        frame += 1;
        redraw();
        // Queue positions change without events (other jobs leave the queue): look them up now and then.
        if (state === 'QUEUED' && !checking && Date.now() - lastPositionCheck > POSITION_EVERY_MS) {
          checking = true;
          lastPositionCheck = Date.now();
          client.job(job.id).then(
            (latest) => {
              if (state === 'QUEUED') position = latest.queue_position;
              checking = false;
            },
            () => (checking = false),
          );
        }
      }, 100)
    : undefined;
  try {
    const seen = (event: JobEventView) => {
      state = event.status;
      requeued = event.requeued;
      if (state !== 'QUEUED') position = null;
    };
    for await (const event of client.jobEvents(job.id)) {
      const wasQueued = state === 'QUEUED' && position !== null;
      seen(event);
      if (event.status === 'QUEUED' && !wasQueued) position = (await client.job(job.id)).queue_position;
      if (out.isTTY) redraw();
      else plain(event.at);
    }
  } finally {
    clearInterval(ticker);
  }
  const final = await client.job(job.id);
  if (out.isTTY) {
    state = final.status;
    out.write(`\r\x1b[2K${line().slice(2)}\n`);
  }
  return final;
}

/** The exit code for how a job ended: 0 DONE, 3 ERROR, 4 CANCELLED. */
export function exitCodeOf(job: JobDetail): number {
  return job.status === 'DONE' ? 0 : job.status === 'ERROR' ? 3 : job.status === 'CANCELLED' ? 4 : 1;
}
