// Wire formats of notifications: the `notify` choices (job submission, user profile), webhook registrations, their
// delivery log, the job events that Server-Sent Events and webhooks carry, and the webhook payload.
import type { FromSchema } from 'json-schema-to-ts';
import { PLAIN_TEXT } from './text.ts';

/** The states a job can reach; events name one of them (a requeued job is QUEUED again, with `requeued`). */
export const EVENT_STATES = ['QUEUED', 'RUNNING', 'DONE', 'ERROR', 'CANCELLED'] as const;
export const DEFAULT_EMAIL_STATES = ['DONE'] as const;

const states = (description: string, minItems = 0) =>
  ({ type: 'array', items: { type: 'string', enum: EVENT_STATES }, uniqueItems: true, minItems, maxItems: EVENT_STATES.length, description }) as const;

export const notifySchema = {
  title: 'Notification choices',
  description: 'Which state changes to announce. Omitted `email`: the user\'s default, which is ["DONE"] unless changed.',
  type: 'object',
  properties: {
    email: states('States that send an e-mail to the owner\'s address, e.g. ["RUNNING", "DONE"]; [] for none.'),
  },
  additionalProperties: false,
} as const;

const hookId = { type: 'string', pattern: '^[0-9a-f]{16}$' } as const;
const timestamp = { type: 'string', description: 'ISO 8601 date-time.' } as const;

export const webhookCreateSchema = {
  title: 'Webhook registration',
  type: 'object',
  properties: {
    url: {
      type: 'string',
      maxLength: 2048,
      pattern: '^[Hh][Tt][Tt][Pp][Ss]?://',
      description: 'http(s) URL receiving POSTs. Refused when it resolves to a loopback, private or link-local address.',
    },
    events: states('States that trigger a delivery (default: all five).', 1),
    description: { type: 'string', maxLength: 200, pattern: PLAIN_TEXT },
  },
  required: ['url'],
  additionalProperties: false,
} as const;

export const webhookSchema = {
  title: 'Webhook',
  type: 'object',
  properties: {
    id: hookId,
    url: { type: 'string' },
    events: { type: 'array', items: { type: 'string', enum: EVENT_STATES } },
    description: { type: ['string', 'null'] },
    created_at: timestamp,
  },
  required: ['id', 'url', 'events', 'description', 'created_at'],
  additionalProperties: false,
} as const;

export const webhookCreatedSchema = {
  title: 'New webhook',
  description: 'The signing `secret` (Standard Webhooks format) is in this answer only; store it now.',
  type: 'object',
  properties: { ...webhookSchema.properties, secret: { type: 'string', pattern: '^whsec_[A-Za-z0-9+/]+={0,2}$' } },
  required: [...webhookSchema.required, 'secret'],
  additionalProperties: false,
} as const;

export const webhookListSchema = {
  title: 'Webhooks',
  type: 'object',
  properties: { webhooks: { type: 'array', items: webhookSchema } },
  required: ['webhooks'],
  additionalProperties: false,
} as const;

export const deliveryAttemptSchema = {
  title: 'Delivery attempt',
  type: 'object',
  properties: {
    at: timestamp,
    duration_ms: { type: 'integer', minimum: 0 },
    ok: { type: 'boolean' },
    status_code: { type: ['integer', 'null'], description: 'The receiver\'s HTTP status, or null when none came back.' },
    error: { type: ['string', 'null'], description: 'Why the attempt failed (timeout, refused address, status).' },
  },
  required: ['at', 'duration_ms', 'ok', 'status_code', 'error'],
  additionalProperties: false,
} as const;

export const deliverySchema = {
  title: 'Delivery',
  type: 'object',
  properties: {
    event_id: { type: 'string', description: 'The webhook-id header: `<job id>-<seq>`, the same on every attempt.' },
    job_id: { type: 'string' },
    type: { type: 'string', description: 'job.queued, job.running, job.done, job.error or job.cancelled.' },
    status: { type: 'string', enum: ['pending', 'delivered', 'failed', 'dropped'] },
    created_at: timestamp,
    next_attempt_at: { type: ['string', 'null'], description: 'When a pending delivery is tried next.' },
    attempts: { type: 'array', items: deliveryAttemptSchema },
  },
  required: ['event_id', 'job_id', 'type', 'status', 'created_at', 'next_attempt_at', 'attempts'],
  additionalProperties: false,
} as const;

export const deliveryListSchema = {
  title: 'Deliveries',
  description: 'Deliveries still being retried first, then finished ones by job id and state change.',
  type: 'object',
  properties: {
    deliveries: { type: 'array', items: deliverySchema },
    next_cursor: { type: ['string', 'null'], description: 'Pass as `cursor` for more finished deliveries.' },
  },
  required: ['deliveries', 'next_cursor'],
  additionalProperties: false,
} as const;

export const deliveryListQuerySchema = {
  title: 'Delivery list query',
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    cursor: { type: 'string', pattern: '^[0-9a-f]{24}-[0-9]{1,9}$' },
  },
  additionalProperties: false,
} as const;

/** One state change as Server-Sent Events (`data:`) and webhooks (`data` of the payload) carry it. */
export const jobEventSchema = {
  title: 'Job event',
  type: 'object',
  properties: {
    event_id: { type: 'string', description: '`<job id>-<seq>`: stable, so receivers can drop duplicates.' },
    job_id: { type: 'string' },
    backend: { type: 'string' },
    status: { type: 'string', enum: EVENT_STATES },
    seq: { type: 'integer', minimum: 1, description: 'Counts the job\'s state changes.' },
    attempts: { type: 'integer', minimum: 0 },
    at: timestamp,
    detail: { type: 'string', description: 'What this change added to the job\'s history.' },
    error_message: { type: ['string', 'null'] },
    requeued: { type: 'boolean', description: 'QUEUED again after a lost lease or a stopping spooler.' },
    url: { type: 'string', description: 'The job on the native API.' },
  },
  required: ['event_id', 'job_id', 'backend', 'status', 'seq', 'attempts', 'at', 'detail', 'error_message', 'requeued', 'url'],
  additionalProperties: false,
} as const;

/** The body of every webhook delivery, as the Standard Webhooks specification recommends. */
export const webhookPayloadSchema = {
  title: 'Webhook payload',
  type: 'object',
  properties: { type: { type: 'string' }, timestamp, data: jobEventSchema },
  required: ['type', 'timestamp', 'data'],
  additionalProperties: false,
} as const;

export type NotifyChoices = FromSchema<typeof notifySchema>;
export type EventState = (typeof EVENT_STATES)[number];
export type WebhookCreate = FromSchema<typeof webhookCreateSchema>;
export type WebhookView = FromSchema<typeof webhookSchema>;
export type WebhookCreated = FromSchema<typeof webhookCreatedSchema>;
export type DeliveryView = FromSchema<typeof deliverySchema>;
export type DeliveryList = FromSchema<typeof deliveryListSchema>;
export type DeliveryListQuery = FromSchema<typeof deliveryListQuerySchema>;
export type JobEventView = FromSchema<typeof jobEventSchema>;
export type WebhookPayload = FromSchema<typeof webhookPayloadSchema>;
