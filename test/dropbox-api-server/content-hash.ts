// Dropbox content_hash: SHA-256 over the concatenated SHA-256 digests of each 4 MiB block.
import { createHash } from 'node:crypto';

const BLOCK_SIZE = 4 * 1024 * 1024;

export function dropboxContentHash(data: Buffer): string {
  const blockDigests: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += BLOCK_SIZE) {
    blockDigests.push(createHash('sha256').update(data.subarray(offset, offset + BLOCK_SIZE)).digest());
  }
  return createHash('sha256').update(Buffer.concat(blockDigests)).digest('hex');
}
