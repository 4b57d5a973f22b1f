// Opt-in: the shared conformance suite against the real Dropbox, in a throwaway folder that is deleted afterwards.
// Runs only with DROPBOX_REFRESH_TOKEN, DROPBOX_APP_KEY and DROPBOX_APP_SECRET set (DROPBOX_BASE_PATH optional).
import { providerConformance } from '../conformance/index.ts';
import { DropboxClient } from './client.ts';
import type { DropboxProviderSpec } from './index.ts';

const { DROPBOX_REFRESH_TOKEN, DROPBOX_APP_KEY, DROPBOX_APP_SECRET, DROPBOX_BASE_PATH } = process.env;

describe('dropbox provider against the real Dropbox (opt-in)', function () {
  this.timeout(300_000);
  const login = { appKey: DROPBOX_APP_KEY, appSecret: DROPBOX_APP_SECRET, refreshToken: DROPBOX_REFRESH_TOKEN };
  const run = `${DROPBOX_BASE_PATH ?? '/qspool-conformance'}/run-${Date.now().toString(36)}`;
  let stores = 0;

  before(function () {
    if (!DROPBOX_REFRESH_TOKEN || !DROPBOX_APP_KEY || !DROPBOX_APP_SECRET) {
      console.log('      (skipped: set DROPBOX_REFRESH_TOKEN, DROPBOX_APP_KEY and DROPBOX_APP_SECRET to run against real Dropbox)');
      this.skip();
    }
  });

  after(async function () {
    if (stores === 0) return;
    // delete_v2 removes a folder with everything in it.
    await new DropboxClient(login).remove(run);
  });

  providerConformance({
    makeSpec: async (): Promise<DropboxProviderSpec> => ({ type: 'dropbox', basePath: `${run}/store-${(stores += 1)}`, ...login }),
  });
});
