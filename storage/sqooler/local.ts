// sqooler's local provider (LocalCore): `<base_path>/<path>/<name>.json`, plain JSON. What qspool writes here is
// written whole (a temp file renamed or linked into place), so a sqooler spooler never reads a torn document of
// ours; sqooler writes its own documents in place, so a read that catches one half-written is retried.
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, InvalidKeyError, NotFoundError, StorageUnavailableError } from '../../schemas/errors.ts';
import { SEGMENT, type SqoolerDocuments } from './layout.ts';

/** How often, and how long apart, a read retries a document a sqooler process is rewriting in place. */
const TORN_READ_TRIES = 20;
const TORN_READ_WAIT_MS = 5;

const errno = (error: unknown) => (error as NodeJS.ErrnoException).code;

export class SqoolerLocalFiles implements SqoolerDocuments {
  readonly type = 'local';

  constructor(private readonly basePath: string) {}

  private folder(path: string): string {
    const segments = path.split('/');
    if (!segments.every((segment) => SEGMENT.test(segment) && segment !== '..')) throw new InvalidKeyError(`Invalid sqooler path ${JSON.stringify(path)}`);
    return join(this.basePath, ...segments);
  }

  private file(path: string, name: string): string {
    if (!SEGMENT.test(name) || name.startsWith('.')) throw new InvalidKeyError(`Invalid sqooler name ${JSON.stringify(name)}`);
    return join(this.folder(path), `${name}.json`);
  }

  async get(path: string, name: string): Promise<unknown> {
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
        return JSON.parse(text);
      } catch {
        if (attempt >= TORN_READ_TRIES) throw new StorageUnavailableError(`${path}/${name}.json stays unreadable (not JSON)`);
        await new Promise((resolve) => setTimeout(resolve, TORN_READ_WAIT_MS));
      }
    }
  }

  /** A temp file with the content, in the target's folder (so rename and link stay on one file system). */
  private async staged(path: string, content: unknown): Promise<string> {
    const folder = this.folder(path);
    await mkdir(folder, { recursive: true });
    const temp = join(folder, `.qspool-${randomBytes(6).toString('hex')}.tmp`);
    await writeFile(temp, JSON.stringify(content));
    return temp;
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
  }

  async update(path: string, name: string, content: unknown): Promise<void> {
    const target = this.file(path, name);
    if ((await this.get(path, name)) === undefined) throw new NotFoundError(`${path}/${name}.json does not exist`);
    await rename(await this.staged(path, content), target);
  }

  async move(from: string, to: string, name: string): Promise<void> {
    const source = this.file(from, name);
    const target = this.file(to, name);
    await mkdir(this.folder(to), { recursive: true });
    try {
      await rename(source, target);
    } catch (error) {
      if (errno(error) === 'ENOENT') throw new NotFoundError(`${from}/${name}.json is gone`);
      throw error;
    }
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

  async close(): Promise<void> {}
}
