// Test support: the in-memory bucket (fake-objects.ts) served over HTTP as the subset of the S3 API the provider
// uses (create bucket, GET/HEAD/conditional PUT/DELETE of objects, ListObjectsV2 with a delimiter), so the shared
// conformance suite, whose workers open the store from other processes, runs in `npm test` without Ceph RGW.
// Signatures are not checked; the bucket's semantics (RGW or AWS) are FakeObjects' own.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3ProviderSpec } from './client.ts';
import { FakeObjects } from './fake-objects.ts';

export interface LocalS3 {
  objects: FakeObjects;
  /** A spec for a fresh store on this server: its own prefix. */
  spec(prefix: string): S3ProviderSpec;
  close(): Promise<void>;
}

const BUCKET = 'qspool-test';

const xmlText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function error(res: ServerResponse, status: number, code: string, head = false): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(head ? undefined : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** If-Match as RGW and AWS both take it: the ETag quoted or bare. */
const bare = (etag: string) => etag.replace(/^"(.*)"$/, '$1');

/** Continuation tokens are opaque to clients; base64url keeps FakeObjects' U+FFFF sentinel out of the XML. */
const token = { encode: (t: string) => Buffer.from(t).toString('base64url'), decode: (t: string) => Buffer.from(t, 'base64url').toString() };

async function list(objects: FakeObjects, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const prefix = query.get('prefix') ?? '';
  const maxKeys = Number(query.get('max-keys') ?? 1000);
  const continuation = query.get('continuation-token');
  const startAfter = query.get('start-after');
  const page = await objects.list(prefix, maxKeys, {
    ...(continuation ? { continuationToken: token.decode(continuation) } : {}),
    ...(startAfter ? { startAfter } : {}),
  });
  const contents = page.names.map((name) => `<Contents><Key>${xmlText(name)}</Key></Contents>`).join('');
  const prefixes = page.prefixes.map((p) => `<CommonPrefixes><Prefix>${xmlText(p)}</Prefix></CommonPrefixes>`).join('');
  const next = page.continuationToken ? `<NextContinuationToken>${token.encode(page.continuationToken)}</NextContinuationToken>` : '';
  res.writeHead(200, { 'content-type': 'application/xml' });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${BUCKET}</Name><Prefix>${xmlText(prefix)}</Prefix>` +
      `<KeyCount>${page.names.length + page.prefixes.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
      `<IsTruncated>${page.continuationToken ? 'true' : 'false'}</IsTruncated>${next}${contents}${prefixes}</ListBucketResult>`,
  );
}

async function handle(objects: FakeObjects, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const [, bucket, ...rest] = url.pathname.split('/');
  const name = rest.map(decodeURIComponent).join('/');
  if (bucket !== BUCKET) return error(res, 404, 'NoSuchBucket', req.method === 'HEAD');
  if (!name) {
    if (req.method === 'GET') return list(objects, url.searchParams, res);
    // CreateBucket: the one bucket always exists.
    res.writeHead(200).end();
    return;
  }
  switch (req.method) {
    case 'GET':
    case 'HEAD': {
      const found = await objects.get(name);
      if (!found) return error(res, 404, 'NoSuchKey', req.method === 'HEAD');
      res.writeHead(200, { etag: `"${found.etag}"`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(found.body) });
      res.end(req.method === 'HEAD' ? undefined : found.body);
      return;
    }
    case 'PUT': {
      const body = await bodyOf(req);
      const ifMatch = req.headers['if-match'];
      const condition = ifMatch ? { ifMatch: bare(ifMatch) } : { ifAbsent: true as const };
      const written = await objects.put(name, body, condition);
      if (written.ok) {
        res.writeHead(200, { etag: `"${written.etag}"` }).end();
      } else if (written.failure === 'precondition') {
        error(res, 412, 'PreconditionFailed');
      } else {
        error(res, 500, 'InternalError');
      }
      return;
    }
    case 'DELETE':
      await objects.delete(name, bare(req.headers['if-match'] ?? ''));
      res.writeHead(204).end();
      return;
    default:
      error(res, 405, 'MethodNotAllowed');
  }
}

export async function startLocalS3(objects = new FakeObjects('aws')): Promise<LocalS3> {
  const server = createServer((req, res) => {
    handle(objects, req, res).catch(() => error(res, 500, 'InternalError'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    objects,
    spec: (prefix) => ({ type: 's3', endpoint, region: 'us-east-1', bucket: BUCKET, prefix, accessKeyId: 'local', secretAccessKey: 'local-secret' }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
