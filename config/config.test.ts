import { expect } from 'chai';
import { namedBackendsProblem } from '../scripts/runtime.ts';
import { backendBound, ConfigError, loadConfig, OWN_VARIABLES, RETRY_DEFAULTS, RUNTIME_ENV, retryPolicy, trustedSigningKeys, type Config } from './index.ts';

describe('configuration', () => {
  it('runs out of the box with documented defaults', () => {
    const config = loadConfig({});
    expect(config.PORT).to.equal(8000);
    expect(config.QSPOOL_DATA_DIR).to.match(/\/data$/);
    expect(config.QSPOOL_BACKENDS).to.equal('singlequdit,multiqudit,fermions,rydberg,qubit');
  });

  it('coerces numeric variables and refuses nonsense with every problem named', () => {
    expect(loadConfig({ PORT: '9001' }).PORT).to.equal(9001);
    expect(() => loadConfig({ PORT: 'eighty', QSPOOL_LEASE_MS: '5' })).to.throw(ConfigError, /PORT.*QSPOOL_LEASE_MS|QSPOOL_LEASE_MS.*PORT/);
    expect(() => loadConfig({ QSPOOL_BACKENDS: '../etc' })).to.throw(ConfigError, /QSPOOL_BACKENDS/);
  });

  it('refuses numbers that are not decimal digits (a blank PORT listened on a random port) and lists what an enum allows', () => {
    const accepted = { PORT: 'an integer from 0 to 65535', QSPOOL_RETRY_FACTOR: 'a number from 1 to 100', QSPOOL_MAX_SAMPLES_QUBIT: 'an integer from 1 to 9007199254740991' };
    for (const [key, value] of [['PORT', ' '], ['PORT', '0x1F40'], ['PORT', '1e3'], ['QSPOOL_RETRY_FACTOR', 'Infinity'], ['QSPOOL_MAX_SAMPLES_QUBIT', ' ']] as const) {
      expect(() => loadConfig({ [key]: value }), `${key}=${value}`).to.throw(ConfigError, `Invalid configuration: ${key} must be ${accepted[key]} in decimal digits, not ${JSON.stringify(value)}`);
    }
    expect(loadConfig({ PORT: ' 8001 ', QSPOOL_RETRY_FACTOR: '1.5' })).to.include({ PORT: 8001, QSPOOL_RETRY_FACTOR: 1.5 });
    expect(() => loadConfig({ LOG_LEVEL: 'INFO', QSPOOL_FSYNC: 'yes', PORT: 'x' })).to.throw(
      ConfigError,
      'Invalid configuration: PORT must be an integer from 0 to 65535 in decimal digits, not "x"; QSPOOL_FSYNC must be true, false, 1 or 0; LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    );
  });

  it('takes the base URL as http(s) without a trailing slash, which would double the slash in every link', () => {
    expect(loadConfig({ QSPOOL_BASE_URL: 'https://lab.example.org/' }).QSPOOL_BASE_URL).to.equal('https://lab.example.org');
    expect(loadConfig({ QSPOOL_BASE_URL: 'http://lab.example.org:8080/qspool//' }).QSPOOL_BASE_URL).to.equal('http://lab.example.org:8080/qspool');
    for (const value of ['lab.example.org', 'ftp://lab.example.org', 'https://lab.example.org/?x=1', 'https://lab example.org', 'https://']) {
      expect(() => loadConfig({ QSPOOL_BASE_URL: value }), value).to.throw(ConfigError, /QSPOOL_BASE_URL/);
    }
  });

  it('reads the trusted signing keys as key ids, and refuses anything else', () => {
    const kid = (backend: string, fill: string) => `${backend}-${fill.repeat(43)}`;
    expect(trustedSigningKeys(loadConfig({}))).to.equal(undefined);
    const both = `${kid('qubit', 'A')},${kid('fermions', '_')}`;
    expect([...trustedSigningKeys(loadConfig({ QSPOOL_TRUSTED_SIGNING_KEYS: both }))!]).to.deep.equal([kid('qubit', 'A'), kid('fermions', '_')]);
    for (const value of ['qubit-abc', `${kid('qubit', 'A')},`, `${kid('qubit', 'A')} `, `Qubit-${'A'.repeat(43)}`, kid('qubit', '=')]) {
      expect(() => loadConfig({ QSPOOL_TRUSTED_SIGNING_KEYS: value }), value).to.throw(ConfigError, /QSPOOL_TRUSTED_SIGNING_KEYS/);
    }
  });

  it('bounds a backend\'s own work limit as it bounds the global one (a 30-day time limit overflowed the spooler\'s timer)', () => {
    for (const [bound, ok, tooLow, tooHigh] of [
      ['QSPOOL_JOB_TIME_LIMIT_S', '604800', '0', '604801'],
      ['QSPOOL_MAX_RESULT_BYTES', '134217728', '1023', '134217729'],
      ['QSPOOL_MAX_SAMPLES', '1', '0', undefined],
    ] as const) {
      expect(backendBound(loadConfig({ [`${bound}_QUBIT`]: ok }), bound, 'qubit'), `${bound}_QUBIT=${ok}`).to.equal(Number(ok));
      for (const value of [tooLow, tooHigh]) {
        if (value === undefined) continue;
        expect(() => loadConfig({ [bound]: value }), `${bound}=${value}`).to.throw(ConfigError, `Invalid configuration: ${bound} must be`);
        expect(() => loadConfig({ [`${bound}_QUBIT`]: value }), `${bound}_QUBIT=${value}`).to.throw(ConfigError, `Invalid configuration: ${bound}_QUBIT must be`);
      }
    }
    expect(() => loadConfig({ QSPOOL_JOB_TIME_LIMIT_S_QUBIT: '2592000' })).to.throw(ConfigError, 'QSPOOL_JOB_TIME_LIMIT_S_QUBIT must be an integer from 1 to 604800, not 2592000');
    // a result bound past what one JSON string can hold (2^29 − 24 characters) passed, and its results could not be written
    expect(() => loadConfig({ QSPOOL_MAX_RESULT_BYTES: String(2 ** 30) })).to.throw(ConfigError, 'QSPOOL_MAX_RESULT_BYTES must be an integer from 1024 to 134217728');
  });

  it('names what every numeric variable accepts when it refuses a value, huge ones included (read inexactly, or as Infinity, before)', () => {
    const defaults = loadConfig({}) as Record<string, unknown>;
    const numeric = [...Object.keys(defaults).filter((key) => typeof defaults[key] === 'number'), 'QSPOOL_SPOOLER_METRICS_PORT', 'QSPOOL_MAX_SAMPLES_QUBIT'];
    expect(numeric).to.include.members(['PORT', 'QSPOOL_LEASE_MS', 'QSPOOL_RETRY_FACTOR', 'QSPOOL_MAX_SHOTS']);
    for (const key of numeric) {
      for (const value of ['-1', 'abc', '99999999999999999999', '9007199254740993', '1'.padEnd(400, '0')]) {
        const refusal = /^Invalid configuration: (\S+) must be ([^:]+: )?an? (integer|number) from [0-9.]+ to [0-9]+( in decimal digits)?, not /;
        expect(() => loadConfig({ [key]: value }), `${key}=${value}`).to.throw(ConfigError, refusal).with.property('message').that.includes(`${key} must be`);
      }
    }
    expect(() => loadConfig({ PORT: '70000' })).to.throw(ConfigError, 'Invalid configuration: PORT must be an integer from 0 to 65535, not 70000');
    expect(() => loadConfig({ QSPOOL_MAX_SHOTS: '9007199254740993' })).to.throw(ConfigError, 'QSPOOL_MAX_SHOTS must be an integer from 1 to 9007199254740991, not 9007199254740993');
    expect(loadConfig({ QSPOOL_MAX_SHOTS: '9007199254740991' }).QSPOOL_MAX_SHOTS).to.equal(Number.MAX_SAFE_INTEGER);
    expect(() => loadConfig({ QSPOOL_RATE_PER_SECOND: '1'.padEnd(400, '0') })).to.throw(ConfigError, 'QSPOOL_RATE_PER_SECOND must be a number from 0 to 9007199254740991, not 1000');
  });

  it('says in words what a variable checked by a pattern accepts, never echoing a secret', () => {
    expect(() => loadConfig({ QSPOOL_PROVIDER_NAME: 'Alqor', QSPOOL_JWT_SECRET: 'hunter2', QSPOOL_RETRY_EXIT_CODES_QUBIT: 'seventy' })).to.throw(
      ConfigError,
      'Invalid configuration: QSPOOL_PROVIDER_NAME must be lower-case letters and digits; QSPOOL_JWT_SECRET must be at least 32 characters, or empty; ' +
        'QSPOOL_RETRY_EXIT_CODES_QUBIT must be exit codes separated by commas (75,111), or empty',
    );
    for (const [key, words] of [['QSPOOL_BACKENDS', 'backend names separated by commas'], ['QSPOOL_SIGN', 'all, none or backend names separated by commas'], ['QSPOOL_SECRET_KEY', 'at least 16 characters, or empty'], ['QSPOOL_SMTP_URL', 'an smtp:// or smtps:// URL, or empty'], ['QSPOOL_MAIL_FROM', 'at least 3 characters']]) {
      expect(() => loadConfig({ [key!]: '#' }), key).to.throw(ConfigError, `Invalid configuration: ${key} must be ${words}`);
    }
  });

  it('builds each backend\'s retry policy from the retry settings, a backend\'s own exit codes first', () => {
    expect(retryPolicy(loadConfig({}))).to.deep.equal(RETRY_DEFAULTS);
    expect(RETRY_DEFAULTS).to.deep.equal({ max_attempts: 3, base_delay_ms: 1000, factor: 2, max_delay_ms: 300_000, exit_codes: [], timeouts: false, lease_expiry: true });
    const config = loadConfig({ QSPOOL_RETRY_EXIT_CODES: '75,111,75', QSPOOL_RETRY_EXIT_CODES_QUBIT: '3', QSPOOL_RETRY_TIMEOUTS: '1', QSPOOL_RETRY_FACTOR: '1.5' });
    expect(retryPolicy(config, 'fermions')).to.include({ timeouts: true, factor: 1.5 }).and.deep.include({ exit_codes: [75, 111] });
    expect(retryPolicy(config, 'qubit').exit_codes).to.deep.equal([3]);
    expect(() => loadConfig({ QSPOOL_RETRY_EXIT_CODES_QUBIT: 'seventy' })).to.throw(ConfigError, /QSPOOL_RETRY_EXIT_CODES_QUBIT/);
  });

  it('reads no variable of its own as a per-backend setting, so none stops start-up as a backend typo', () => {
    // What a runtime that starts qspool is handed by its spooler: QSPOOL_RUNTIME_ID read as backend "id" refused it.
    const fromRuntime = loadConfig({ ...RUNTIME_ENV, [RUNTIME_ENV.runtimeId]: 'qubit-0123456789ab', [RUNTIME_ENV.timeoutMs]: '600000' });
    expect(namedBackendsProblem(fromRuntime)).to.equal(undefined);
    expect(Object.keys(fromRuntime)).to.not.include.members(Object.values(RUNTIME_ENV));
    // Every setting config/ defines (each has a default) and the runtime's, all set at once.
    const everyName = { ...Object.fromEntries([...OWN_VARIABLES].map((name) => [name, '1'])), ...loadConfig({}) } as Config;
    expect(Object.keys(everyName)).to.include.members([...OWN_VARIABLES]);
    expect([...OWN_VARIABLES]).to.include.members(['QSPOOL_RUNTIME_TIMEOUT_MS', 'QSPOOL_MAX_SAMPLES', 'QSPOOL_RUNTIME_ID']);
    expect(namedBackendsProblem(everyName)).to.equal(undefined);
    // Typos of a backend's name are still caught.
    expect(namedBackendsProblem(loadConfig({ QSPOOL_RUNTIME_QUBITS: 'python3 runtime.py', QSPOOL_MAX_SAMPLES_FERMION: '10' }))).to.match(
      /^QSPOOL_MAX_SAMPLES_FERMION: unknown backend "fermion"; QSPOOL_RUNTIME_QUBITS: unknown backend "qubits"; known: /,
    );
  });
});
