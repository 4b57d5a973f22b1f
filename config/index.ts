// Configuration from the environment, validated once, with defaults that run out of the box.
import { Ajv, type ErrorObject } from 'ajv';
import { resolve } from 'node:path';
import type { FromSchema } from 'json-schema-to-ts';
import type { RetryPolicy } from '../schemas/retry-policy.ts';

const PER_BACKEND = /^QSPOOL_(RUNTIME|SIGNING_KEY)_[A-Z0-9]+$/;
/** Work bounds a backend may set for itself (QSPOOL_JOB_TIME_LIMIT_S_MULTIQUDIT=600) over the global default. */
const PER_BACKEND_BOUND = /^QSPOOL_(JOB_TIME_LIMIT_S|MAX_SAMPLES|MAX_RESULT_BYTES)_[A-Z0-9]+$/;
/** A backend's own retryable exit codes (QSPOOL_RETRY_EXIT_CODES_QUBIT=75): each lab's runtime has its own. */
const PER_BACKEND_EXIT_CODES = /^QSPOOL_RETRY_EXIT_CODES_[A-Z0-9]+$/;
const EXIT_CODES = '^(|-?[0-9]{1,3}(,-?[0-9]{1,3})*)$';
/** A signing key's id: its backend and the base64url SHA-256 thumbprint of its public key (spooler/signing/keys.ts). */
const KEY_ID = '[a-z0-9]+-[A-Za-z0-9_-]{43}';
const EXIT_CODES_TEXT = 'exit codes separated by commas (75,111), or empty';
/** Reverse proxies in a row that QSPOOL_TRUST_PROXY may name: more is a typo, not a deployment. */
const MAX_PROXY_HOPS = 10;
export type BackendBound = 'QSPOOL_JOB_TIME_LIMIT_S' | 'QSPOOL_MAX_SAMPLES' | 'QSPOOL_MAX_RESULT_BYTES';
/** The range of each work bound, for the global variable and a backend's own alike. */
const BOUND_RANGE = {
  QSPOOL_MAX_SAMPLES: { type: 'integer', minimum: 1 },
  // 128 MiB: a result is one JSON text (and an external runtime may print twice the bound), while a V8 string ends
  // at 2^29 − 24 characters; a larger bound let through results that could not be written.
  QSPOOL_MAX_RESULT_BYTES: { type: 'integer', minimum: 1024, maximum: 134_217_728 },
  // 7 days: a longer time limit would overflow the spooler's timer (Node fires a timeout over 2^31 − 1 ms at once).
  QSPOOL_JOB_TIME_LIMIT_S: { type: 'integer', minimum: 1, maximum: 604_800 },
} as const;

const configSchema = {
  type: 'object',
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 8000 },
    HOST: { type: 'string', default: '127.0.0.1' },
    // The address clients reach the server at (behind a proxy), for links: http(s), without a path's trailing slash.
    QSPOOL_BASE_URL: { type: 'string', pattern: '^(|https?://[^\\s/?#]+(/[^\\s?#]*)?)$', description: 'an http:// or https:// URL without query or fragment, or empty', default: '' },
    QSPOOL_DATA_DIR: { type: 'string', minLength: 1, default: './data' },
    // A JSON file naming an S3 or MongoDB store for the server's own documents instead of the local store in
    // QSPOOL_DATA_DIR, so replicas on several hosts share one store (server/services/primary-store.ts).
    QSPOOL_STORE_FILE: { type: 'string', default: '' },
    QSPOOL_FSYNC: { type: 'boolean', default: true },
    // Server processes `qspool serve` runs on one port (a primary forks them and restarts any that dies).
    QSPOOL_WORKERS: { type: 'integer', minimum: 1, maximum: 64, default: 1 },
    QSPOOL_PROVIDER_NAME: { type: 'string', pattern: '^[a-z0-9]+$', description: 'lower-case letters and digits', default: 'alqor' },
    QSPOOL_BACKENDS: { type: 'string', pattern: '^[a-z0-9]+(,[a-z0-9]+)*$', description: 'backend names separated by commas', default: 'singlequdit,multiqudit,fermions,rydberg,qubit' },
    QSPOOL_QUBIT_MODE: { type: 'string', enum: ['simulation', 'echo', 'verbatim'], default: 'simulation' },
    // External runtimes (QSPOOL_RUNTIME_<BACKEND>, see patternProperties) are killed this long after they start.
    QSPOOL_RUNTIME_TIMEOUT_MS: { type: 'integer', minimum: 100, default: 600_000 },
    // Backends whose configs and results are signed: all, none, or a comma-separated list.
    QSPOOL_SIGN: { type: 'string', pattern: '^(all|none|[a-z0-9]+(,[a-z0-9]+)*)$', description: 'all, none or backend names separated by commas', default: 'all' },
    // The signing keys whose signatures verify (key ids, `<backend>-<RFC 7638 thumbprint>`); empty: any key published
    // under keys/, which anyone who can write the store can publish.
    QSPOOL_TRUSTED_SIGNING_KEYS: {
      type: 'string',
      pattern: `^(|${KEY_ID}(,${KEY_ID})*)$`,
      description: 'signing key ids (<backend>-<43-character thumbprint>) separated by commas, or empty',
      default: '',
    },
    QSPOOL_LEASE_MS: { type: 'integer', minimum: 100, maximum: 3_600_000, default: 30_000 },
    // Attempts a job gets in all: a retryable failure of the last one dead-letters it (see the retry settings below).
    QSPOOL_MAX_ATTEMPTS: { type: 'integer', minimum: 1, maximum: 100, default: 3 },
    // Retries (published in each backend's config as `retry`): attempt n + 1 waits BASE × FACTOR^(n − 1) ms, at most
    // MAX. Retried are runtime exit codes listed in EXIT_CODES, time-limit and runtime-timeout kills when TIMEOUTS is
    // on, and jobs whose spooler died (lease expiry) when LEASE_EXPIRY is on. Invalid jobs never are.
    QSPOOL_RETRY_BASE_MS: { type: 'integer', minimum: 0, maximum: 86_400_000, default: 1000 },
    QSPOOL_RETRY_FACTOR: { type: 'number', minimum: 1, maximum: 100, default: 2 },
    QSPOOL_RETRY_MAX_MS: { type: 'integer', minimum: 0, maximum: 86_400_000, default: 300_000 },
    QSPOOL_RETRY_EXIT_CODES: { type: 'string', pattern: EXIT_CODES, description: EXIT_CODES_TEXT, default: '' },
    QSPOOL_RETRY_TIMEOUTS: { type: 'boolean', default: false },
    QSPOOL_RETRY_LEASE_EXPIRY: { type: 'boolean', default: true },
    // How long a queued job waits at the head of its priority band to count one priority level higher.
    QSPOOL_PRIORITY_AGING_MS: { type: 'integer', minimum: 1, maximum: 86_400_000, default: 60_000 },
    QSPOOL_POLL_MS: { type: 'integer', minimum: 1, maximum: 60_000, default: 200 },
    QSPOOL_HEARTBEAT_TIMEOUT_S: { type: 'integer', minimum: 1, default: 300 },
    // How long a stopping spooler lets its current job run before it hands the job back to the queue.
    QSPOOL_SHUTDOWN_GRACE_S: { type: 'integer', minimum: 0, maximum: 3600, default: 10 },
    // `qspool spooler` serves its own /metrics on this port of 127.0.0.1 when it is set (0 picks a free one); off unset.
    QSPOOL_SPOOLER_METRICS_PORT: { type: 'integer', minimum: 0, maximum: 65535 },
    QSPOOL_MAX_BODY_BYTES: { type: 'integer', minimum: 1024, default: 2_621_440 },
    // Connections one client address may hold open on one server process (0: no cap). A request is only counted by
    // the rate limits once its headers are in, so without this one client could open sockets until the process has no
    // file descriptors left and every other client is refused. Behind a reverse proxy every connection comes from it.
    QSPOOL_MAX_CONNECTIONS_PER_ADDRESS: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 256 },
    // How long a client may take to send a request's headers, and the whole request with its body (Node's own
    // defaults, 60 s and 300 s, let a trickling client hold a connection for minutes).
    QSPOOL_HEADERS_TIMEOUT_MS: { type: 'integer', minimum: 1000, maximum: 600_000, default: 20_000 },
    QSPOOL_REQUEST_TIMEOUT_MS: { type: 'integer', minimum: 1000, maximum: 3_600_000, default: 120_000 },
    // Behind reverse proxies: client addresses (which rate limits and the connection cap count by) come from
    // X-Forwarded-For, the entry that the outermost of this many proxies in a row appended (a CDN, then nginx: 2).
    // 0 (false) when clients connect directly, since then a client could name any address there; true means 1.
    QSPOOL_TRUST_PROXY: { type: 'integer', minimum: 0, maximum: MAX_PROXY_HOPS, description: 'true, false, or how many proxies stand in front of the server', default: 0 },
    QSPOOL_MAX_JSON_DEPTH: { type: 'integer', minimum: 4, maximum: 1000, default: 32 },
    // Request bodies over 64 KiB one server process reads and handles at once; the next wait their turn. A large body
    // parses into up to ~50 times its size, so this bounds the memory bodies can take (about 0.5 GB at 4).
    QSPOOL_MAX_LARGE_BODIES: { type: 'integer', minimum: 1, maximum: 1000, default: 4 },
    QSPOOL_MAX_INSTRUCTIONS: { type: 'integer', minimum: 1, default: 10_000 },
    QSPOOL_MAX_HILBERT_DIMENSION: { type: 'integer', minimum: 2, default: 4_194_304 },
    QSPOOL_MAX_EXPERIMENTS: { type: 'integer', minimum: 1, default: 1000 },
    QSPOOL_MAX_SHOTS: { type: 'integer', minimum: 1, default: 1_000_000 },
    QSPOOL_MAX_QUEUED_PER_USER: { type: 'integer', minimum: 1, default: 500 },
    // Work bounds each spooler publishes in its backend's config and the server checks at submission: shots summed
    // over a job's experiments, the result's estimated size (shots × (4 bytes per outcome, one per measure and at least
    // one per wire, + 2)), and the wall-clock run time.
    QSPOOL_MAX_SAMPLES: { ...BOUND_RANGE.QSPOOL_MAX_SAMPLES, default: 10_000_000 },
    QSPOOL_MAX_RESULT_BYTES: { ...BOUND_RANGE.QSPOOL_MAX_RESULT_BYTES, default: 67_108_864 },
    QSPOOL_JOB_TIME_LIMIT_S: { ...BOUND_RANGE.QSPOOL_JOB_TIME_LIMIT_S, default: 60 },
    // An invalid job's answer lists at most this many problems (and says how many there are).
    QSPOOL_MAX_PROBLEMS: { type: 'integer', minimum: 1, maximum: 1000, default: 20 },
    // Token bucket per credential (or client address): refill rate per second (0 turns limiting off) and burst size.
    QSPOOL_RATE_PER_SECOND: { type: 'number', minimum: 0, default: 20 },
    QSPOOL_RATE_BURST: { type: 'integer', minimum: 1, default: 100 },
    // Password checks and hashes (login, registration, password change) per minute, per client address and per
    // account: each costs scrypt's work (0 turns the budget off).
    QSPOOL_PASSWORD_ATTEMPTS_PER_MINUTE: { type: 'integer', minimum: 0, default: 20 },
    // Empty: a secret is generated on first start and kept in storage, so every server on that storage agrees.
    QSPOOL_JWT_SECRET: { type: 'string', pattern: '^(|.{32,})$', description: 'at least 32 characters, or empty', default: '' },
    QSPOOL_JWT_TTL_S: { type: 'integer', minimum: 60, maximum: 2_592_000, default: 3600 },
    // scrypt cost N = 2^this (memory 128·N·8 bytes: 32 MiB at 15); stored with each hash, so raising it is safe.
    QSPOOL_SCRYPT_LOG_N: { type: 'integer', minimum: 10, maximum: 20, default: 15 },
    QSPOOL_OPEN_REGISTRATION: { type: 'boolean', default: true },
    QSPOOL_USER_MAX_PRIORITY: { type: 'integer', minimum: 0, maximum: 9, default: 5 },
    QSPOOL_SECRET_KEY: { type: 'string', pattern: '^(|.{16,})$', description: 'at least 16 characters, or empty', default: '' },
    // One earlier QSPOOL_SECRET_KEY, the whole value (no list: keys may hold any character), that opens but never seals: kept while a rotation
    // re-seals what it sealed (README, Rotating the secret key).
    QSPOOL_SECRET_KEY_PREVIOUS: { type: 'string', pattern: '^(|.{16,})$', description: 'at least 16 characters, or empty', default: '' },
    LOG_LEVEL: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    // Notifications (server/notifications). Without an SMTP URL (smtp://user:pass@host:587) e-mail is off.
    QSPOOL_SMTP_URL: { type: 'string', pattern: '^(|smtps?://.+)$', description: 'an smtp:// or smtps:// URL, or empty', default: '' },
    QSPOOL_MAIL_FROM: { type: 'string', minLength: 3, description: 'at least 3 characters', default: 'qspool <qspool@localhost>' },
    // Webhook URLs that resolve to loopback, private or link-local addresses are refused unless this is on.
    QSPOOL_WEBHOOK_ALLOW_PRIVATE: { type: 'boolean', default: false },
    QSPOOL_WEBHOOK_TIMEOUT_MS: { type: 'integer', minimum: 100, maximum: 120_000, default: 10_000 },
    // Failed deliveries (mail and webhooks) are retried with exponential backoff from this delay, with jitter,
    // capped at QSPOOL_NOTIFY_MAX_BACKOFF_MS, until QSPOOL_NOTIFY_RETRY_MS after the first attempt.
    QSPOOL_NOTIFY_BACKOFF_MS: { type: 'integer', minimum: 1, default: 5000 },
    QSPOOL_NOTIFY_MAX_BACKOFF_MS: { type: 'integer', minimum: 1, default: 3_600_000 },
    QSPOOL_NOTIFY_RETRY_MS: { type: 'integer', minimum: 0, default: 86_400_000 },
    // The dispatcher lease among servers sharing storage, and how often the dispatcher and event streams poll
    // the outbox when the storage cannot wake them.
    QSPOOL_NOTIFY_LEASE_MS: { type: 'integer', minimum: 200, maximum: 600_000, default: 15_000 },
    QSPOOL_NOTIFY_POLL_MS: { type: 'integer', minimum: 10, maximum: 60_000, default: 1000 },
    // How long an outbox event keyed by one process's clock may take to become visible to another (clock skew plus
    // write time); the dispatcher's cursor trails by this much.
    QSPOOL_NOTIFY_SETTLE_MS: { type: 'integer', minimum: 0, maximum: 600_000, default: 5000 },
    QSPOOL_EVENTS_RETENTION_S: { type: 'integer', minimum: 60, default: 604_800 },
    // Expired idempotency keys are removed by one server at a time (the notification dispatcher's): a run this often,
    // of at most this many storage reads, each run resuming where the last stopped.
    QSPOOL_IDEMPOTENCY_SWEEP_MS: { type: 'integer', minimum: 1000, maximum: 86_400_000, default: 60_000 },
    QSPOOL_IDEMPOTENCY_SWEEP_READS: { type: 'integer', minimum: 10, maximum: 1_000_000, default: 10_000 },
    // Finished notification deliveries (notify/log) are deleted this long after they finished, and beyond this many per
    // mailbox or webhook, by a sweep on the same server, schedule and read budget as the idempotency keys'.
    QSPOOL_NOTIFY_LOG_RETENTION_S: { type: 'integer', minimum: 3600, maximum: 31_536_000, default: 604_800 },
    QSPOOL_NOTIFY_LOG_MAX_PER_RECEIVER: { type: 'integer', minimum: 1, maximum: 10_000_000, default: 10_000 },
    QSPOOL_SSE_KEEPALIVE_MS: { type: 'integer', minimum: 100, maximum: 300_000, default: 15_000 },
    // Event streams one user may hold open on one server (the next answers 429), and how often an open stream
    // re-checks its credential: a revoked token, disabled user or changed password ends it within this time.
    QSPOOL_SSE_MAX_PER_USER: { type: 'integer', minimum: 1, maximum: 10_000, default: 10 },
    QSPOOL_SSE_AUTH_CHECK_MS: { type: 'integer', minimum: 50, maximum: 60_000, default: 500 },
  },
  // Every key has a default, which AJV fills in before it checks `required`.
  required: [
    'PORT', 'HOST', 'QSPOOL_BASE_URL', 'QSPOOL_DATA_DIR', 'QSPOOL_STORE_FILE', 'QSPOOL_FSYNC', 'QSPOOL_WORKERS', 'QSPOOL_PROVIDER_NAME', 'QSPOOL_BACKENDS',
    'QSPOOL_LEASE_MS', 'QSPOOL_MAX_ATTEMPTS', 'QSPOOL_RETRY_BASE_MS', 'QSPOOL_RETRY_FACTOR', 'QSPOOL_RETRY_MAX_MS',
    'QSPOOL_RETRY_EXIT_CODES', 'QSPOOL_RETRY_TIMEOUTS', 'QSPOOL_RETRY_LEASE_EXPIRY', 'QSPOOL_PRIORITY_AGING_MS', 'QSPOOL_POLL_MS', 'QSPOOL_HEARTBEAT_TIMEOUT_S', 'QSPOOL_SHUTDOWN_GRACE_S', 'QSPOOL_MAX_BODY_BYTES',
    'QSPOOL_MAX_CONNECTIONS_PER_ADDRESS', 'QSPOOL_TRUST_PROXY', 'QSPOOL_HEADERS_TIMEOUT_MS', 'QSPOOL_REQUEST_TIMEOUT_MS',
    'QSPOOL_MAX_JSON_DEPTH', 'QSPOOL_MAX_LARGE_BODIES', 'QSPOOL_MAX_INSTRUCTIONS', 'QSPOOL_MAX_HILBERT_DIMENSION', 'QSPOOL_MAX_EXPERIMENTS',
    'QSPOOL_MAX_SHOTS', 'QSPOOL_MAX_QUEUED_PER_USER', 'QSPOOL_MAX_SAMPLES', 'QSPOOL_MAX_RESULT_BYTES', 'QSPOOL_JOB_TIME_LIMIT_S',
    'QSPOOL_MAX_PROBLEMS', 'QSPOOL_RATE_PER_SECOND', 'QSPOOL_RATE_BURST', 'QSPOOL_PASSWORD_ATTEMPTS_PER_MINUTE', 'QSPOOL_JWT_SECRET',
    'QSPOOL_JWT_TTL_S', 'QSPOOL_SCRYPT_LOG_N', 'QSPOOL_OPEN_REGISTRATION', 'QSPOOL_USER_MAX_PRIORITY', 'LOG_LEVEL', 'QSPOOL_SECRET_KEY',
    'QSPOOL_SECRET_KEY_PREVIOUS',
    'QSPOOL_SMTP_URL', 'QSPOOL_MAIL_FROM', 'QSPOOL_WEBHOOK_ALLOW_PRIVATE', 'QSPOOL_WEBHOOK_TIMEOUT_MS', 'QSPOOL_NOTIFY_BACKOFF_MS',
    'QSPOOL_NOTIFY_MAX_BACKOFF_MS', 'QSPOOL_NOTIFY_RETRY_MS', 'QSPOOL_NOTIFY_LEASE_MS', 'QSPOOL_NOTIFY_POLL_MS',
    'QSPOOL_NOTIFY_SETTLE_MS', 'QSPOOL_EVENTS_RETENTION_S', 'QSPOOL_IDEMPOTENCY_SWEEP_MS', 'QSPOOL_IDEMPOTENCY_SWEEP_READS',
    'QSPOOL_NOTIFY_LOG_RETENTION_S', 'QSPOOL_NOTIFY_LOG_MAX_PER_RECEIVER', 'QSPOOL_SSE_KEEPALIVE_MS', 'QSPOOL_SSE_MAX_PER_USER',
    'QSPOOL_SSE_AUTH_CHECK_MS', 'QSPOOL_TRUSTED_SIGNING_KEYS',
  ],
  // Per-backend settings, named after the backend in capitals: the runtime command of QSPOOL_RUNTIME_QUBIT, the
  // signing key (PEM text or a PEM file) of QSPOOL_SIGNING_KEY_FERMIONS.
  patternProperties: {
    [PER_BACKEND.source]: { type: 'string', minLength: 1 },
    // A backend's own bound (QSPOOL_JOB_TIME_LIMIT_S_QUBIT) takes the range of the global one.
    '^QSPOOL_JOB_TIME_LIMIT_S_[A-Z0-9]+$': BOUND_RANGE.QSPOOL_JOB_TIME_LIMIT_S,
    '^QSPOOL_MAX_SAMPLES_[A-Z0-9]+$': BOUND_RANGE.QSPOOL_MAX_SAMPLES,
    '^QSPOOL_MAX_RESULT_BYTES_[A-Z0-9]+$': BOUND_RANGE.QSPOOL_MAX_RESULT_BYTES,
    [PER_BACKEND_EXIT_CODES.source]: { type: 'string', pattern: EXIT_CODES, description: EXIT_CODES_TEXT },
  },
  additionalProperties: true,
} as const;

export type Config = FromSchema<typeof configSchema>;

const validate = new Ajv({ useDefaults: true, coerceTypes: true, allErrors: true }).compile(configSchema);

/** What a spooler sets for each run of an external runtime (spooler/runtime), which passes it on to what it runs. */
export const RUNTIME_ENV = { jobId: 'QSPOOL_JOB_ID', backend: 'QSPOOL_BACKEND', runtimeId: 'QSPOOL_RUNTIME_ID', timeoutMs: 'QSPOOL_TIMEOUT_MS' } as const;

/**
 * Variables of their own that a per-backend pattern could also match (QSPOOL_RUNTIME_ID is QSPOOL_RUNTIME_<BACKEND>
 * in form): the settings above and the runtime's. None names a backend; read as one, it stopped start-up (a runtime
 * that starts qspool hands it QSPOOL_RUNTIME_ID) as a typo for a backend "id".
 */
export const OWN_VARIABLES: ReadonlySet<string> = new Set([...Object.keys(configSchema.properties), ...Object.values(RUNTIME_ENV)]);

const isPerBackend = (key: string) => !OWN_VARIABLES.has(key) && (PER_BACKEND.test(key) || PER_BACKEND_BOUND.test(key) || PER_BACKEND_EXIT_CODES.test(key));

export class ConfigError extends Error {}

/**
 * Numbers as people write them in decimal. AJV's coercion also took " " for 0 (PORT=" " listened on a random port),
 * "0x1F40" and "1e3", and "Infinity" for a number.
 */
const NUMBER_TEXT = { integer: /^\s*-?[0-9]+\s*$/, number: /^\s*-?([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*$/ } as const;

interface Rule {
  type: string;
  minimum?: number;
  maximum?: number;
  /**
   * What a `pattern` or `minLength` accepts, in words: the message names it instead of the regular expression. For a
   * number: what it means, or what it takes besides digits, named before its range.
   */
  description?: string;
}

/** A variable's schema: its own, or that of the per-backend pattern it matches. */
function ruleOf(key: string): Rule | undefined {
  const own = (configSchema.properties as Record<string, Rule>)[key];
  if (own || !isPerBackend(key)) return own;
  return Object.entries(configSchema.patternProperties as Record<string, Rule>).find(([pattern]) => new RegExp(pattern).test(key))?.[1];
}

/**
 * "an integer from 0 to 65535". A variable without a maximum of its own takes numbers up to the largest integer a
 * number holds exactly: beyond it "9007199254740993" read as ...992, and "1" followed by 400 zeros as Infinity.
 */
function numberRange(rule: Rule): string {
  return `${rule.type === 'integer' ? 'an integer' : 'a number'} from ${rule.minimum ?? 0} to ${rule.maximum ?? Number.MAX_SAFE_INTEGER}`;
}

/** What is wrong with a numeric variable's value, naming what it accepts; undefined when it is right. */
function numberProblem(key: string, rule: Rule, value: unknown): string | undefined {
  const type = rule.type as 'integer' | 'number';
  const accepted = rule.description ? `${rule.description}: ${numberRange(rule)}` : numberRange(rule);
  if (typeof value === 'string' && !NUMBER_TEXT[type].test(value)) return `${key} must be ${accepted} in decimal digits, not ${JSON.stringify(value)}`;
  const number = Number(value);
  const whole = type === 'number' || Number.isInteger(number);
  if (whole && number >= (rule.minimum ?? 0) && number <= (rule.maximum ?? Number.MAX_SAFE_INTEGER)) return undefined;
  return `${key} must be ${accepted}, not ${String(value).trim()}`;
}

/** AJV's message, with what is allowed where it says only that something is. */
function describe(error: ErrorObject): string {
  const key = error.instancePath.slice(1);
  if (error.keyword === 'enum') return `${key} must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  if (error.keyword === 'type' && error.params.type === 'boolean') return `${key} must be true, false, 1 or 0`;
  const description = ruleOf(key)?.description;
  if (description && (error.keyword === 'pattern' || error.keyword === 'minLength')) return `${key} must be ${description}`;
  return `${key} ${error.message}`;
}

/** Reads and validates configuration; unknown variables are ignored, invalid ones are reported all at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, unknown> = {}): Config {
  const known = Object.keys(configSchema.properties);
  const values: Record<string, unknown> = {};
  for (const key of known) if (env[key] !== undefined && env[key] !== '') values[key] = env[key];
  // Switches also take 1 and 0 (QSPOOL_WEBHOOK_ALLOW_PRIVATE=1), which AJV does not coerce from text.
  for (const [key, schema] of Object.entries(configSchema.properties)) {
    if (schema.type === 'boolean' && (values[key] === '1' || values[key] === '0')) values[key] = values[key] === '1';
  }
  // The proxy count was a switch: true and false keep their meaning, one proxy and none.
  if (values.QSPOOL_TRUST_PROXY === 'true' || values.QSPOOL_TRUST_PROXY === 'false') values.QSPOOL_TRUST_PROXY = values.QSPOOL_TRUST_PROXY === 'true' ? 1 : 0;
  for (const key of Object.keys(env)) if (isPerBackend(key) && env[key] !== '') values[key] = env[key];
  Object.assign(values, overrides);
  const problems: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const rule = ruleOf(key);
    const problem = rule?.type === 'integer' || rule?.type === 'number' ? numberProblem(key, rule, value) : undefined;
    if (problem) {
      problems.push(problem);
      delete values[key];
    }
  }
  if (!validate(values)) problems.push(...(validate.errors ?? []).map(describe));
  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  const config = values as Config;
  // The request timeout covers the headers too: a shorter one would make the headers timeout meaningless.
  if (config.QSPOOL_HEADERS_TIMEOUT_MS > config.QSPOOL_REQUEST_TIMEOUT_MS) {
    throw new ConfigError('Invalid configuration: QSPOOL_HEADERS_TIMEOUT_MS must not exceed QSPOOL_REQUEST_TIMEOUT_MS');
  }
  // Each host would otherwise make a key of its own, and no replica could open what another sealed in the store.
  if (config.QSPOOL_STORE_FILE && !config.QSPOOL_SECRET_KEY) {
    throw new ConfigError('Invalid configuration: QSPOOL_STORE_FILE needs QSPOOL_SECRET_KEY, the same on every server and spooler of the store');
  }
  if (config.QSPOOL_SECRET_KEY_PREVIOUS && config.QSPOOL_SECRET_KEY_PREVIOUS === config.QSPOOL_SECRET_KEY) {
    throw new ConfigError('Invalid configuration: QSPOOL_SECRET_KEY_PREVIOUS is the same as QSPOOL_SECRET_KEY; it must be the key in use before the new one');
  }
  // Links are the base and a path: `https://lab.example.org/` would give `//api/v2/…`.
  config.QSPOOL_BASE_URL = config.QSPOOL_BASE_URL.replace(/\/+$/, '');
  config.QSPOOL_DATA_DIR = resolve(config.QSPOOL_DATA_DIR);
  if (config.QSPOOL_STORE_FILE) config.QSPOOL_STORE_FILE = resolve(config.QSPOOL_STORE_FILE);
  return config;
}

/** Variables named after a backend (QSPOOL_RUNTIME_QUBIT, QSPOOL_MAX_SAMPLES_FERMIONS, …): the prefix and the name. */
const NAMES_A_BACKEND = /^(QSPOOL_(?:RUNTIME|SIGNING_KEY|JOB_TIME_LIMIT_S|MAX_SAMPLES|MAX_RESULT_BYTES|RETRY_EXIT_CODES))_([A-Z0-9]+)$/;

/**
 * The backends a configuration names besides QSPOOL_BACKENDS, each with the variable that names it: QSPOOL_SIGN's list
 * and the per-backend variables (QSPOOL_RUNTIME_QUBIT names qubit). A name no backend has is a typo that would
 * otherwise be ignored: results left unsigned, jobs run on the simulator instead of the runtime, a bound not applied.
 */
export function namedBackends(config: Config): { variable: string; backend: string }[] {
  const named: { variable: string; backend: string }[] = [];
  if (config.QSPOOL_SIGN !== 'all' && config.QSPOOL_SIGN !== 'none') {
    for (const backend of config.QSPOOL_SIGN.split(',')) named.push({ variable: 'QSPOOL_SIGN', backend });
  }
  for (const key of Object.keys(config).sort()) {
    const match = isPerBackend(key) ? NAMES_A_BACKEND.exec(key) : null;
    if (match) named.push({ variable: key, backend: match[2]!.toLowerCase() });
  }
  return named;
}

export function backendList(config: Config): string[] {
  return config.QSPOOL_BACKENDS.split(',');
}

/** A per-backend setting (`QSPOOL_RUNTIME_<BACKEND>`, `QSPOOL_SIGNING_KEY_<BACKEND>`), if configured. */
export function backendSetting(config: Config, setting: 'QSPOOL_RUNTIME' | 'QSPOOL_SIGNING_KEY', backend: string): string | undefined {
  const value = (config as Record<string, unknown>)[`${setting}_${backend.toUpperCase()}`];
  return typeof value === 'string' ? value : undefined;
}

/** The work bounds a backend publishes when its spooler is given none (the defaults above). */
export const WORK_BOUND_DEFAULTS = {
  maxSamples: configSchema.properties.QSPOOL_MAX_SAMPLES.default,
  maxResultBytes: configSchema.properties.QSPOOL_MAX_RESULT_BYTES.default,
  timeLimitS: configSchema.properties.QSPOOL_JOB_TIME_LIMIT_S.default,
};

type RetrySettings = Pick<Config, 'QSPOOL_MAX_ATTEMPTS' | 'QSPOOL_RETRY_BASE_MS' | 'QSPOOL_RETRY_FACTOR' | 'QSPOOL_RETRY_MAX_MS' | 'QSPOOL_RETRY_EXIT_CODES' | 'QSPOOL_RETRY_TIMEOUTS' | 'QSPOOL_RETRY_LEASE_EXPIRY'>;

/** The retry policy a spooler publishes for `backend` (schemas/retry-policy.ts); its own exit codes, if set, win. */
export function retryPolicy(config: RetrySettings, backend?: string): RetryPolicy {
  const own = backend === undefined ? undefined : (config as Record<string, unknown>)[`QSPOOL_RETRY_EXIT_CODES_${backend.toUpperCase()}`];
  const codes = typeof own === 'string' ? own : config.QSPOOL_RETRY_EXIT_CODES;
  return {
    max_attempts: config.QSPOOL_MAX_ATTEMPTS,
    base_delay_ms: config.QSPOOL_RETRY_BASE_MS,
    factor: config.QSPOOL_RETRY_FACTOR,
    max_delay_ms: config.QSPOOL_RETRY_MAX_MS,
    exit_codes: codes === '' ? [] : [...new Set(codes.split(',').map(Number))],
    timeouts: config.QSPOOL_RETRY_TIMEOUTS,
    lease_expiry: config.QSPOOL_RETRY_LEASE_EXPIRY,
  };
}

/** The retry policy of a spooler given none: the defaults above. */
export const RETRY_DEFAULTS: RetryPolicy = retryPolicy({
  QSPOOL_MAX_ATTEMPTS: configSchema.properties.QSPOOL_MAX_ATTEMPTS.default,
  QSPOOL_RETRY_BASE_MS: configSchema.properties.QSPOOL_RETRY_BASE_MS.default,
  QSPOOL_RETRY_FACTOR: configSchema.properties.QSPOOL_RETRY_FACTOR.default,
  QSPOOL_RETRY_MAX_MS: configSchema.properties.QSPOOL_RETRY_MAX_MS.default,
  QSPOOL_RETRY_EXIT_CODES: configSchema.properties.QSPOOL_RETRY_EXIT_CODES.default,
  QSPOOL_RETRY_TIMEOUTS: configSchema.properties.QSPOOL_RETRY_TIMEOUTS.default,
  QSPOOL_RETRY_LEASE_EXPIRY: configSchema.properties.QSPOOL_RETRY_LEASE_EXPIRY.default,
});

/** A work bound for one backend: its own setting (QSPOOL_MAX_SAMPLES_FERMIONS) or the global one. */
export function backendBound(config: Config, bound: BackendBound, backend: string): number {
  const value = (config as Record<string, unknown>)[`${bound}_${backend.toUpperCase()}`];
  return typeof value === 'number' ? value : config[bound];
}

/** The only signing keys whose signatures verify, when the operator named them; undefined: every published key. */
export function trustedSigningKeys(config: Config): ReadonlySet<string> | undefined {
  return config.QSPOOL_TRUSTED_SIGNING_KEYS ? new Set(config.QSPOOL_TRUSTED_SIGNING_KEYS.split(',')) : undefined;
}

export function signs(config: Config, backend: string): boolean {
  if (config.QSPOOL_SIGN === 'all' || config.QSPOOL_SIGN === 'none') return config.QSPOOL_SIGN === 'all';
  return config.QSPOOL_SIGN.split(',').includes(backend);
}
