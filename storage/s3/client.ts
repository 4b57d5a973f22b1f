// The S3 provider's configuration (a JSON-serialisable spec, so spoolers and conformance workers can recreate the
// provider in another process) and the @aws-sdk/client-s3 client it turns into.
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3Api } from './objects.ts';
import type { EtagSpellingMode } from './requests.ts';

export interface S3ProviderSpec {
  type: 's3';
  /** Omit for AWS; e.g. `http://127.0.0.1:7480` for Ceph RGW or another S3-compatible server. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Object-name prefix for everything this store holds (several stores can share a bucket). */
  prefix?: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Path-style addressing (`endpoint/bucket/key`); default: on when an endpoint is given (RGW needs it). */
  forcePathStyle?: boolean;
  /** How If-Match carries ETags: `unquoted` (Ceph RGW), `quoted` (HTTP standard), or `auto` (default: detect). */
  ifMatchEtag?: EtagSpellingMode;
  /** After how long a move or delete marker counts as abandoned by a crashed process (default 30 000 ms). */
  staleAfterMs?: number;
  /**
   * How long a request may make no progress (nothing sent or received, the body's bytes included) before it is
   * abandoned and, for reads, retried by the SDK (default 15 000 ms).
   */
  requestTimeoutMs?: number;
  /** Attempts per request: the SDK's retries of reads, and the provider's own of writes that S3 failed (default 3). */
  maxAttempts?: number;
  /**
   * Reuse connections (default true). Turn off for a Ceph RGW whose beast frontend lacks `tcp_nodelay=1`: there
   * every response with a body waits for the client's delayed ACK on a reused connection (measured on RGW 16:
   * GET 19 ms on fresh connections, 40–140 ms on kept-alive ones; with tcp_nodelay=1, as scripts/services/ceph-rgw.sh
   * configures it, 5–6 ms kept alive against 7–11 ms fresh).
   */
  keepAlive?: boolean;
}

export function s3Client(spec: S3ProviderSpec, maxAttempts = spec.maxAttempts ?? 3): S3Client {
  return new S3Client({
    region: spec.region,
    ...(spec.endpoint ? { endpoint: spec.endpoint } : {}),
    forcePathStyle: spec.forcePathStyle ?? spec.endpoint !== undefined,
    credentials: { accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey },
    maxAttempts,
    // SigV4 already signs each body's SHA-256; the extra CRC headers only trouble older S3-compatible servers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: Math.min(spec.requestTimeoutMs ?? 5_000, 5_000),
      // An idle timeout, not the handler's requestTimeout: that one is a deadline until the answer's headers, which
      // a PUT of a large document over a slow uplink cannot meet (every try failed), and it ends before the body,
      // so a connection that went silent halfway through a GET's body hung the caller for good.
      socketTimeout: spec.requestTimeoutMs ?? 15_000,
      ...(spec.keepAlive === false ? { httpAgent: { keepAlive: false }, httpsAgent: { keepAlive: false } } : {}),
    },
  });
}

/**
 * The narrow S3Api over real clients. Writes go through a client that never retries on its own: every PUT is
 * conditional and its outcome is settled by re-reading (Documents.write), and on RGW a DELETE is unconditional, so a
 * blind retry after a lost answer could remove a document written in between (SdkObjects.delete looks first).
 * Reads keep the SDK's retries.
 */
export function sdkApi(spec: S3ProviderSpec): S3Api {
  const reader = s3Client(spec);
  const writer = s3Client(spec, 1);
  return {
    putObject: (input) => writer.send(new PutObjectCommand(input)),
    getObject: async (input) => {
      const found = await reader.send(new GetObjectCommand(input));
      const body = found.Body ? await found.Body.transformToString('utf8') : '';
      return { ETag: found.ETag, body };
    },
    headObject: (input) => reader.send(new HeadObjectCommand(input)),
    deleteObject: (input) => writer.send(new DeleteObjectCommand(input)),
    listObjectsV2: (input) => reader.send(new ListObjectsV2Command(input)),
    destroy: () => {
      reader.destroy();
      writer.destroy();
    },
  };
}

/** Creates the spec's bucket unless it exists (tests and first-time setup; the provider never creates buckets). */
export async function ensureBucket(spec: S3ProviderSpec): Promise<void> {
  const client = s3Client(spec);
  try {
    await client.send(new CreateBucketCommand({ Bucket: spec.bucket }));
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  } finally {
    client.destroy();
  }
}
