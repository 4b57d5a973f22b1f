// The S3 requests the provider sends, built by pure functions so that tests can check every header that carries a
// guarantee: If-None-Match on creates, If-Match (spelled as the server accepts it) on every other write.
import type {
  DeleteObjectCommandInput,
  GetObjectCommandInput,
  HeadObjectCommandInput,
  ListObjectsV2CommandInput,
  PutObjectCommandInput,
} from '@aws-sdk/client-s3';

/** Every write is conditional: create where nothing is, or replace exactly the version that was read. */
export type WriteCondition = { ifAbsent: true } | { ifMatch: string };

/**
 * How If-Match carries an ETag. HTTP and AWS spell it quoted ("abc…"); Ceph RGW 16 compares the header with its
 * stored ETag verbatim, which is unquoted, so only the bare form matches there. `auto` starts bare and switches
 * for good when a 412 arrives although the object is at exactly that ETag (objects.ts).
 */
export type EtagSpelling = 'quoted' | 'unquoted';
export type EtagSpellingMode = EtagSpelling | 'auto';

/** ETags arrive quoted (sometimes weak, W/"…"); versions are the bare hex. */
export function bareEtag(etag: string | undefined): string {
  if (!etag) throw new Error('S3 answered without an ETag');
  return etag.replace(/^W\//, '').replace(/"/g, '');
}

function spellEtag(etag: string, spelling: EtagSpelling): string {
  return spelling === 'quoted' ? `"${etag}"` : etag;
}

export function putRequest(
  bucket: string,
  name: string,
  body: string,
  condition: WriteCondition,
  spelling: EtagSpelling,
): PutObjectCommandInput {
  return {
    Bucket: bucket,
    Key: name,
    Body: body,
    ContentType: 'application/json',
    ...('ifAbsent' in condition ? { IfNoneMatch: '*' } : { IfMatch: spellEtag(condition.ifMatch, spelling) }),
  };
}

export function getRequest(bucket: string, name: string): GetObjectCommandInput {
  return { Bucket: bucket, Key: name };
}

export function headRequest(bucket: string, name: string): HeadObjectCommandInput {
  return { Bucket: bucket, Key: name };
}

/**
 * DELETE with If-Match: AWS honours it (the delete is exact); RGW 16 ignores it and deletes whatever is there,
 * which is why the provider only ever deletes a marker it has just written itself (documents.ts).
 */
export function deleteRequest(bucket: string, name: string, etag: string, spelling: EtagSpelling): DeleteObjectCommandInput {
  return { Bucket: bucket, Key: name, IfMatch: spellEtag(etag, spelling) };
}

/**
 * One page of the names directly under `prefix`. The delimiter keeps nested namespaces (`a/b/…` under `a/`) out
 * of the page as common prefixes. The first page starts after `startAfter`; later ones continue with a token.
 */
export function listRequest(
  bucket: string,
  prefix: string,
  maxKeys: number,
  from: { startAfter?: string; continuationToken?: string },
): ListObjectsV2CommandInput {
  return {
    Bucket: bucket,
    Prefix: prefix,
    Delimiter: '/',
    MaxKeys: maxKeys,
    ...(from.continuationToken !== undefined
      ? { ContinuationToken: from.continuationToken }
      : from.startAfter !== undefined
        ? { StartAfter: from.startAfter }
        : {}),
  };
}
