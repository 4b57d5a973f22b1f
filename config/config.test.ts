import { expect } from 'chai';
import { ConfigError, loadConfig, RETRY_DEFAULTS, retryPolicy } from './index.ts';

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

  it('builds each backend\'s retry policy from the retry settings, a backend\'s own exit codes first', () => {
    expect(retryPolicy(loadConfig({}))).to.deep.equal(RETRY_DEFAULTS);
    expect(RETRY_DEFAULTS).to.deep.equal({ max_attempts: 3, base_delay_ms: 1000, factor: 2, max_delay_ms: 300_000, exit_codes: [], timeouts: false, lease_expiry: true });
    const config = loadConfig({ QSPOOL_RETRY_EXIT_CODES: '75,111,75', QSPOOL_RETRY_EXIT_CODES_QUBIT: '3', QSPOOL_RETRY_TIMEOUTS: '1', QSPOOL_RETRY_FACTOR: '1.5' });
    expect(retryPolicy(config, 'fermions')).to.include({ timeouts: true, factor: 1.5 }).and.deep.include({ exit_codes: [75, 111] });
    expect(retryPolicy(config, 'qubit').exit_codes).to.deep.equal([3]);
    expect(() => loadConfig({ QSPOOL_RETRY_EXIT_CODES_QUBIT: 'seventy' })).to.throw(ConfigError, /QSPOOL_RETRY_EXIT_CODES_QUBIT/);
  });
});
