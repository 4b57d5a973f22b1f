// Who hears of an event: the owner's mailbox when the state is among their chosen ones (the job's `notify.email`,
// else the profile's default, else ["DONE"]), and each of the owner's webhooks subscribed to the state. Each gets
// the event queued once (see deliveries.ts).
import type { Logger } from '../../config/logger.ts';
import { DEFAULT_EMAIL_STATES, EVENT_STATES, type EventState } from '../../schemas/notifications.ts';
import type { JobEvent } from '../../storage/records.ts';
import type { User } from '../services/users.ts';
import type { DeliveryStore, Receiver } from './deliveries.ts';
import type { OutboxEntry } from './outbox.ts';
import type { WebhookStore } from './webhooks.ts';

export interface FanOutDeps {
  deliveries: DeliveryStore;
  webhooks: WebhookStore;
  getUser(username: string): Promise<User | undefined>;
  mailEnabled: boolean;
  log: Logger;
}

/** The states of a `notify.email` value, or undefined when it does not say (validated at submission). */
function emailStates(notify: unknown): readonly EventState[] | undefined {
  if (notify === null || typeof notify !== 'object') return undefined;
  const email = (notify as { email?: unknown }).email;
  if (!Array.isArray(email)) return undefined;
  return email.filter((state): state is EventState => (EVENT_STATES as readonly unknown[]).includes(state));
}

export function fanOut(deps: FanOutDeps): (entry: OutboxEntry) => Promise<void> {
  async function mailWanted(event: JobEvent): Promise<boolean> {
    if (!deps.mailEnabled) return false;
    const chosen = emailStates(event.notify) ?? emailStates((await deps.getUser(event.owner))?.notify) ?? DEFAULT_EMAIL_STATES;
    return chosen.includes(event.state);
  }

  return async ({ key, event }) => {
    const receivers: Receiver[] = [];
    if (await mailWanted(event)) receivers.push({ kind: 'mail', name: event.owner, owner: event.owner });
    for (const hook of await deps.webhooks.cachedList(event.owner)) {
      if (hook.events.includes(event.state)) receivers.push({ kind: 'hook', name: hook.id, owner: event.owner });
    }
    let queued = 0;
    for (const receiver of receivers) if (await deps.deliveries.enqueue(receiver, key, event)) queued += 1;
    if (queued > 0) deps.log.debug({ jobId: event.jobId, eventId: event.id, state: event.state, queued }, 'notifications queued');
  };
}
