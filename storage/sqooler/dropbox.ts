// sqooler's Dropbox provider (DropboxCore): `/<path>/<name>.json` from the root of the app's folder, JSON as
// json.dumps writes it (./python-json.ts).
// qspool creates with Dropbox's `add` mode (sqooler checks, then overwrites), so an existing document is never
// replaced; each upload is one whole file, so no reader sees half of it.
import { ConflictError } from '../../schemas/errors.ts';
import { DropboxClient, type DropboxClientOptions, isAnswer, unexpectedAnswer } from '../dropbox/client.ts';
import { type DocumentAddress, type SqoolerDocuments, safeSegments } from './layout.ts';
import { pythonJson } from './python-json.ts';

type Entry = { tag: string; name: string };

export class SqoolerDropboxFiles implements SqoolerDocuments {
  readonly type = 'dropbox';
  private readonly client: DropboxClient;

  constructor(options: DropboxClientOptions) {
    this.client = new DropboxClient(options);
  }

  private static at(path: string, name?: string): string {
    return `/${safeSegments(path, name).join('/')}`;
  }

  async text(path: string, name: string): Promise<string | undefined> {
    const file = SqoolerDropboxFiles.at(path, name);
    const outcome = await this.client.download(file);
    if (outcome.ok) return outcome.value.bytes.toString('utf8');
    if (isAnswer(outcome, 'path/not_found/')) return undefined;
    throw unexpectedAnswer('download', file, outcome.summary);
  }

  async get(path: string, name: string): Promise<unknown> {
    const text = await this.text(path, name);
    return text === undefined ? undefined : JSON.parse(text);
  }

  async upload(path: string, name: string, content: unknown): Promise<void> {
    const file = SqoolerDropboxFiles.at(path, name);
    const bytes = Buffer.from(pythonJson(content));
    const outcome = await this.client.upload(file, bytes, { kind: 'add' });
    if (outcome.ok) return;
    if (!isAnswer(outcome, 'path/conflict/')) throw unexpectedAnswer('upload', file, outcome.summary);
    // A retried upload whose first try was applied finds its own bytes there.
    if (outcome.ambiguous) {
      const there = await this.client.download(file);
      if (there.ok && there.value.bytes.equals(bytes)) return;
    }
    throw new ConflictError(`${path}/${name}.json already exists`);
  }

  /** One upload in overwrite mode: the file is replaced whole. */
  async replace(path: string, name: string, content: unknown): Promise<void> {
    const file = SqoolerDropboxFiles.at(path, name);
    const outcome = await this.client.upload(file, Buffer.from(pythonJson(content)), { kind: 'overwrite' });
    if (!outcome.ok) throw unexpectedAnswer('upload', file, outcome.summary);
  }

  /** `files/move_v2` is the exclusive step: one concurrent mover wins, the rest get from_lookup/not_found. */
  async move(from: DocumentAddress, to: DocumentAddress): Promise<boolean> {
    const [source, target] = [SqoolerDropboxFiles.at(from.path, from.name), SqoolerDropboxFiles.at(to.path, to.name)];
    const outcome = await this.client.move(source, target);
    if (outcome.ok) return true;
    if (isAnswer(outcome, 'from_lookup/not_found/')) return false;
    if (isAnswer(outcome, 'to/conflict/')) throw new ConflictError(`${to.path}/${to.name}.json already exists`);
    throw unexpectedAnswer('move_v2', source, outcome.summary);
  }

  async delete(path: string, name: string): Promise<boolean> {
    const file = SqoolerDropboxFiles.at(path, name);
    const outcome = await this.client.remove(file);
    if (outcome.ok) return true;
    if (isAnswer(outcome, 'path_lookup/not_found/')) return false;
    throw unexpectedAnswer('delete_v2', file, outcome.summary);
  }

  /**
   * A folder's entries once its listing is read. Pages after the first carry what changed while it was being read, in
   * order: a file deleted meanwhile is reported deleted, one rewritten is reported again. Names are keyed as Dropbox
   * compares them, ignoring case.
   */
  private async entries(path: string): Promise<Entry[]> {
    const folder = SqoolerDropboxFiles.at(path);
    const entries = new Map<string, Entry>();
    let page = await this.client.listFolder(folder);
    for (;;) {
      if (!page.ok) {
        if (isAnswer(page, 'path/not_found/')) return [...entries.values()];
        throw unexpectedAnswer('list_folder', folder, page.summary);
      }
      for (const entry of page.value.entries) {
        if (entry.tag === 'deleted') entries.delete(entry.name.toLowerCase());
        else entries.set(entry.name.toLowerCase(), entry);
      }
      if (!page.value.hasMore) return [...entries.values()];
      page = await this.client.listContinue(page.value.cursor);
    }
  }

  async list(path: string): Promise<string[]> {
    return (await this.entries(path)).filter((e) => e.tag === 'file' && e.name.endsWith('.json')).map((e) => e.name.slice(0, -'.json'.length));
  }

  async folders(path: string): Promise<string[]> {
    return (await this.entries(path)).filter((e) => e.tag === 'folder').map((e) => e.name);
  }

  async close(): Promise<void> {}
}
