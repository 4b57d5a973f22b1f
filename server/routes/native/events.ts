// /api/v1/jobs/{id}/events and /api/v1/events: job state changes as Server-Sent Events, fed by the outbox the
// lifecycle writes (server/notifications/feed.ts). One job's stream starts with its current state and ends after
// a final one; the caller's stream carries every change of every job of theirs. Both resume from Last-Event-ID.
// Both count against the caller's open-stream cap and end soon after their credential stops working (expired too);
// one job's stream also ends soon after the job is deleted, or its admin caller demoted.
import { NotFoundError } from '../../../schemas/errors.ts';
import { jobIdPathSchema } from '../../../schemas/native.ts';
import { jobIdTime } from '../../../storage/keys.ts';
import { type JobEvent, FINAL_STATES, jobEventOf } from '../../../storage/records.ts';
import { instantKey, isEventKey, keyTime, type OutboxEntry } from '../../notifications/outbox.ts';
import { RECONNECT_AFTER_STOP_MS, SseStream } from '../../notifications/sse.ts';
import { watchCredential } from '../../notifications/stream-guard.ts';
import { eventView } from '../../notifications/webhooks.ts';
import type { User } from '../../services/users.ts';
import type { NativeDeps } from './index.ts';
import { errorBody, operation, type Operation } from './operation.ts';

const jobIdParam = { id: jobIdPathSchema } as const;
const STREAM_FORMAT =
  'Each event is `id: <id>` and `data: <Job event JSON>` (event_id, job_id, backend, status, seq, attempts, at, detail, ' +
  'error_message, requeued, url); comment lines (`: keep-alive`) keep idle streams open.';


/**
 * The seq a one-job stream's Last-Event-ID (`<job id>-<seq>`) names; 0 for none or another job's. Any job id: one
 * qlued gave (with `-` of its own) is compared whole with the job's.
 */
function resumeSeq(lastEventId: string, jobId: string): number {
  const match = /^(.+)-([0-9]{1,9})$/.exec(lastEventId);
  return match && match[1] === jobId ? Number(match[2]) : 0;
}

const tooManyStreams = {
  description: 'The caller already holds QSPOOL_SSE_MAX_PER_USER open event streams on this server (default 10).',
  schema: errorBody,
};

/** The caller's changes held back while a replay is sent, at most (see the /events stream). */
export const MAX_HELD_DURING_REPLAY = 1000;

export function eventOperations(deps: NativeDeps): Operation[] {
  const { jobs, notifications, auth } = deps;

  /**
   * Opens the caller's stream in one of their slots (429 when none is free). The request's credential is checked
   * again every QSPOOL_SSE_AUTH_CHECK_MS: a revoked token, a disabled user or a changed password ends the stream.
   * A stream of one job (`jobId`) ends too once the caller can no longer see that job: a deleted job never reaches
   * the final state that would end it, and an admin following someone else's job who is demoted must not keep
   * hearing of it.
   */
  function open(ctx: Parameters<Operation['handle']>[0], user: User, jobId?: string): SseStream {
    const release = notifications.streamSlots.take(user.username);
    const stream = new SseStream(ctx, notifications.keepAliveMs);
    stream.onEnd(release);
    stream.onEnd(notifications.trackStream(() => stream.end('the server is stopping; reconnect with Last-Event-ID', RECONNECT_AFTER_STOP_MS)));
    const end = (code: string) => {
      ctx.state.log.info({ user: user.username, code }, 'event stream ended: its credential or its job is gone');
      stream.end(code === 'not_found' ? 'the job is gone' : `credential no longer valid (${code})`);
    };
    const check = async () => {
      const caller = await auth.required(ctx);
      if (jobId !== undefined && !(await jobs.locate(caller, jobId))) throw new NotFoundError('No such job');
    };
    stream.onEnd(watchCredential(check, end, notifications.authCheckMs, ctx.state.log));
    return stream;
  }

  return [
    operation({
      method: 'get',
      path: '/jobs/{id}/events',
      operationId: 'streamJobEvents',
      summary: 'One job\'s state changes as Server-Sent Events',
      description:
        `The job's current state first, then each change; the stream ends after DONE, ERROR or CANCELLED, or soon after the job is deleted. ${STREAM_FORMAT} ` +
        'Ids are `<job id>-<seq>`: reconnecting with Last-Event-ID sends exactly the changes after that one.',
      tag: 'Events',
      auth: 'required',
      params: jobIdParam,
      headers: { 'Last-Event-ID': 'Resume after this event (what EventSource sends when it reconnects).' },
      responses: {
        200: { description: 'The event stream.', contentType: 'text/event-stream' },
        204: { description: 'Last-Event-ID names the job\'s final state: nothing more will come (EventSource stops reconnecting).' },
        404: { description: 'No job with this id that the caller may see.', schema: errorBody },
        429: tooManyStreams,
      },
      async handle(ctx, { user, params }) {
        const id = params.id!;
        const record = await jobs.byId(user, id);
        if (!record) throw new NotFoundError('No such job');
        // A seq the job has not reached is not one the client saw: it starts over rather than wait for it forever.
        const claimed = resumeSeq(ctx.get('last-event-id'), id);
        const resumed = claimed > record.seq ? 0 : claimed;
        if (resumed >= record.seq && FINAL_STATES.includes(record.state)) {
          ctx.status = 204;
          return;
        }
        const stream = open(ctx, user, id);
        let sent = resumed;
        let live = false;
        const early: JobEvent[] = [];
        const emit = (event: JobEvent) => {
          if (stream.closed || event.seq <= sent) return;
          sent = event.seq;
          stream.send(event.id, eventView(event, notifications.baseUrl));
          if (FINAL_STATES.includes(event.state)) stream.end();
        };
        // Subscribed before the job is read again: a change in between arrives through the feed; seq drops repeats.
        stream.onEnd(notifications.feed.subscribe(({ event }) => {
          if (event.jobId !== id) return;
          if (live) emit(event);
          else early.push(event);
        }));
        try {
          const current = (await jobs.byId(user, id)) ?? record;
          if (resumed > 0 && current.seq > sent + 1) {
            // Changes between the client's last event and now, from the outbox (scanned from the job's creation).
            const from = instantKey(jobIdTime(id) - notifications.settleMs);
            const { entries } = await notifications.replay(from, (event) => event.jobId === id && event.seq > sent && event.seq < current.seq);
            for (const { event } of entries.sort((a, b) => a.event.seq - b.event.seq)) emit(event);
          }
          emit(jobEventOf(current, current.createdAt));
          live = true;
          for (const event of early.sort((a, b) => a.seq - b.seq)) emit(event);
        } catch (error) {
          stream.end();
          throw error;
        }
      },
    }),
    operation({
      method: 'get',
      path: '/events',
      operationId: 'streamEvents',
      summary: 'State changes of all the caller\'s jobs as Server-Sent Events',
      description:
        `Every change from the moment of connecting (after the \`: connected\` comment). ${STREAM_FORMAT} Ids are positions in ` +
        'the server\'s event log: reconnecting with Last-Event-ID replays the changes after it (kept for QSPOOL_EVENTS_RETENTION_S). ' +
        'A replay longer than one connection reads ends the stream after an `id:` line without data; reconnecting from that id goes on.',
      tag: 'Events',
      auth: 'required',
      headers: { 'Last-Event-ID': 'Resume after this event.' },
      responses: { 200: { description: 'The event stream.', contentType: 'text/event-stream' }, 429: tooManyStreams },
      async handle(ctx, { user }) {
        const lastId = ctx.get('last-event-id');
        // An id no server of this store can have sent yet (another store's, a made-up one far ahead of every clock)
        // would hide every change until the outbox's keys passed it: the stream starts live instead. An id ahead of
        // this server's clock is still one to resume from if it is in an outbox: written by a process whose clock is
        // ahead of this one's and sent by another replica (starting live lost the changes since).
        const ahead = isEventKey(lastId) && keyTime(lastId) > Date.now() + notifications.settleMs;
        const resumeFrom = isEventKey(lastId) && (!ahead || (await notifications.recorded(lastId))) ? lastId : undefined;
        const stream = open(ctx, user);
        const seqs = new Map<string, number>();
        let live = false;
        const early: OutboxEntry[] = [];
        const fresh = ({ key, event }: OutboxEntry) => {
          if (stream.closed || event.owner !== user.username || (resumeFrom !== undefined && key <= resumeFrom)) return false;
          if (event.seq <= (seqs.get(event.jobId) ?? 0)) return false;
          seqs.set(event.jobId, event.seq);
          return true;
        };
        const emit = (entry: OutboxEntry) => {
          if (fresh(entry)) stream.send(entry.key, eventView(entry.event, notifications.baseUrl));
        };
        const goLive = () => {
          live = true;
          for (const entry of early.sort((a, b) => (a.key < b.key ? -1 : 1))) emit(entry);
        };
        stream.onEnd(
          notifications.feed.subscribe((entry) => {
            if (live) emit(entry);
            else if (entry.event.owner !== user.username) return;
            else if (early.length < MAX_HELD_DURING_REPLAY) early.push(entry);
            // A replay paced by a client that reads slowly but never stalls could hold changes without bound; they
            // are all in the outbox, so the client gets them by resuming after the last event it received.
            else stream.end('more changes to replay; reconnect with Last-Event-ID');
          }),
        );
        if (resumeFrom === undefined) {
          goLive();
          return;
        }
        const { entries, until } = await notifications.replay(resumeFrom, (event) => event.owner === user.username).catch((error: unknown) => {
          stream.end();
          throw error;
        });
        // Written once the handler has returned and Koa sends the stream, at the pace the client takes it (see
        // SseStream.sendPaced); changes meanwhile wait in `early`.
        const replayed = async () => {
          for (const entry of entries) {
            if (stream.closed) return;
            if ((until === undefined || entry.key <= until) && fresh(entry)) await stream.sendPaced(entry.key, eventView(entry.event, notifications.baseUrl));
          }
          if (until === undefined) return goLive();
          // More to replay than one scan reads: going live now would skip the rest. The client reconnects from
          // where this replay stopped (EventSource does so by itself) and the next one goes on from there.
          stream.checkpoint(until);
          stream.end('more changes to replay; reconnect with Last-Event-ID');
        };
        replayed().catch((error: unknown) => {
          ctx.state.log.warn({ err: error, user: user.username }, 'event stream replay failed; the client reconnects with Last-Event-ID');
          stream.end();
        });
      },
    }),
  ];
}
