// The object store as the provider sees it (ObjectPort): read, conditional write, delete, list one page. The SDK
// implementation below is the only code that talks to S3; tests swap in an in-memory store (fake-objects.ts) or a
// scripted S3Api. It also learns, once per process, how the server wants If-Match spelled (requests.ts).
import type {
  DeleteObjectCommandInput,
  GetObjectCommandInput,
  HeadObjectCommandInput,
  ListObjectsV2CommandInput,
  ListObjectsV2CommandOutput,
  PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { classifyWriteFailure, isMissingObject, mapS3Error, type WriteFailure } from './error-mapping.ts';
import {
  bareEtag,
  deleteRequest,
  getRequest,
  headRequest,
  listRequest,
  putRequest,
  type EtagSpelling,
  type EtagSpellingMode,
  type WriteCondition,
} from './requests.ts';

export interface StoredObject {
  body: string;
  /** Bare (unquoted) ETag. */
  etag: string;
}

export type PortWrite = { ok: true; etag: string } | { ok: false; failure: WriteFailure };

export interface ListedPage {
  names: string[];
  prefixes: string[];
  /** Present when the listing continues. */
  continuationToken?: string;
}

export interface ObjectPort {
  get(name: string): Promise<StoredObject | undefined>;
  /** A conditional PUT; a failed condition or an indeterminate answer is a result, not an exception. */
  put(name: string, body: string, condition: WriteCondition): Promise<PortWrite>;
  /** DELETE with If-Match `etag` (exact where the server honours it). Missing or changed objects are not errors. */
  delete(name: string, etag: string): Promise<void>;
  list(prefix: string, maxKeys: number, from: { startAfter?: string; continuationToken?: string }): Promise<ListedPage>;
  close(): void;
}

/** The five S3 calls used, as a narrow interface over S3Client (client.ts) that tests can script. */
export interface S3Api {
  putObject(input: PutObjectCommandInput): Promise<{ ETag?: string }>;
  getObject(input: GetObjectCommandInput): Promise<{ ETag?: string; body: string }>;
  headObject(input: HeadObjectCommandInput): Promise<{ ETag?: string }>;
  deleteObject(input: DeleteObjectCommandInput): Promise<unknown>;
  listObjectsV2(input: ListObjectsV2CommandInput): Promise<ListObjectsV2CommandOutput>;
  destroy(): void;
}

export class SdkObjects implements ObjectPort {
  private spelling: EtagSpelling;
  /** Whether `spelling` has been seen to work (or was configured); only then is it never switched. */
  private confirmed: boolean;

  constructor(
    private readonly api: S3Api,
    private readonly bucket: string,
    mode: EtagSpellingMode = 'auto',
  ) {
    this.spelling = mode === 'quoted' ? 'quoted' : 'unquoted';
    this.confirmed = mode !== 'auto';
  }

  /** The If-Match spelling in use, and whether it is settled. */
  get etagSpelling(): { spelling: EtagSpelling; confirmed: boolean } {
    return { spelling: this.spelling, confirmed: this.confirmed };
  }

  async get(name: string): Promise<StoredObject | undefined> {
    try {
      const found = await this.api.getObject(getRequest(this.bucket, name));
      return { body: found.body, etag: bareEtag(found.ETag) };
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw mapS3Error(error, name);
    }
  }

  async put(name: string, body: string, condition: WriteCondition): Promise<PortWrite> {
    const first = await this.attempt(name, body, condition);
    if (first.ok || first.failure !== 'precondition' || 'ifAbsent' in condition || this.confirmed) return first;
    // A 412 on If-Match while the object is at exactly that ETag can only mean the spelling was refused.
    if ((await this.currentEtag(name)) !== condition.ifMatch) return first;
    this.spelling = this.spelling === 'quoted' ? 'unquoted' : 'quoted';
    const second = await this.attempt(name, body, condition);
    if (!second.ok) this.spelling = this.spelling === 'quoted' ? 'unquoted' : 'quoted';
    return second;
  }

  /** Tries up to three times, but only while the object is still the one at `etag` (see sdkApi in client.ts). */
  async delete(name: string, etag: string): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.api.deleteObject(deleteRequest(this.bucket, name, etag, this.spelling));
        return;
      } catch (error) {
        const failure = classifyWriteFailure(error, true);
        // Already gone, or (where If-Match is honoured) taken over by someone else: either way not ours to delete.
        if (failure === 'precondition') return;
        if (failure !== 'indeterminate' || attempt >= 3) throw mapS3Error(error, name);
        if ((await this.currentEtag(name)) !== etag) return;
      }
    }
  }

  async list(prefix: string, maxKeys: number, from: { startAfter?: string; continuationToken?: string }): Promise<ListedPage> {
    try {
      const page = await this.api.listObjectsV2(listRequest(this.bucket, prefix, maxKeys, from));
      const names = (page.Contents ?? []).map((object) => object.Key).filter((key): key is string => key !== undefined);
      const prefixes = (page.CommonPrefixes ?? []).map((p) => p.Prefix).filter((p): p is string => p !== undefined);
      const token = page.IsTruncated ? page.NextContinuationToken : undefined;
      return { names, prefixes, ...(token ? { continuationToken: token } : {}) };
    } catch (error) {
      throw mapS3Error(error, prefix);
    }
  }

  close(): void {
    this.api.destroy();
  }

  private async attempt(name: string, body: string, condition: WriteCondition): Promise<PortWrite> {
    try {
      const written = await this.api.putObject(putRequest(this.bucket, name, body, condition, this.spelling));
      if ('ifMatch' in condition) this.confirmed = true;
      return { ok: true, etag: bareEtag(written.ETag) };
    } catch (error) {
      const failure = classifyWriteFailure(error, true);
      if (failure) return { ok: false, failure };
      throw mapS3Error(error, name);
    }
  }

  private async currentEtag(name: string): Promise<string | undefined> {
    try {
      return bareEtag((await this.api.headObject(headRequest(this.bucket, name))).ETag);
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw mapS3Error(error, name);
    }
  }
}
