// Replicas on several hosts: two `qspool serve` processes and a `qspool spooler`, each with a data directory of its
// own (as on three machines), sharing only the S3 store that QSPOOL_STORE_FILE names, here the local S3 server over
// the in-memory bucket (the same scenario runs against Ceph RGW in storage/s3/ceph-rgw.slow.ts).
import { FakeObjects } from '../storage/s3/fake-objects.ts';
import { startLocalS3, type LocalS3 } from '../storage/s3/local-server.ts';
import { sharedPrimaryScenario } from './support/shared-primary.ts';

describe('replicas on hosts of their own, sharing an S3 primary store (QSPOOL_STORE_FILE, local S3 server)', function () {
  this.timeout(120_000);
  let s3: LocalS3;
  before(async () => (s3 = await startLocalS3(new FakeObjects('rgw'))));
  after(async () => s3.close());

  sharedPrimaryScenario(() => s3.spec(''));
});
