// A separate OS process for the conformance suite: races for claims or hammers one key with writes, so the
// invariants are tested across processes, not just across promises. Prints one JSON line per result.
import { createProvider, type ProviderSpec } from '../factory.ts';
import { JobLifecycle } from '../lifecycle.ts';

const [mode, specJson, backend, holder, startAtText] = process.argv.slice(2);
const spec = JSON.parse(specJson!) as ProviderSpec;
const storage = await createProvider(spec);
const lifecycle = new JobLifecycle(storage, { leaseMs: 60_000 });

const startAt = Number(startAtText ?? 0);
if (startAt > Date.now()) await new Promise((resolve) => setTimeout(resolve, startAt - Date.now()));

if (mode === 'claim-one') {
  const claimed = await lifecycle.claim(backend!, holder!);
  process.stdout.write(JSON.stringify({ claimed: claimed?.record.id ?? null }) + '\n');
} else if (mode === 'claim-all') {
  const ids: string[] = [];
  for (let claimed = await lifecycle.claim(backend!, holder!); claimed; claimed = await lifecycle.claim(backend!, holder!)) {
    await lifecycle.complete(claimed, { by: holder });
    ids.push(claimed.record.id);
  }
  process.stdout.write(JSON.stringify({ claimed: ids }) + '\n');
} else if (mode === 'write-forever') {
  // Large documents whose every element must agree: a torn write would show mixed generations.
  for (let generation = 0; ; generation += 1) {
    await storage.put('torture', 'doc', { generation, items: new Array(50_000).fill(generation) });
    if (generation === 0) process.stdout.write('writing\n');
  }
} else if (mode === 'claim-and-hold') {
  for (let claimed = await lifecycle.claim(backend!, holder!); claimed; claimed = await lifecycle.claim(backend!, holder!)) {
    process.stdout.write(JSON.stringify({ holding: claimed.record.id }) + '\n');
  }
}
await storage.close();
