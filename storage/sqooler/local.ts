// sqooler's local provider (LocalCore): `<base_path>/<path>/<name>.json`, JSON as json.dumps writes it
// (./python-json.ts). What qspool writes here is written whole (a temp file linked into place), so a sqooler spooler
// never reads a torn document of ours; sqooler writes its own documents in place, so a read that catches one
// half-written is retried. Our writes are fsynced (file and folder) before they resolve: a job the client has an id for survives a power cut.
import { randomBytes } from 'node:crypto';
import { link, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, StorageUnavailableError } from '../../schemas/errors.ts';
import { type DocumentAddress, SEGMENT, type SqoolerDocuments, safeSegments } from './layout.ts';
import { pythonJson } from './python-json.ts';
import { makeDirectory } from '../directories.ts';

/** How often, and how long apart, a read retries a document a sqooler process is rewriting in place. */
const TORN_READ_TRIES = 20;
const TORN_READ_WAIT_MS = 5;

const errno = (error: unknown) => (error as NodeJS.ErrnoException).code;

export class SqoolerLocalFiles implements SqoolerDocuments {
  readonly type = 'local';

  constructor(private readonly basePath: string) {}

  private folder(path: string): string {
    return join(this.basePath, ...safeSegments(path));
  }

  private file(path: string, name: string): string {
    return join(this.basePath, ...safeSegments(path, name));
  }

  /** The document's text once it is whole JSON. */
  async text(path: string, name: string): Promise<string | undefined> {
    const file = this.file(path, name);
    for (let attempt = 1; ; attempt += 1) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        if (errno(error) === 'ENOENT') return undefined;
        throw error;
      }
      try {
        JSON.parse(text);
        return text;
      } catch {
        if (attempt >= TORN_READ_TRIES) throw new StorageUnavailableError(`${path}/${name}.json stays unreadable (not JSON)`);
        await new Promise((resolve) => setTimeout(resolve, TORN_READ_WAIT_MS));
      }
    }
  }

  async get(path: string, name: string): Promise<unknown> {
    const text = await this.text(path, name);
    return text === undefined ? undefined : JSON.parse(text);
  }

  /** A temp file with the content, in the target's folder (so the link stays on one file system). */
  private async staged(path: string, content: unknown): Promise<string> {
    const folder = this.folder(path);
    await makeDirectory(folder);
    const temp = join(folder, `.qspool-${randomBytes(6).toString('hex')}.tmp`);
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(pythonJson(content));
      await file.sync();
    } finally {
      await file.close();
    }
    return temp;
  }

  /** Makes a new name in the folder durable. */
  private async syncFolder(path: string): Promise<void> {
    const folder = await open(this.folder(path), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }

  async upload(path: string, name: string, content: unknown): Promise<void> {
    const target = this.file(path, name);
    const temp = await this.staged(path, content);
    try {
      // link() refuses an existing target: create-only and whole in one step.
      await link(temp, target);
    } catch (error) {
      if (errno(error) === 'EEXIST') throw new ConflictError(`${path}/${name}.json already exists`);
      throw error;
    } finally {
      await unlink(temp);
    }
    await this.syncFolder(path);
  }

  /** A temp file renamed over the target: readers see the old document or the new one, never half of one. */
  async replace(path: string, name: string, content: unknown): Promise<void> {
    const target = this.file(path, name);
    const temp = await this.staged(path, content);
    try {
      await rename(temp, target);
    } catch (error) {
      await unlink(temp);
      throw error;
    }
    await this.syncFolder(path);
  }

  /**
   * rename(2) is the exclusive step: of several renames of one file exactly one finds it, the others get ENOENT. A
   * sqooler spooler's move (shutil.move, a rename within one file system) competes on the same terms.
   */
  async move(from: DocumentAddress, to: DocumentAddress): Promise<boolean> {
    const target = this.file(to.path, to.name);
    await makeDirectory(this.folder(to.path));
    try {
      await rename(this.file(from.path, from.name), target);
    } catch (error) {
      if (errno(error) === 'ENOENT') return false;
      throw error;
    }
    await this.syncFolder(to.path);
    await this.syncFolder(from.path);
    return true;
  }

  async delete(path: string, name: string): Promise<boolean> {
    try {
      await unlink(this.file(path, name));
      return true;
    } catch (error) {
      if (errno(error) === 'ENOENT') return false;
      throw error;
    }
  }

  async list(path: string): Promise<string[]> {
    try {
      const names = await readdir(this.folder(path));
      return names.filter((name) => name.endsWith('.json') && !name.startsWith('.')).map((name) => name.slice(0, -'.json'.length));
    } catch (error) {
      if (errno(error) === 'ENOENT') return [];
      throw error;
    }
  }

  async folders(path: string): Promise<string[]> {
    try {
      const entries = await readdir(this.folder(path), { withFileTypes: true });
      return entries.filter((entry) => entry.isDirectory() && SEGMENT.test(entry.name)).map((entry) => entry.name);
    } catch (error) {
      if (errno(error) === 'ENOENT') return [];
      throw error;
    }
  }

  async close(): Promise<void> {}
}
