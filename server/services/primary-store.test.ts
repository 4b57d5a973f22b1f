import { expect } from 'chai';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../config/index.ts';
import { InsecurePermissionsError } from '../../schemas/errors.ts';
import { primarySpec, primaryStore } from './primary-store.ts';

const KEY = 'a-secret-key-of-at-least-16';
const S3_LOGIN = { endpoint_url: 'http://127.0.0.1:9000', region: 'eu-1', bucket: 'qspool', prefix: 'main', access_key_id: 'AK', secret_access_key: 'SK' };

describe('the primary store (QSPOOL_STORE_FILE)', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qspool-primary-'));
    file = join(dir, 'store.json');
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  const write = async (content: unknown, mode = 0o600) => {
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
    await chmod(file, mode);
  };
  const configured = () => loadConfig({ QSPOOL_STORE_FILE: file, QSPOOL_SECRET_KEY: KEY, QSPOOL_DATA_DIR: join(dir, 'data') });

  it('is the local store in the data directory without a store file', () => {
    const config = loadConfig({ QSPOOL_DATA_DIR: dir, QSPOOL_FSYNC: 'false' });
    expect(primaryStore(config)).to.deep.equal({ type: 'local', login: { base_path: dir, fsync: false } });
    expect(primarySpec(config)).to.deep.equal({ type: 'local', root: dir, fsync: false });
  });

  it('opens the S3 store a store file describes, with the login fields of `qspool storage add`', async () => {
    await write({ type: 's3', login: S3_LOGIN });
    expect(primarySpec(configured())).to.deep.include({ type: 's3', endpoint: 'http://127.0.0.1:9000', bucket: 'qspool', prefix: 'main', accessKeyId: 'AK', secretAccessKey: 'SK' });
  });

  it('needs QSPOOL_SECRET_KEY, or each host would seal with a key of its own', () => {
    expect(() => loadConfig({ QSPOOL_STORE_FILE: file })).to.throw(ConfigError, 'QSPOOL_STORE_FILE needs QSPOOL_SECRET_KEY');
  });

  it('refuses a file that group or others can read, naming the fix', async () => {
    await write({ type: 's3', login: S3_LOGIN }, 0o640);
    expect(() => primaryStore(configured())).to.throw(InsecurePermissionsError, `chmod 600 ${file}`);
  });

  it('names what is wrong with the file, whatever it is', async () => {
    const cases: [unknown, string][] = [
      ['{"type": "s3",', 'is not JSON'],
      ['[1]', 'must hold a JSON object'],
      ['null', 'must hold a JSON object'],
      [{ type: 'local', login: { base_path: '/srv' } }, 'a local store is QSPOOL_DATA_DIR'],
      [{ type: 'dropbox', login: { access_token: 'x' } }, '"type" must be s3 or mongodb'],
      [{ type: 's3', login: { ...S3_LOGIN, bucket: 'Not A Bucket' } }, '/bucket must match pattern'],
      [{ type: 's3', login: { region: 'eu-1' } }, "must have required property 'bucket'"],
      [{ type: 's3' }, 'Invalid s3 login'],
      [{ type: 's3', login: S3_LOGIN, layout: 'sqooler' }, 'unknown field "layout"'],
      ['x'.repeat(70 * 1024), 'larger than'],
    ];
    for (const [content, message] of cases) {
      await write(content);
      expect(() => primaryStore(configured()), String(content).slice(0, 40)).to.throw(ConfigError, message);
    }
    await rm(file);
    expect(() => primaryStore(configured())).to.throw(ConfigError, 'is not a file');
    await mkdir(file);
    expect(() => primaryStore(configured())).to.throw(ConfigError, 'is not a file');
  });
});
