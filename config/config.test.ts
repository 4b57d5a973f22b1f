import { expect } from 'chai';
import { ConfigError, loadConfig } from './index.ts';

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
});
