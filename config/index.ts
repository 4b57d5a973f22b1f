// Configuration from the environment, validated once, with defaults that run out of the box.
import { Ajv } from 'ajv';
import { resolve } from 'node:path';
import type { FromSchema } from 'json-schema-to-ts';

const configSchema = {
  type: 'object',
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 8000 },
    HOST: { type: 'string', default: '127.0.0.1' },
    QSPOOL_BASE_URL: { type: 'string', default: '' },
    QSPOOL_DATA_DIR: { type: 'string', minLength: 1, default: './data' },
    QSPOOL_FSYNC: { type: 'boolean', default: true },
    QSPOOL_PROVIDER_NAME: { type: 'string', pattern: '^[a-z0-9]+$', default: 'alqor' },
    QSPOOL_BACKENDS: { type: 'string', pattern: '^[a-z0-9]+(,[a-z0-9]+)*$', default: 'singlequdit,qubit' },
    QSPOOL_LEASE_MS: { type: 'integer', minimum: 100, maximum: 3_600_000, default: 30_000 },
    QSPOOL_MAX_ATTEMPTS: { type: 'integer', minimum: 1, maximum: 100, default: 3 },
    QSPOOL_POLL_MS: { type: 'integer', minimum: 1, maximum: 60_000, default: 200 },
    QSPOOL_HEARTBEAT_TIMEOUT_S: { type: 'integer', minimum: 1, default: 300 },
    QSPOOL_MAX_BODY_BYTES: { type: 'integer', minimum: 1024, default: 2_621_440 },
    QSPOOL_MAX_JSON_DEPTH: { type: 'integer', minimum: 4, maximum: 1000, default: 32 },
    QSPOOL_MAX_INSTRUCTIONS: { type: 'integer', minimum: 1, default: 10_000 },
    QSPOOL_MAX_HILBERT_DIMENSION: { type: 'integer', minimum: 2, default: 4_194_304 },
    LOG_LEVEL: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
  },
  // Every key has a default, which AJV fills in before it checks `required`.
  required: [
    'PORT', 'HOST', 'QSPOOL_BASE_URL', 'QSPOOL_DATA_DIR', 'QSPOOL_FSYNC', 'QSPOOL_PROVIDER_NAME', 'QSPOOL_BACKENDS',
    'QSPOOL_LEASE_MS', 'QSPOOL_MAX_ATTEMPTS', 'QSPOOL_POLL_MS', 'QSPOOL_HEARTBEAT_TIMEOUT_S', 'QSPOOL_MAX_BODY_BYTES',
    'QSPOOL_MAX_JSON_DEPTH', 'QSPOOL_MAX_INSTRUCTIONS', 'QSPOOL_MAX_HILBERT_DIMENSION', 'LOG_LEVEL',
  ],
  additionalProperties: true,
} as const;

export type Config = FromSchema<typeof configSchema>;

const validate = new Ajv({ useDefaults: true, coerceTypes: true, allErrors: true }).compile(configSchema);

export class ConfigError extends Error {}

/** Reads and validates configuration; unknown variables are ignored, invalid ones are reported all at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, unknown> = {}): Config {
  const known = Object.keys(configSchema.properties);
  const values: Record<string, unknown> = {};
  for (const key of known) if (env[key] !== undefined && env[key] !== '') values[key] = env[key];
  Object.assign(values, overrides);
  if (!validate(values)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath.slice(1)} ${e.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const config = values as Config;
  config.QSPOOL_DATA_DIR = resolve(config.QSPOOL_DATA_DIR);
  return config;
}

export function backendList(config: Config): string[] {
  return config.QSPOOL_BACKENDS.split(',');
}
