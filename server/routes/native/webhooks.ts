// /api/v1/webhooks: the caller's webhooks (register with a URL and the states to hear of, list, show, delete) and
// each one's delivery log. The signing secret is shown once, at registration. Another user's webhook answers 404.
import { NotFoundError, RequestValidationError } from '../../../schemas/errors.ts';
import {
  type DeliveryListQuery,
  type DeliveryView,
  type WebhookCreate,
  type WebhookView,
  EVENT_STATES,
  deliveryListQuerySchema,
  deliveryListSchema,
  webhookCreateSchema,
  webhookCreatedSchema,
  webhookListSchema,
  webhookSchema,
} from '../../../schemas/notifications.ts';
import { type AddressPolicy, resolveAllowed, UnsafeAddressError } from '../../notifications/address-guard.ts';
import type { Delivery } from '../../notifications/deliveries.ts';
import type { WebhookRecord } from '../../notifications/webhooks.ts';
import type { NativeDeps } from './index.ts';
import { bodySchema, documented, errorBody, operation, querySchema, type Operation } from './operation.ts';

const webhookCreate = bodySchema<WebhookCreate>('WebhookCreate', webhookCreateSchema);
const deliveryQuery = querySchema<DeliveryListQuery>('DeliveryListQuery', deliveryListQuerySchema);
const webhookDoc = documented('Webhook', webhookSchema);
const hookIdParam = { id: { type: 'string', pattern: '^[0-9a-f]{16}$', description: 'Anything else answers 404.' } } as const;
const notFound = { description: 'No webhook with this id that the caller owns.', schema: errorBody };

function webhookView(hook: WebhookRecord): WebhookView {
  return { id: hook.id, url: hook.url, events: hook.events, description: hook.description, created_at: hook.createdAt };
}

function deliveryView(delivery: Delivery): DeliveryView {
  const { event } = delivery;
  return {
    event_id: event.id,
    job_id: event.jobId,
    type: `job.${event.state.toLowerCase()}`,
    status: delivery.status,
    created_at: delivery.createdAt,
    next_attempt_at: delivery.status === 'pending' ? new Date(delivery.nextAttemptAt).toISOString() : null,
    attempts: delivery.attempts.map((attempt) => ({
      at: attempt.at,
      duration_ms: Math.round(attempt.durationMs),
      ok: attempt.ok,
      status_code: attempt.statusCode,
      error: attempt.error,
    })),
  };
}

const badUrl = (msg: string) => new RequestValidationError([{ type: 'url', loc: ['body', 'url'], msg }]);

/** An http(s) URL without credentials whose host resolves only to addresses the policy allows. */
export async function checkWebhookUrl(text: string, policy: AddressPolicy): Promise<string> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badUrl('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badUrl('must be an http or https URL');
  if (url.username || url.password) throw badUrl('must not contain credentials; verify the signature instead');
  if (!url.hostname) throw badUrl('has no host');
  try {
    await resolveAllowed(url.hostname, policy);
  } catch (error) {
    if (error instanceof UnsafeAddressError) throw badUrl(`${error.message}; such receivers need QSPOOL_WEBHOOK_ALLOW_PRIVATE=1 on the server`);
    throw badUrl(`host ${url.hostname} does not resolve`);
  }
  return url.href;
}

export function webhookOperations(deps: NativeDeps): Operation[] {
  const { notifications } = deps;
  const { webhooks } = notifications;

  async function hookOr404(owner: string, id: string): Promise<WebhookRecord> {
    const hook = await webhooks.get(owner, id);
    if (!hook) throw new NotFoundError('No such webhook');
    return hook;
  }

  return [
    operation({
      method: 'post',
      path: '/webhooks',
      operationId: 'createWebhook',
      summary: 'Register a webhook',
      description:
        'Deliveries follow the Standard Webhooks specification: a POST with headers webhook-id (stable per event), ' +
        'webhook-timestamp and webhook-signature (v1, HMAC-SHA256 under the secret returned here, once), retried with ' +
        'exponential backoff on failure or timeout. The URL must not resolve to a private or loopback address.',
      tag: 'Webhooks',
      auth: 'required',
      body: webhookCreate,
      responses: {
        201: { description: 'The webhook, with its secret.', schema: documented('WebhookCreated', webhookCreatedSchema), headers: { Location: 'The webhook\'s URL.' } },
        429: { description: 'Too many webhooks, or too many requests.', schema: errorBody },
      },
      async handle(ctx, { user, body }) {
        const url = await checkWebhookUrl(body.url, notifications.addressPolicy);
        const events = body.events ? [...body.events] : [...EVENT_STATES];
        const hook = await webhooks.create(user.username, url, events, body.description ?? null);
        ctx.state.log.info({ user: user.username, webhookId: hook.id, events }, 'webhook registered');
        ctx.status = 201;
        ctx.set('Cache-Control', 'no-store');
        ctx.set('Location', `/api/v1/webhooks/${hook.id}`);
        ctx.body = { ...webhookView(hook), secret: hook.secret };
      },
    }),
    operation({
      method: 'get',
      path: '/webhooks',
      operationId: 'listWebhooks',
      summary: 'The caller\'s webhooks, without secrets',
      tag: 'Webhooks',
      auth: 'required',
      responses: { 200: { description: 'In id order.', schema: documented('WebhookList', webhookListSchema) } },
      async handle(ctx, { user }) {
        ctx.body = { webhooks: (await webhooks.list(user.username)).map(webhookView) };
      },
    }),
    operation({
      method: 'get',
      path: '/webhooks/{id}',
      operationId: 'getWebhook',
      summary: 'One of the caller\'s webhooks, without its secret',
      tag: 'Webhooks',
      auth: 'required',
      params: hookIdParam,
      responses: { 200: { description: 'The webhook.', schema: webhookDoc }, 404: notFound },
      async handle(ctx, { user, params }) {
        ctx.body = webhookView(await hookOr404(user.username, params.id!));
      },
    }),
    operation({
      method: 'delete',
      path: '/webhooks/{id}',
      operationId: 'deleteWebhook',
      summary: 'Delete a webhook; deliveries still pending for it are dropped',
      tag: 'Webhooks',
      auth: 'required',
      params: hookIdParam,
      responses: { 204: { description: 'Deleted.' }, 404: notFound },
      async handle(ctx, { user, params }) {
        const hook = await hookOr404(user.username, params.id!);
        await notifications.deliveries.retire({ kind: 'hook', name: hook.id, owner: hook.owner });
        if (!(await webhooks.delete(user.username, hook.id))) throw new NotFoundError('No such webhook');
        ctx.state.log.info({ user: user.username, webhookId: params.id }, 'webhook deleted');
        ctx.status = 204;
      },
    }),
    operation({
      method: 'get',
      path: '/webhooks/{id}/deliveries',
      operationId: 'listWebhookDeliveries',
      summary: 'A webhook\'s deliveries, each with every attempt',
      tag: 'Webhooks',
      auth: 'required',
      params: hookIdParam,
      query: deliveryQuery,
      responses: { 200: { description: 'The first page holds up to `limit` pending ones, oldest first; then `limit` finished ones a page.', schema: documented('DeliveryList', deliveryListSchema) }, 404: notFound },
      async handle(ctx, { user, params, query }) {
        const hook = await hookOr404(user.username, params.id!);
        const receiver = { kind: 'hook' as const, name: hook.id, owner: hook.owner };
        const limit = query.limit ?? 50;
        const pending = query.cursor === undefined ? await notifications.deliveries.pendingOf(receiver, limit) : [];
        const page = await notifications.deliveries.logOf(receiver, limit, query.cursor);
        ctx.body = { deliveries: [...pending, ...page.deliveries].map(deliveryView), next_cursor: page.next };
      },
    }),
  ];
}
