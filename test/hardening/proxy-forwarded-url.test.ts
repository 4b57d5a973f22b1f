// Behind two proxies (a CDN, then nginx) without QSPOOL_BASE_URL, qlued's published `url` comes from the
// X-Forwarded-Host and X-Forwarded-Proto entries the CDN added, second from the right, as the client address does:
// entries the client wrote before them must not choose where its token is sent next.
import { expect } from 'chai';
import { startHarness, type Harness } from '../native-api/harness.ts';

describe('published url behind two trusted proxies', function () {
  this.timeout(20_000);
  let h: Harness;
  before(async () => {
    h = await startHarness({ QSPOOL_TRUST_PROXY: 2, QSPOOL_MAX_CONNECTIONS_PER_ADDRESS: 0, QSPOOL_BASE_URL: '' });
  });
  after(() => h.stop());

  const PUBLISHED = 'https://qspool.example.org/api/v2/alqor_singlequdit_simulator/';
  const publishedUrl = async (forwarded: { host?: string; proto?: string }) => {
    const headers: Record<string, string> = {};
    if (forwarded.host !== undefined) headers['X-Forwarded-Host'] = forwarded.host;
    if (forwarded.proto !== undefined) headers['X-Forwarded-Proto'] = forwarded.proto;
    const answer = await fetch(`${h.url}/api/v2/alqor_singlequdit_simulator/get_config`, { headers });
    expect(answer.status).to.equal(200);
    return ((await answer.json()) as { url: string }).url;
  };

  it('takes host and scheme from the entries the outer proxy added, whatever the client wrote before them', async () => {
    const proxied = { host: 'qspool.example.org, 10.0.0.5:8000', proto: 'https, http' };
    expect(await publishedUrl(proxied)).to.equal(PUBLISHED);
    const spoofed = { host: `evil.example, ${proxied.host}`, proto: `http, ${proxied.proto}` };
    expect(await publishedUrl(spoofed)).to.equal(PUBLISHED);
  });

  it('takes the first entry when there are fewer than proxies, and only http or https as the scheme', async () => {
    expect(await publishedUrl({ host: 'qspool.example.org', proto: 'https' })).to.equal(PUBLISHED);
    const url = await publishedUrl({ host: 'qspool.example.org, 10.0.0.5:8000', proto: 'javascript, http' });
    expect(url).to.equal('http://qspool.example.org/api/v2/alqor_singlequdit_simulator/');
  });
});
