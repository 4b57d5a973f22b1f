import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { InvalidKeyError, LimitExceededError, NotFoundError, StorageUnavailableError } from '../../schemas/errors.ts';
import { rejection } from '../conformance/rejections.ts';
import { Documents } from './documents.ts';
import { decode, encode } from './envelope.ts';
import { classifyWriteFailure, mapS3Error } from './error-mapping.ts';
import { FakeObjects } from './fake-objects.ts';
import { keyOfName, normalisePrefix, orderKeys, S3Layout } from './layout.ts';
import { sdkApi, type S3ProviderSpec } from './client.ts';
import { SdkObjects, type S3Api } from './objects.ts';
import { deleteRequest, listRequest, putRequest } from './requests.ts';

const s3Error = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: status < 500 ? 'client' : 'server', $metadata: { httpStatusCode: status }, message: 'UnknownError' });
const socketError = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

/** An S3Api that answers If-Match only in one spelling, like RGW (bare) or a strict server (quoted). */
function strictApi(accepts: 'quoted' | 'unquoted', current = 'abc'): S3Api & { sent: (string | undefined)[] } {
  const sent: (string | undefined)[] = [];
  const refuse = () => Promise.reject(s3Error('PreconditionFailed', 412));
  return {
    sent,
    putObject: async (input) => {
      sent.push(input.IfMatch);
      const matches = accepts === 'quoted' ? input.IfMatch === `"${current}"` : input.IfMatch === current;
      if (!matches) return refuse();
      current = `${current}x`;
      return { ETag: `"${current}"` };
    },
    getObject: async () => ({ ETag: `"${current}"`, body: '{}' }),
    headObject: async () => ({ ETag: `"${current}"` }),
    deleteObject: async () => ({}),
    listObjectsV2: async () => ({ $metadata: {} }),
    destroy: () => undefined,
  };
}

describe('s3 provider building blocks', () => {
  describe('requests', () => {
    it('creates with If-None-Match: * and replaces with If-Match in the spelling asked for', () => {
      expect(putRequest('b', 'p/k.json', '{}', { ifAbsent: true }, 'unquoted')).to.deep.equal({
        Bucket: 'b', Key: 'p/k.json', Body: '{}', ContentType: 'application/json', IfNoneMatch: '*',
      });
      expect(putRequest('b', 'k', '{}', { ifMatch: 'abc' }, 'unquoted').IfMatch).to.equal('abc');
      expect(putRequest('b', 'k', '{}', { ifMatch: 'abc' }, 'quoted').IfMatch).to.equal('"abc"');
      expect(deleteRequest('b', 'k', 'abc', 'quoted')).to.deep.equal({ Bucket: 'b', Key: 'k', IfMatch: '"abc"' });
    });

    it('lists one level with a delimiter, starting after a name or continuing with a token', () => {
      expect(listRequest('b', 'p/ns/', 17, { startAfter: 'p/ns/x' })).to.deep.equal({
        Bucket: 'b', Prefix: 'p/ns/', Delimiter: '/', MaxKeys: 17, StartAfter: 'p/ns/x',
      });
      expect(listRequest('b', 'p/ns/', 5, { continuationToken: 't' }).ContinuationToken).to.equal('t');
    });

    it('names objects <prefix>/<namespace>/<key>.json and refuses prefixes that could escape', () => {
      expect(new S3Layout('/qspool/prod/').address('jobs/queued/b', 'k').name).to.equal('qspool/prod/jobs/queued/b/k.json');
      expect(new S3Layout().address('configs', 'x').name).to.equal('configs/x.json');
      expect(() => normalisePrefix('a/../b')).to.throw(/Invalid S3 prefix/);
      // S3 and RGW refuse names over 1,024 bytes (InvalidObjectName): the longest namespace and key must still fit.
      const longest = new S3Layout(`${'p'.repeat(120)}/`.repeat(4) + 'p'.repeat(77)).address(['n'.repeat(64), 'n'.repeat(64), 'n'.repeat(64), 'n'.repeat(61)].join('/'), 'k'.repeat(200)).name;
      expect(longest).to.have.length(1024);
      expect(() => new S3Layout(`${'p'.repeat(120)}/`.repeat(4) + 'p'.repeat(78))).to.throw(InvalidKeyError, /S3 prefix too long: at most 561 characters/);
      expect(keyOfName('p/ns/', 'p/ns/k.json')).to.equal('k');
      expect(keyOfName('p/ns/', 'p/ns/stray.txt')).to.equal(undefined);
    });
  });

  describe('ordering of listed keys', () => {
    const listed = (keys: string[], horizon: string, complete: boolean) => ({ keys, horizon, complete });

    it('emits job ids as listed, with nothing to wait for', () => {
      const ids = ['01a0', '01a1', '01a2'];
      expect(orderKeys('n/', listed(ids, 'n/01a2.json', false), undefined, 2)).to.deep.equal({ keys: ['01a0', '01a1'], decided: true });
    });

    it('puts "a" before "a-b" and waits when "a" could still follow the listed names', () => {
      expect(orderKeys('n/', listed(['a-b', 'a'], 'n/a.json', true), undefined, 5).keys).to.deep.equal(['a', 'a-b']);
      expect(orderKeys('n/', listed(['a-b'], 'n/a-b.json', false), undefined, 5)).to.deep.equal({ keys: [], decided: false });
      expect(orderKeys('n/', listed(['a-b', 'b'], 'n/b.json', false), undefined, 1)).to.deep.equal({ keys: ['a-b'], decided: true });
      expect(orderKeys('n/', listed(['a-b'], 'n/a-b.json', false), 'a', 5)).to.deep.equal({ keys: ['a-b'], decided: false });
    });
  });

  describe('envelopes', () => {
    it('reads objects qspool did not write as plain documents that match no write of ours', () => {
      expect(decode('{"x":1}')).to.deep.equal({ state: 'live', id: '', value: { x: 1 } });
      expect(decode(encode({ state: 'live', id: 'i' }))).to.deep.equal({ state: 'live', id: 'i' });
      expect(decode('{"qspool":1,"state":"leaving","id":"t"}')).to.deep.equal({
        state: 'live', id: '', value: { qspool: 1, state: 'leaving', id: 't' },
      });
    });
  });

  describe('error mapping', () => {
    it('tells a failed condition from an indeterminate write and from errors unrelated to the condition', () => {
      expect(classifyWriteFailure(s3Error('PreconditionFailed', 412), true)).to.equal('precondition');
      expect(classifyWriteFailure(s3Error('NoSuchKey', 404), true)).to.equal('precondition');
      expect(classifyWriteFailure(s3Error('UnknownError', 500), true)).to.equal('indeterminate');
      expect(classifyWriteFailure(s3Error('ConditionalRequestConflict', 409), true)).to.equal('indeterminate');
      expect(classifyWriteFailure(s3Error('SlowDown', 503), true)).to.equal('indeterminate');
      expect(classifyWriteFailure(socketError('ECONNRESET'), true)).to.equal('indeterminate');
      // AWS's answer to a PUT whose body stalled on the way: nothing written, so re-read and send again.
      expect(classifyWriteFailure(s3Error('RequestTimeout', 400), true)).to.equal('indeterminate');
      expect(classifyWriteFailure(s3Error('AccessDenied', 403), true)).to.equal(undefined);
      expect(classifyWriteFailure(s3Error('NoSuchBucket', 404), true)).to.equal(undefined);
    });

    it('reports outages, throttling and misconfiguration as StorageUnavailableError and nothing else', () => {
      for (const error of [
        socketError('ECONNREFUSED'), Object.assign(new Error('timed out'), { name: 'TimeoutError' }), s3Error('SlowDown', 503),
        s3Error('InternalError', 500), s3Error('NoSuchBucket', 404), s3Error('InvalidAccessKeyId', 403),
        s3Error('RequestTimeTooSkewed', 403), s3Error('RequestTimeout', 400),
      ]) {
        expect(mapS3Error(error, 'x'), String(error)).to.be.instanceOf(StorageUnavailableError);
      }
      expect(mapS3Error(s3Error('EntityTooLarge', 400), 'x')).to.be.instanceOf(LimitExceededError);
      const odd = s3Error('InvalidArgument', 400);
      expect(mapS3Error(odd, 'x')).to.equal(odd);
      const typed = new NotFoundError();
      expect(mapS3Error(typed, 'x')).to.equal(typed);
    });
  });

  describe('If-Match spelling', () => {
    it('switches to the quoted ETag for good when the server refuses the bare one at the current version', async () => {
      const api = strictApi('quoted');
      const port = new SdkObjects(api, 'b');
      expect(await port.put('k', '{}', { ifMatch: 'abc' })).to.deep.equal({ ok: true, etag: 'abcx' });
      expect(port.etagSpelling).to.deep.equal({ spelling: 'quoted', confirmed: true });
      expect(await port.put('k', '{}', { ifMatch: 'stale' })).to.deep.equal({ ok: false, failure: 'precondition' });
      expect(api.sent).to.deep.equal(['abc', '"abc"', '"stale"']);
    });

    it('keeps the bare ETag that RGW accepts, and never switches on an ordinary lost race', async () => {
      const api = strictApi('unquoted');
      const port = new SdkObjects(api, 'b');
      expect(await port.put('k', '{}', { ifMatch: 'abc' })).to.deep.equal({ ok: true, etag: 'abcx' });
      expect(await port.put('k', '{}', { ifMatch: 'abc' })).to.deep.equal({ ok: false, failure: 'precondition' });
      expect(api.sent).to.deep.equal(['abc', 'abc']);
      expect(port.etagSpelling).to.deep.equal({ spelling: 'unquoted', confirmed: true });
    });

    it('uses the configured spelling without probing', async () => {
      const api = strictApi('quoted');
      const port = new SdkObjects(api, 'b', 'unquoted');
      expect((await port.put('k', '{}', { ifMatch: 'abc' })).ok).to.equal(false);
      expect(api.sent).to.deep.equal(['abc']);
    });
  });

  describe('deleting', () => {
    /** Answers the first DELETE with a reset connection; HEAD reports `etagAfter`. */
    function flakyDeletes(etagAfter: string | undefined): S3Api & { deletes: number } {
      const api = {
        deletes: 0,
        putObject: async () => ({ ETag: '"x"' }),
        getObject: async () => ({ ETag: '"x"', body: '{}' }),
        headObject: async () => (etagAfter === undefined ? Promise.reject(s3Error('NotFound', 404)) : { ETag: `"${etagAfter}"` }),
        deleteObject: async () => {
          api.deletes += 1;
          if (api.deletes === 1) throw socketError('ECONNRESET');
          return {};
        },
        listObjectsV2: async () => ({ $metadata: {} }),
        destroy: () => undefined,
      };
      return api;
    }

    it('repeats a DELETE whose answer was lost only while the object is still the marker it meant to delete', async () => {
      const still = flakyDeletes('marker');
      await new SdkObjects(still, 'b').delete('k', 'marker');
      expect(still.deletes).to.equal(2);
      for (const after of ['someone-else', undefined]) {
        const changed = flakyDeletes(after);
        await new SdkObjects(changed, 'b').delete('k', 'marker');
        expect(changed.deletes, String(after)).to.equal(1);
      }
    });
  });

  describe('deciding an ambiguous write', () => {
    const docs = (port: FakeObjects) =>
      new Documents(port, { staleAfterMs: 1000, busyWaitMs: 10, now: Date.now, cacheSize: 8, writeAttempts: 2 });
    const at = new S3Layout('p').address('docs', 'k');

    it('sends again, then reports an outage, when 500s leave the object exactly as the condition required', async () => {
      const bucket = new FakeObjects().inject('k.json', 'refuse').inject('k.json', 'refuse');
      expect(await rejection(docs(bucket).write(at, { state: 'live', id: 'mine' }, { ifAbsent: true }))).to.be.instanceOf(StorageUnavailableError);
      expect(bucket.log.filter((line) => line.startsWith('put'))).to.have.length(2);
    });

    it('is ours when the re-read finds our write, on AWS 404-style and RGW 412-style answers alike', async () => {
      const bucket = new FakeObjects().inject('k.json', 'lose-answer');
      const result = await docs(bucket).write(at, { state: 'live', id: 'mine' }, { ifAbsent: true });
      expect(result.won).to.equal(true);
      const lost = await docs(bucket).write(at, { state: 'live', id: 'other' }, { ifMatch: 'nope' });
      expect(lost.won).to.equal(false);
    });
  });

  describe('request timeouts, against an S3 endpoint on a slow or silent connection', () => {
    let server: Server | undefined;
    afterEach(() => {
      server?.closeAllConnections();
      server?.close();
    });
    /** An endpoint answering every request with `respond`, and a spec for it with a 1 s timeout. */
    const endpoint = async (respond: (req: IncomingMessage, res: ServerResponse) => void): Promise<S3ProviderSpec> => {
      server = createServer(respond);
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      return { type: 's3', endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', bucket: 'b', accessKeyId: 'a', secretAccessKey: 's', requestTimeoutMs: 1000 };
    };

    it('abandons a GET whose connection goes silent halfway through the body, instead of hanging for good', async () => {
      const spec = await endpoint((_req, res) => {
        res.writeHead(200, { etag: '"e"', 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"qspool":1,');
      });
      const objects = new SdkObjects(sdkApi(spec), 'b');
      const started = Date.now();
      const outcome = await Promise.race([
        rejection(objects.get('k.json')),
        new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5000)),
      ]);
      objects.close();
      expect(outcome).to.be.instanceOf(StorageUnavailableError);
      expect(Date.now() - started).to.be.below(4000);
    });

    it('lets a PUT run past the timeout while its body is still moving (a large document on a slow uplink)', async function () {
      this.timeout(20_000);
      // Reads 64 KiB, then rests 4 ms: 24 MiB take ~2 s, twice the timeout, with never a second without progress.
      const spec = await endpoint((req, res) => {
        req.on('data', () => {
          req.pause();
          setTimeout(() => req.resume(), 4);
        });
        req.on('end', () => res.writeHead(200, { etag: '"e"' }).end());
      });
      const objects = new SdkObjects(sdkApi(spec), 'b');
      const written = await objects.put('k.json', 'x'.repeat(24 * 2 ** 20), { ifAbsent: true });
      objects.close();
      expect(written).to.deep.equal({ ok: true, etag: 'e' });
    });
  });
});
