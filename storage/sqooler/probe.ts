// `qspool storage test` on a sqooler-layout provider. The registry opens such a provider as a read-only view of
// sqooler's documents (./view.ts), on which the probe of qspool's layout, which writes through the storage contract,
// can only fail. This probe makes the round trip with the document operations the server and qspool's spooler use
// there: reading sqooler's backend configs, then, in qspool's own folder (where sqooler's code never looks),
// a create-only upload, a read of the document and of its stored text (what signatures are checked against), a whole
// replace, a listing, the exclusive move claims rely on (a second move of the same document must lose), and a delete.
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { type ProbeStep, runSteps } from '../registry/probe-steps.ts';
import type { SqoolerDocuments } from './layout.ts';
import type { SqoolerPaths } from './paths.ts';

export async function probeSqooler(documents: SqoolerDocuments, paths: SqoolerPaths): Promise<ProbeStep[]> {
  // 24 hex digits: sqooler's MongoDB provider keeps every document under ObjectId(name), which takes nothing else.
  const here = { path: paths.probe, name: randomBytes(12).toString('hex') };
  const moved = { path: `${paths.probe}/moved`, name: here.name };
  const reads = async (content: unknown) => {
    if (!isDeepStrictEqual(await documents.get(here.path, here.name), content)) return false;
    const text = documents.text && (await documents.text(here.path, here.name));
    return text === undefined || isDeepStrictEqual(JSON.parse(text), content);
  };
  const steps = await runSteps([
    ['list backends', async () => Array.isArray(await paths.backends(documents))],
    [
      'create',
      async () => {
        await documents.upload(here.path, here.name, { probe: 1 });
        return true;
      },
    ],
    ['read', () => reads({ probe: 1 })],
    [
      'replace',
      async () => {
        await documents.replace(here.path, here.name, { probe: 2 });
        return reads({ probe: 2 });
      },
    ],
    ['list', async () => (await documents.list(here.path)).includes(here.name)],
    ['move', async () => (await documents.move(here, moved)) && !(await documents.move(here, moved))],
    ['delete', () => documents.delete(moved.path, moved.name)],
  ]);
  if (!steps.every((step) => step.ok)) {
    await documents.delete(here.path, here.name).catch(() => false);
    await documents.delete(moved.path, moved.name).catch(() => false);
  }
  return steps;
}
