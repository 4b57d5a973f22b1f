// Wire formats of the admin endpoints (/api/v1/admin/…) and of job validation (/api/v1/backends/{name}/validate),
// which the web interface uses: request bodies the server validates and the answers it sends.
import type { FromSchema } from 'json-schema-to-ts';
import { SHARE_WEIGHT, USERNAME_PATTERN, userSchema } from './accounts.ts';
import { unreachableProviders } from './native.ts';

const timestamp = { type: 'string', description: 'ISO 8601 date-time.' } as const;

export const userChangeSchema = {
  title: 'User change',
  description: 'What an admin may change about another user.',
  type: 'object',
  properties: {
    disabled: { type: 'boolean', description: 'A disabled user\'s credentials all answer 401.' },
    role: { type: 'string', enum: ['user', 'admin'] },
    max_priority: { type: 'integer', minimum: 0, maximum: 9, description: 'Highest job priority the user may ask for.' },
    weight: SHARE_WEIGHT,
    email_verified: { type: 'boolean', const: true, description: 'Vouch for the user\'s e-mail address: job mails go to it without the user confirming it.' },
  },
  minProperties: 1,
  additionalProperties: false,
} as const;

export const userPageQuerySchema = {
  title: 'User page query',
  type: 'object',
  properties: {
    after: { type: 'string', pattern: USERNAME_PATTERN, description: 'The last username of the previous page.' },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 100 },
  },
  additionalProperties: false,
} as const;

export const userPageSchema = {
  title: 'User page',
  type: 'object',
  properties: {
    users: { type: 'array', items: userSchema },
    next_after: { type: ['string', 'null'], description: 'Pass as `after` for the next page; null at the end.' },
  },
  required: ['users', 'next_after'],
  additionalProperties: false,
} as const;

export const providerSchema = {
  title: 'Storage provider',
  type: 'object',
  properties: {
    name: { type: 'string' },
    type: { type: 'string', description: 'local, s3, mongodb or dropbox.' },
    description: { type: 'string' },
    active: { type: 'boolean', description: 'The backends of an inactive provider are not listed.' },
    primary: { type: 'boolean', description: 'The storage this server runs on.' },
  },
  required: ['name', 'type', 'description', 'active', 'primary'],
  additionalProperties: false,
} as const;

export const providerListSchema = {
  title: 'Storage provider list',
  type: 'object',
  properties: { providers: { type: 'array', items: providerSchema } },
  required: ['providers'],
  additionalProperties: false,
} as const;

export const providerTestSchema = {
  title: 'Storage provider test',
  type: 'object',
  properties: {
    name: { type: 'string' },
    ok: { type: 'boolean' },
    latency_ms: { type: 'integer', minimum: 0, description: 'The whole probe: create, read, compare-and-swap, list, move and delete of a document.' },
    message: { type: 'string' },
  },
  required: ['name', 'ok', 'latency_ms', 'message'],
  additionalProperties: false,
} as const;

export const spoolerListSchema = {
  title: 'Spooler heartbeats',
  type: 'object',
  properties: {
    backends: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          backend: { type: 'string' },
          operational: { type: 'boolean' },
          spoolers: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                host: { type: 'string' },
                pid: { type: 'integer' },
                last_heartbeat: timestamp,
                age_seconds: { type: 'number', minimum: 0 },
                current_job: { type: ['string', 'null'] },
              },
              required: ['id', 'host', 'pid', 'last_heartbeat', 'age_seconds', 'current_job'],
              additionalProperties: false,
            },
          },
        },
        required: ['backend', 'operational', 'spoolers'],
        additionalProperties: false,
      },
    },
    unreachable_providers: unreachableProviders(
      'Registered storage providers that could not be read just now, by name: their backends and spoolers are missing from this list until ' +
        'they answer. Empty when every provider could be read.',
    ),
  },
  required: ['backends', 'unreachable_providers'],
  additionalProperties: false,
} as const;

export const jobValidationSchema = {
  title: 'Job validation',
  description: 'What submitting this payload would be told; valid is true when issues is empty.',
  type: 'object',
  properties: {
    valid: { type: 'boolean' },
    issues: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'JSON pointer into the payload, e.g. /experiment_0/instructions/2/2/0.' },
          message: { type: 'string', description: 'Names the experiment, the instruction and the rule.' },
        },
        required: ['path', 'message'],
        additionalProperties: false,
      },
    },
  },
  required: ['valid', 'issues'],
  additionalProperties: false,
} as const;

export type UserChange = FromSchema<typeof userChangeSchema>;
export type UserPageQuery = FromSchema<typeof userPageQuerySchema>;
export type ProviderView = FromSchema<typeof providerSchema>;
export type SpoolerList = FromSchema<typeof spoolerListSchema>;
export type JobValidation = FromSchema<typeof jobValidationSchema>;
