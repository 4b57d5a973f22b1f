// The S3 provider against a real S3 server: S3_ENDPOINT if set, else a throwaway Ceph RGW started here (about 10 s)
// and stopped afterwards. Kept out of `npm test` (its pattern is *.test.ts) because the shared conformance suite's
// multi-process races make it a few minutes long. Run it with:
//   npx mocha --no-config --node-option import=tsx --timeout 60000 'storage/**/*.slow.ts'
import { findTestS3, type TestS3 } from './test-server.ts';
import { s3Integration } from './integration.ts';
import { sharedPrimaryScenario } from '../../test/support/shared-primary.ts';

describe('s3 provider against Ceph RGW (or S3_ENDPOINT)', function () {
  let server: TestS3 | undefined;

  before(async function () {
    this.timeout(240_000);
    const found = await findTestS3();
    if ('skip' in found) {
      console.log(found.skip);
      this.skip();
    } else {
      server = found;
    }
  });

  after(async function () {
    this.timeout(120_000);
    await server?.stop();
  });

  s3Integration(() => server!);

  describe('replicas on hosts of their own, sharing the store as their primary (QSPOOL_STORE_FILE)', function () {
    this.timeout(180_000);
    sharedPrimaryScenario(() => server!.spec);
  });
});
