// The shared conformance suite on the S3 provider over a local S3 server backed by the in-memory bucket, with AWS's
// semantics and with Ceph RGW's, so `npm test` runs it without a real server (the Ceph RGW run is npm run test:s3).
import { providerConformance } from '../conformance/index.ts';
import { FakeObjects, type Flavour } from './fake-objects.ts';
import { startLocalS3, type LocalS3 } from './local-server.ts';

for (const flavour of ['aws', 'rgw'] as Flavour[]) {
  describe(`s3 provider conformance (local S3 server, in memory, ${flavour === 'rgw' ? 'Ceph RGW 16' : 'AWS'} semantics)`, () => {
    let server: LocalS3;
    let stores = 0;
    before(async () => (server = await startLocalS3(new FakeObjects(flavour))));
    after(async () => server.close());

    providerConformance({ makeSpec: async () => server.spec(`conformance-${(stores += 1)}`) });
  });
}
