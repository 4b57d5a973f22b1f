// Wire formats of the native API's account endpoints (/api/v1/users, /auth/token, /tokens): request bodies the
// server validates and the answers it sends. The OpenAPI document embeds these very objects.
import type { FromSchema } from 'json-schema-to-ts';
import { notifySchema } from './notifications.ts';
import { PLAIN_TEXT } from './text.ts';

/** Usernames double as storage namespace segments (the per-owner job index), hence the narrow alphabet. */
export const USERNAME_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$';
// No spaces, control characters or the punctuation that separates addresses in a mail header (legal only in quoted
// local parts, which nobody uses): one field holds exactly one address.
const EMAIL_CHAR = '[^\\s@\\p{Cc},;:<>()\\[\\]\\\\"]';
const EMAIL_PATTERN = `^${EMAIL_CHAR}{1,64}@${EMAIL_CHAR}+\\.${EMAIL_CHAR}+$`;
/** Patterns are Unicode (AJV's default): a lone UTF-16 surrogate is a code point of category Cs. */
const NO_LONE_SURROGATE = '^\\P{Cs}*$';

const username = { type: 'string', pattern: USERNAME_PATTERN, description: 'Lower-case letters, digits, "_" and "-"; 1–64 characters.' } as const;
const email = { type: 'string', pattern: EMAIL_PATTERN, maxLength: 254 } as const;
// A lone surrogate has no UTF-8 form: it would be hashed as U+FFFD, so two different passwords would match.
const password = { type: 'string', minLength: 8, maxLength: 256, pattern: NO_LONE_SURROGATE, description: 'At least 8 characters.' } as const;
const role = { type: 'string', enum: ['user', 'admin'] } as const;
const timestamp = { type: 'string', description: 'ISO 8601 date-time.' } as const;
/** A user's fair share of a priority band: with jobs of several users waiting, each is served in proportion to it. */
export const SHARE_WEIGHT = { type: 'number', minimum: 0.01, maximum: 100, description: 'Fair-share weight (default 1): users with waiting jobs at one priority are served in proportion to their weights.' } as const;

export const registrationSchema = {
  title: 'Registration',
  type: 'object',
  properties: {
    username,
    email,
    password,
    role: { ...role, description: 'Only admins may set it; everyone else registers as "user".' },
  },
  required: ['username', 'email', 'password'],
  additionalProperties: false,
} as const;

export const loginSchema = {
  title: 'Login',
  type: 'object',
  properties: { username: { type: 'string', maxLength: 64 }, password: { type: 'string', maxLength: 256 } },
  required: ['username', 'password'],
  additionalProperties: false,
} as const;

export const accessTokenSchema = {
  title: 'Access token',
  description: 'A JWT (HS256) to send as `Authorization: Bearer <access_token>` until it expires.',
  type: 'object',
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string', const: 'Bearer' },
    expires_in: { type: 'integer', description: 'Seconds until the token expires.' },
  },
  required: ['access_token', 'token_type', 'expires_in'],
  additionalProperties: false,
} as const;

export const userSchema = {
  title: 'User',
  type: 'object',
  properties: {
    username,
    email: { type: ['string', 'null'] },
    email_verified: { type: 'boolean', description: 'Whether job mails go to `email`: false until the user confirms an address they set themselves.' },
    display_name: { type: ['string', 'null'] },
    notify: notifySchema,
    role,
    disabled: { type: 'boolean' },
    deleting: {
      type: 'boolean',
      const: true,
      description: 'Present while the user is being deleted (an interrupted deletion, or running jobs still stopping): DELETE /api/v1/admin/users/{username} again finishes it.',
    },
    max_priority: { type: 'integer', minimum: 0, maximum: 9, description: 'Highest job priority this user may ask for.' },
    weight: SHARE_WEIGHT,
    created_at: timestamp,
    updated_at: timestamp,
  },
  required: ['username', 'email', 'email_verified', 'display_name', 'role', 'disabled', 'max_priority', 'created_at', 'updated_at'],
  additionalProperties: false,
} as const;

export const profileUpdateSchema = {
  title: 'Profile update',
  type: 'object',
  properties: {
    email,
    // Shown to others (the admin page).
    display_name: { type: 'string', maxLength: 100, pattern: PLAIN_TEXT },
    notify: notifySchema,
  },
  minProperties: 1,
  additionalProperties: false,
} as const;

export const emailConfirmationSchema = {
  title: 'E-mail confirmation',
  type: 'object',
  properties: { code: { type: 'string', pattern: '^[0-9a-f]{32}$', description: 'The code mailed to the address (also in the mail\'s link).' } },
  required: ['code'],
  additionalProperties: false,
} as const;

export const emailCheckSentSchema = {
  title: 'E-mail check sent',
  type: 'object',
  properties: { sent_to: { type: 'string' } },
  required: ['sent_to'],
  additionalProperties: false,
} as const;

export const passwordChangeSchema = {
  title: 'Password change',
  description: 'Every JWT issued before the change stops working; API tokens stay valid.',
  type: 'object',
  properties: { old_password: { type: 'string', maxLength: 256 }, new_password: password },
  required: ['old_password', 'new_password'],
  additionalProperties: false,
} as const;

const tokenName = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,63}$', description: 'A label, e.g. "laptop".' } as const;
const tokenId = { type: 'string', pattern: '^[0-9a-f]{12}$' } as const;

export const tokenCreateSchema = {
  title: 'API token request',
  type: 'object',
  properties: { name: tokenName },
  required: ['name'],
  additionalProperties: false,
} as const;

export const tokenInfoSchema = {
  title: 'API token',
  description: 'An API token without its secret.',
  type: 'object',
  properties: { id: tokenId, name: { type: 'string' }, created_at: timestamp, revoked_at: { type: ['string', 'null'] } },
  required: ['id', 'name', 'created_at', 'revoked_at'],
  additionalProperties: false,
} as const;

export const tokenCreatedSchema = {
  title: 'New API token',
  description: 'The secret `token` (32 hex characters, accepted by the qlued v2/v3 routes too) is shown only once.',
  type: 'object',
  properties: { ...tokenInfoSchema.properties, token: { type: 'string', pattern: '^[0-9a-f]{32}$' } },
  required: [...tokenInfoSchema.required, 'token'],
  additionalProperties: false,
} as const;

export const tokenListSchema = {
  title: 'API tokens',
  type: 'object',
  properties: { tokens: { type: 'array', items: tokenInfoSchema } },
  required: ['tokens'],
  additionalProperties: false,
} as const;

export type Registration = FromSchema<typeof registrationSchema>;
export type Login = FromSchema<typeof loginSchema>;
export type AccessToken = FromSchema<typeof accessTokenSchema>;
export type UserView = FromSchema<typeof userSchema>;
export type EmailConfirmation = FromSchema<typeof emailConfirmationSchema>;
export type ProfileUpdate = FromSchema<typeof profileUpdateSchema>;
export type PasswordChange = FromSchema<typeof passwordChangeSchema>;
export type TokenCreate = FromSchema<typeof tokenCreateSchema>;
export type TokenInfo = FromSchema<typeof tokenInfoSchema>;
export type TokenCreated = FromSchema<typeof tokenCreatedSchema>;
