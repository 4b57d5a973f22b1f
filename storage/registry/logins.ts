// The login document of each provider type (qlued's field names where qlued has them), its JSON Schema, which
// fields are secret, and how a login becomes a ProviderSpec the factory can open.
import { Ajv } from 'ajv';
import { isAbsolute } from 'node:path';
import { InvalidKeyError } from '../../schemas/errors.ts';
import type { ProviderSpec } from '../factory.ts';

const PROVIDER_TYPES = ['local', 'mongodb', 's3', 'dropbox'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

const text = { type: 'string', minLength: 1, maxLength: 2048 } as const;

const loginSchemas: Record<ProviderType, Record<string, unknown>> = {
  local: {
    type: 'object',
    properties: { base_path: text, fsync: { type: 'boolean' } },
    required: ['base_path'],
    additionalProperties: false,
  },
  mongodb: {
    type: 'object',
    properties: {
      mongodb_database_url: text,
      mongodb_username: text,
      mongodb_password: text,
      database: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
    },
    required: ['mongodb_database_url'],
    additionalProperties: false,
  },
  s3: {
    type: 'object',
    properties: {
      endpoint_url: { type: 'string', pattern: '^https?://', maxLength: 2048 },
      region: text,
      bucket: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' },
      prefix: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' },
      access_key_id: text,
      secret_access_key: text,
      keep_alive: { type: 'boolean' },
    },
    required: ['region', 'bucket', 'access_key_id', 'secret_access_key'],
    additionalProperties: false,
  },
  dropbox: {
    type: 'object',
    properties: {
      app_key: text,
      app_secret: text,
      refresh_token: text,
      access_token: text,
      base_path: { type: 'string', pattern: '^/[^\\u0000]*$', maxLength: 512 },
      api_base_url: { type: 'string', pattern: '^https?://', maxLength: 2048 },
    },
    anyOf: [{ required: ['app_key', 'refresh_token'] }, { required: ['access_token'] }],
    additionalProperties: false,
  },
};

/** Fields never printed or logged; `show` replaces them with "***". */
const SECRET_FIELDS = new Set(['mongodb_password', 'secret_access_key', 'app_secret', 'refresh_token', 'access_token']);

const ajv = new Ajv({ allErrors: true });
const validators = Object.fromEntries(PROVIDER_TYPES.map((type) => [type, ajv.compile(loginSchemas[type])]));

export function isProviderType(value: string): value is ProviderType {
  return (PROVIDER_TYPES as readonly string[]).includes(value);
}

/** Throws InvalidKeyError naming every problem of a login for the given type. */
export function assertLogin(type: ProviderType, login: unknown): asserts login is Record<string, unknown> {
  const validate = validators[type]!;
  if (!validate(login)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || 'login'} ${e.message}`).join('; ');
    throw new InvalidKeyError(`Invalid ${type} login: ${problems}`);
  }
  if (type === 'local' && !isAbsolute(String((login as { base_path: string }).base_path))) {
    throw new InvalidKeyError('Invalid local login: base_path must be an absolute path');
  }
}

export function redact(login: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(login).map(([key, value]) => [key, SECRET_FIELDS.has(key) ? '***' : withoutUrlPassword(value)]));
}

/** A URL's password (`mongodb://user:PASSWORD@host`) is a secret whatever field the URL is in. */
function withoutUrlPassword(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, '$1***@') : value;
}

function mongoUri(login: Record<string, string>, credential: (value: string) => string = (value) => value): string {
  const url = login.mongodb_database_url!;
  const withScheme = /^mongodb(\+srv)?:\/\//.test(url) ? url : `mongodb+srv://${url}`;
  if (!login.mongodb_username) return withScheme;
  const credentials = `${encodeURIComponent(credential(login.mongodb_username))}:${encodeURIComponent(credential(login.mongodb_password ?? ''))}@`;
  return withScheme.replace(/^(mongodb(\+srv)?:\/\/)/, `$1${credentials}`);
}

/**
 * A username or password as pymongo reads it from the URI sqooler's MongodbCore pastes it into unchanged
 * (`mongodb+srv://{user}:{password}@{url}`): with unquote_plus, so a qlued login holds special characters
 * percent-encoded (as Atlas asks) and a `+` stands for a space. pymongo refuses a `%` that starts no escape; that one
 * is taken as it is.
 */
function asPymongoReads(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/** The URI of a sqooler-layout MongoDB provider: the server and credentials sqooler's spoolers and qlued connect with. */
export function sqoolerMongoUri(login: Record<string, unknown>): string {
  return mongoUri(login as Record<string, string>, asPymongoReads);
}

export function loginToSpec(type: ProviderType, login: Record<string, unknown>): ProviderSpec {
  const l = login as Record<string, string>;
  switch (type) {
    case 'local':
      return { type, root: l.base_path!, ...(typeof login.fsync === 'boolean' ? { fsync: login.fsync } : {}) };
    case 'mongodb':
      return { type, uri: mongoUri(l), database: l.database ?? 'qspool' };
    case 's3':
      return {
        type,
        region: l.region!,
        bucket: l.bucket!,
        accessKeyId: l.access_key_id!,
        secretAccessKey: l.secret_access_key!,
        ...(l.endpoint_url ? { endpoint: l.endpoint_url } : {}),
        ...(l.prefix ? { prefix: l.prefix } : {}),
        ...(typeof login.keep_alive === 'boolean' ? { keepAlive: login.keep_alive } : {}),
      };
    case 'dropbox':
      return {
        type,
        ...(l.app_key ? { appKey: l.app_key } : {}),
        ...(l.app_secret ? { appSecret: l.app_secret } : {}),
        ...(l.refresh_token ? { refreshToken: l.refresh_token } : {}),
        ...(l.access_token ? { accessToken: l.access_token } : {}),
        ...(l.base_path ? { basePath: l.base_path } : {}),
        ...(l.api_base_url ? { apiBaseUrl: l.api_base_url } : {}),
      };
  }
}
