// Recently read or written file contents by (path, rev). A rev names one immutable content, so an entry never goes
// stale; it lets a move at an expected version skip downloading what the caller has just read (the lifecycle
// always reads a job right before moving it).

export interface StoredFile {
  rev: string;
  /** Dropbox content_hash of `bytes`. */
  hash: string;
  bytes: Buffer;
}

export class RevisionCache {
  private readonly files = new Map<string, StoredFile>();

  constructor(private readonly capacity = 512) {}

  remember(path: string, file: StoredFile): string {
    const id = `${path}\n${file.rev}`;
    this.files.delete(id);
    this.files.set(id, file);
    if (this.files.size > this.capacity) this.files.delete(this.files.keys().next().value!);
    return file.rev;
  }

  lookup(path: string, rev: string): StoredFile | undefined {
    return this.files.get(`${path}\n${rev}`);
  }
}
